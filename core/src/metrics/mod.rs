//! Metrics: what a sample is, which metrics are built in, and (as the
//! metrics issue lands) the sinks that aggregate samples.
//!
//! # Layout
//! - [`sample`]: [`Metric`] (name, [`MetricType`], [`ValueType`]),
//!   [`Tags`] and [`Sample`], the unit every producer emits.
//! - [`builtin`]: k6's built-in metrics ([`Builtin`]) and their types.

pub mod builtin;
pub mod sample;

pub use builtin::Builtin;
pub use sample::{Metric, MetricType, Sample, Tags, ValueType};
