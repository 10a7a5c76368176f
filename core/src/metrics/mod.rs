//! Metrics: what a sample is, which metrics are built in, and the sinks
//! that aggregate samples into mergeable, bounded-memory summaries.
//!
//! # Layout
//! - [`sample`]: [`Metric`] (name, [`MetricType`], [`ValueType`]),
//!   [`Tags`] and [`Sample`], the unit every producer emits.
//! - [`builtin`]: k6's built-in metrics ([`Builtin`]) and their types.
//! - [`stat`]: [`Stat`], the statistics a sink reports (`avg`, `p(95)`).
//! - [`exact_sum`]: [`ExactSum`](exact_sum::ExactSum), an order-independent
//!   sum.
//! - [`histogram`]: the log-linear [`Histogram`] behind trend percentiles.
//! - [`sink`]: [`Sink`] and the four sink types.
//! - [`name`]: k6's rule for custom metric names.
//! - [`selector`]: submetric selectors (`metric{tag:value}`).
//! - [`checks`]: checks per group ([`CheckBook`]) and the group tree.
//! - [`registry`]: [`Registry`], every metric's sink and submetrics, fed
//!   with sample batches.
//! - [`delta`]: [`Delta`], a registry's new data, taken by agents and
//!   applied by the coordinator.
//! - [`error`]: [`MetricsError`] with k6's messages.

pub mod builtin;
pub mod checks;
pub mod delta;
pub mod error;
pub mod exact_sum;
pub mod histogram;
pub mod name;
pub mod registry;
pub mod sample;
pub mod selector;
pub mod sink;
pub mod stat;

pub use builtin::Builtin;
pub use checks::{Check, CheckBook, GroupTree};
pub use delta::{Delta, DeltaError};
pub use error::{MetricsError, SelectorError};
pub use histogram::Histogram;
pub use name::validate_name;
pub use registry::{Breakdown, Entry, Registry, Submetric, EXPECTED_RESPONSE_SUBMETRIC};
pub use sample::{Metric, MetricType, Sample, Tags, ValueType};
pub use selector::Selector;
pub use sink::Sink;
pub use stat::Stat;
