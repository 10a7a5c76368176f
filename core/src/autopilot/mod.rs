//! The autopilot's policy: find the highest arrival rate at which every
//! SLO holds (the knee), then hold it. Pure: it is fed readings of the
//! run's cumulative metrics and answers with the next rate; the task that
//! steers a run with it lives with what it steers.
//!
//! An SLO is written as a k6 threshold: `http_req_duration: p(95)<200`.
//! Each rate is measured over a window of its own (after a settling time
//! that excludes the change's transient), long enough for the SLOs'
//! percentiles to rest on enough samples. The search grows the rate
//! until an SLO breaks, then halves the gap between the last rate that
//! held and the first that broke until it is within the precision, with a
//! longer settling time after each breach. It then holds the knee,
//! stepping back when an SLO breaks again. A window in which the load
//! generator itself is saturated (its CPU, or iterations it could not
//! start) says nothing about the target: the search stops there and says
//! "generator".
//!
//! # Layout
//! - [`plan`]: [`Plan`], an autopilot asked for, checked against the
//!   test's options.
//! - [`slo`]: [`Slo`], parsed from `METRIC: EXPRESSION`.
//! - [`window`]: [`Reading`] (cumulative sinks and CPU at an instant) and
//!   [`Measured`] (one window: the difference of two readings).
//! - [`search`]: [`Search`] and its [`Settings`]: the state machine.
//! - [`report`]: [`Report`], what the summary prints and
//!   `--autopilot-report` writes.
//! - [`error`]: the flags' errors, [`AutopilotError`].

pub mod error;
pub mod plan;
pub mod report;
pub mod search;
pub mod slo;
pub mod window;

pub use error::AutopilotError;
pub use plan::Plan;
pub use report::{Limit, Report, WindowRecord};
pub use search::{Decision, Phase, Search, Settings};
pub use slo::Slo;
pub use window::{CpuTime, Measured, Reading};

#[cfg(test)]
mod tests;
