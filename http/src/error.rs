//! Errors of building a client. Request failures are *not* errors: they are
//! [`Failure`](crate::Failure) values inside a [`Response`](crate::Response).

/// What can go wrong while setting up the HTTP engine (never while a VU runs
/// a request: those outcomes are data).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TLS client (reqwest with rustls) could not be built.
    #[error("cannot build the TLS client: {reason}")]
    TlsClient {
        /// reqwest's explanation.
        reason: String,
    },
    /// An option value is out of range.
    #[error("invalid HTTP option {option}={value}: {reason}")]
    InvalidOption {
        /// The k6 option name.
        option: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
}

/// The crate's result alias.
pub type Result<T> = std::result::Result<T, Error>;
