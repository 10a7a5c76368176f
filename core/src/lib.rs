//! The deterministic heart of k6r: everything that turns a script's options
//! into a plan and splits that plan across instances. No I/O lives here.
//!
//! # Layout
//! - [`capacity`]: how many VUs a machine may hold, and the check against
//!   it.
//! - [`duration`]: k6's duration syntax, parsed and printed the Go way.
//! - [`segment`]: execution segments, sequences and the striping algorithm
//!   that decides which VU, iteration and tick belong to which instance.
//! - [`options`]: the options model of a script, the shortcut rules that
//!   derive the `default` scenario, and validation with k6's messages.
//! - [`plan`]: one compiled plan per scenario (VU steps, arrival-rate ticks,
//!   graceful windows) and the test's total duration and max VUs.
//! - [`metrics`]: samples, metric types, k6's built-in metrics, the
//!   mergeable sinks and the registry that routes samples into them.
//! - [`scale`]: k6's rules for a live `vus`/`vus-max` change.
//! - [`steer`]: live changes of a running scenario ([`steer::Change`]),
//!   checked against its executor, and an instance's part of one.
//! - [`threshold`]: k6's threshold syntax, validation and evaluation.
//! - [`summary`]: the end-of-test summary text, `--summary-export` and
//!   `handleSummary`'s data, rendered from the registry.
//! - [`logfmt`]: k6's log line format.
//! - [`setup_data`]: how "no setup data" travels between processes.
//! - [`exit`]: [`exit::ExitCode`], every exit code of a run (k6's and
//!   k6r's), written once.
//! - [`error`]: the crate's error enum.
#![warn(missing_docs)]

pub mod autopilot;
pub mod capacity;
pub mod duration;
pub mod error;
pub mod exit;
pub mod logfmt;
pub mod metrics;
pub mod options;
pub mod paint;
pub mod plan;
pub mod scale;
pub mod segment;
pub mod setup_data;
pub mod steer;
pub mod summary;
pub mod threshold;

pub use duration::Duration;
pub use error::{Error, Result};
