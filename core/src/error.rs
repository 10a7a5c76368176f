//! The crate's error type.

use crate::metrics::MetricsError;
use crate::options::OptionsError;
use crate::segment::SegmentError;
use crate::summary::SummaryError;
use crate::threshold::ThresholdError;

/// Everything the core can refuse.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad `executionSegment` / `executionSegmentSequence`.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// Options that cannot be parsed or do not validate.
    #[error(transparent)]
    Options(#[from] OptionsError),
    /// A bad metric declaration or submetric selector.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// Thresholds that cannot be used (k6 exits 104).
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// Bad summary options.
    #[error(transparent)]
    Summary(#[from] SummaryError),
}

/// The crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
