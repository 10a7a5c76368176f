//! Execution segments (placeholder being replaced).

/// Placeholder.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// Placeholder.
    #[error("placeholder")]
    Placeholder,
}
