//! [`MetricDeltaError`]: why a `MetricDelta` off the wire is not a
//! k6r-core [`Delta`](k6r_core::metrics::Delta).

use k6r_core::metrics::histogram::MAX_KEY;
use k6r_core::metrics::MetricType;

/// What is wrong with a `MetricDelta`, naming the field as in the
/// `.proto`, dotted from the metric's sink
/// (`trend.histogram.positive.key_steps`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetricDeltaError {
    /// The error is in metric `metric` (a submetric as `name{suffix}`).
    #[error("metric `{metric}`: {error}")]
    InMetric {
        /// The metric's (or submetric's) name.
        metric: String,
        /// What is wrong in it.
        error: Box<MetricDeltaError>,
    },
    /// A required message (or `oneof`) is absent.
    #[error("missing field `{field}`")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// An enum value this build does not know (or `UNSPECIFIED`).
    #[error("unknown `{field}`: {value}")]
    UnknownEnum {
        /// The field.
        field: &'static str,
        /// The value on the wire.
        value: i32,
    },
    /// A sink of another type than its metric's.
    #[error("`{field}` holds a {found} sink in a {expected} metric")]
    SinkMismatch {
        /// The field.
        field: &'static str,
        /// The metric's type.
        expected: MetricType,
        /// The sink's type.
        found: MetricType,
    },
    /// An infinity or NaN where only finite values occur.
    #[error("`{field}` is not finite")]
    NonFinite {
        /// The field.
        field: &'static str,
    },
    /// NaN where no sink keeps one (samples with NaN values are dropped).
    #[error("`{field}` is NaN")]
    NotANumber {
        /// The field.
        field: &'static str,
    },
    /// A histogram bucket key beyond the largest one.
    #[error("`{field}` names bucket key {key}, beyond the largest ({MAX_KEY})")]
    BucketOutOfRange {
        /// The field.
        field: &'static str,
        /// The key, summed from the steps.
        key: u64,
    },
    /// Counts that add up beyond `u64::MAX`.
    #[error("`{field}` adds up beyond 2^64 - 1")]
    CountOverflow {
        /// The field.
        field: &'static str,
    },
    /// A value out of range.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
}

impl MetricDeltaError {
    /// This error, placed in metric `metric`.
    pub(crate) fn in_metric(self, metric: impl Into<String>) -> Self {
        MetricDeltaError::InMetric {
            metric: metric.into(),
            error: Box::new(self),
        }
    }
}
