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

pub mod builtin;
pub mod exact_sum;
pub mod histogram;
pub mod sample;
pub mod sink;
pub mod stat;

pub use builtin::Builtin;
pub use histogram::Histogram;
pub use sample::{Metric, MetricType, Sample, Tags, ValueType};
pub use sink::Sink;
pub use stat::Stat;
