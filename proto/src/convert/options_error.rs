//! [`OptionsWireError`]: why k6r-core's
//! [`Options`](k6r_core::options::Options) and the wire's `Options` do
//! not convert.

use k6r_core::segment::SegmentError;
use k6r_core::threshold::ThresholdError;

/// What is wrong, naming the field by its path from `options`: the
/// `.proto` field names, `["key"]` for an entry of a map or a JSON object
/// and `[i]` for an element of a JSON list
/// (`options.scenarios["load"].executor`,
/// `options.raw["hosts"]["a"][2].kind`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OptionsWireError {
    /// A required message or `oneof` is absent.
    #[error("{field}: missing")]
    Missing {
        /// The field's path.
        field: String,
    },
    /// An execution segment or sequence that does not parse.
    #[error("{field}: {error}")]
    Segment {
        /// The field's path.
        field: String,
        /// Why it was refused, with k6's message.
        error: SegmentError,
    },
    /// A JSON float that is an infinity or NaN (JSON has neither).
    #[error("{field}: {value} is not a finite number")]
    NonFinite {
        /// The field's path.
        field: String,
        /// The value on the wire.
        value: f64,
    },
    /// Going out: a metric's thresholds, as k6r-core keeps them (JSON),
    /// that do not parse.
    #[error("{field}: {error}")]
    Threshold {
        /// The field's path (`options.thresholds["http_req_duration"]`).
        field: String,
        /// Why they were refused, with k6's message.
        error: ThresholdError,
    },
}

impl OptionsWireError {
    /// `field` is missing.
    pub(crate) fn missing(field: impl Into<String>) -> Self {
        OptionsWireError::Missing {
            field: field.into(),
        }
    }

    /// This error, its field path placed below `outer` (`outer.field`, or
    /// `outer[..]` when the path starts with an index).
    pub(crate) fn within(mut self, outer: &str) -> Self {
        let field = match &mut self {
            OptionsWireError::Missing { field }
            | OptionsWireError::Segment { field, .. }
            | OptionsWireError::NonFinite { field, .. }
            | OptionsWireError::Threshold { field, .. } => field,
        };
        *field = if field.is_empty() || field.starts_with('[') {
            format!("{outer}{field}")
        } else {
            format!("{outer}.{field}")
        };
        self
    }
}
