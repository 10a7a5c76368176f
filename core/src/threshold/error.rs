//! Why thresholds are refused, with k6's messages (all exit 104 upstream).

use crate::duration::DurationError;
use crate::metrics::{MetricType, SelectorError};

/// A threshold that cannot be used. The `Display` text is k6's.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    /// No operator found.
    #[error(
        "failed parsing threshold expression {input:?}; reason: malformed threshold expression"
    )]
    Malformed {
        /// The expression.
        input: String,
    },
    /// The left side is no aggregation method.
    #[error(
        "failed parsing threshold expression's {input:?} left hand side; reason: failed parsing method from expression"
    )]
    Method {
        /// The expression.
        input: String,
    },
    /// `p(x)` with `x` not a number.
    #[error(
        "failed parsing threshold expression's {input:?} left hand side; reason: malformed percentile value; reason: strconv.ParseFloat: parsing {value:?}: invalid syntax"
    )]
    Percentile {
        /// The expression.
        input: String,
        /// The text inside `p(...)`.
        value: String,
    },
    /// The right side is not a number (k6's message has the typo).
    #[error(
        "failed parsing threshold expresion's {input:?} right hand side; reason: strconv.ParseFloat: parsing {value:?}: invalid syntax"
    )]
    Value {
        /// The expression.
        input: String,
        /// The right-hand side.
        value: String,
    },
    /// The metric (or submetric) expression is malformed.
    #[error("unable to validate threshold expressions; reason: {0}")]
    Name(#[from] SelectorError),
    /// No such metric.
    #[error("invalid threshold defined on {name}; reason: no metric name {name:?} found")]
    UnknownMetric {
        /// The thresholds' key.
        name: String,
    },
    /// An aggregation the metric's type does not have.
    #[error(
        "invalid threshold {expression:?} applied on metric {name}; reason: unsupported aggregation method {method} on metric of type {kind}. supported aggregation methods for this metric are: {supported}"
    )]
    Unsupported {
        /// The expression.
        expression: String,
        /// The thresholds' key.
        name: String,
        /// k6's method token (`avg`, `p`).
        method: &'static str,
        /// The metric's type.
        kind: MetricType,
        /// The methods it has, comma-separated.
        supported: String,
    },
    /// The JSON is not of the expected shape (Go's unmarshal message).
    #[error("json: cannot unmarshal {found} into Go {target}")]
    Json {
        /// The JSON type found (`string`, `number`).
        found: &'static str,
        /// What was expected (`struct field Options.thresholds of type
        /// []metrics.thresholdConfig`).
        target: &'static str,
    },
    /// A bad `delayAbortEval`.
    #[error(transparent)]
    Delay(#[from] DurationError),
}
