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

pub use config::Config;
pub use error::ThresholdError;
pub use expr::{Aggregation, Expression, Operator};
pub use set::{Evaluation, MetricThresholds, Threshold, Thresholds};
