//! Options (in progress).

/// Placeholder.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    /// Placeholder.
    #[error("placeholder")]
    Placeholder,
}
