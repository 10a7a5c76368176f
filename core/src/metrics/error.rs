//! What the metrics layer can refuse, with k6's messages.

use super::sample::{MetricType, ValueType};

/// A metrics error. The `Display` text is k6's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    /// A custom metric name that k6 rejects.
    #[error(
        "Invalid metric name: '{0}'. Metric names must only include up to 128 ASCII letters, \
         numbers, or underscores and start with a letter or an underscore."
    )]
    InvalidName(String),
    /// A metric re-declared with another type.
    #[error("metric '{name}' already exists but with type {existing}, instead of {requested}")]
    TypeMismatch {
        /// The metric.
        name: String,
        /// Its type.
        existing: MetricType,
        /// The type asked for.
        requested: MetricType,
    },
    /// A metric re-declared with another value type.
    #[error(
        "metric '{name}' already exists but with a value type {existing}, instead of {requested}"
    )]
    ValueTypeMismatch {
        /// The metric.
        name: String,
        /// Its value type.
        existing: ValueType,
        /// The value type asked for.
        requested: ValueType,
    },
    /// A submetric of a metric that does not exist.
    #[error("metric '{0}' does not exist in the script")]
    UnknownMetric(String),
    /// A malformed `metric{tag:value}` expression.
    #[error(transparent)]
    Selector(#[from] SelectorError),
}

/// Why a `metric{tag:value,...}` expression is malformed (k6's
/// `ParseMetricName`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// Only one of `{` and `}`.
    #[error("parsing metric name failed, metric {0:?} has unmatched opening/close curly brace")]
    Unmatched(String),
    /// The last `}` comes before the first `{`.
    #[error(
        "parsing metric name failed, metric {0:?} closing curly brace appears before opening one"
    )]
    CloseBeforeOpen(String),
    /// Text after the closing brace.
    #[error(
        "parsing metric name failed, metric {0:?} lacks a closing curly brace in its last position"
    )]
    NotLast(String),
    /// A `key:value` pair without `:` or without a value (the text of the
    /// pair is what k6 quotes).
    #[error("parsing metric name failed, metric {0:?} tag expression is malformed")]
    MalformedTag(String),
}
