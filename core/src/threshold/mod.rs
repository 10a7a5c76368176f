//! Thresholds (§6.4 of the reference): k6's expression syntax, which
//! aggregation each metric type has, validation with k6's messages, and
//! evaluation against the registry's sinks (with `abortOnFail`,
//! `delayAbortEval` and the `tainted` flag).
//!
//! # Layout
//! - [`expr`]: [`Expression`] (`p(95) < 200`), [`Aggregation`], [`Operator`].
//! - [`config`]: the JSON forms (string or `{threshold, abortOnFail,
//!   delayAbortEval}`).
//! - [`set`]: [`Thresholds`], built against a registry and evaluated.
//! - [`error`]: [`ThresholdError`] with k6's messages (exit 104 upstream).

pub mod config;
pub mod error;
pub mod expr;
pub mod set;

use std::time::Duration;

pub use config::Config;
pub use error::ThresholdError;
pub use expr::{Aggregation, Expression, Operator};
pub use set::{Evaluation, MetricThresholds, Threshold, Thresholds};

/// How often k6 evaluates thresholds during a run (from the start; a
/// failed `abortOnFail` threshold stops the run at such a tick). A run on
/// one machine and the coordinator's merged metrics both keep it.
pub const EVALUATION_PERIOD: Duration = Duration::from_secs(2);
