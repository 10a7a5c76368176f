//! The agent's errors. Most are reasons a session could not be opened;
//! the reconnect loop logs them and tries again.

/// What can go wrong in the agent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is not usable.
    #[error("invalid configuration: {option}: {reason}")]
    InvalidConfig {
        /// The flag (`--coordinator`).
        option: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// No connection to the coordinator could be made.
    #[error("coordinator {url} is unreachable: {reason}")]
    Unreachable {
        /// The coordinator's URL.
        url: String,
        /// The transport error with its causes.
        reason: String,
    },
    /// The coordinator wants a token we do not have (or another one).
    #[error("the coordinator refused our token ({message}); set --token or K6R_TOKEN to the coordinator's")]
    Unauthenticated {
        /// The coordinator's message.
        message: String,
    },
    /// The coordinator answered Hello with Refused.
    #[error("the coordinator refused this agent: {reason}")]
    Refused {
        /// Its reason (version mismatch, duplicate name...).
        reason: String,
    },
    /// The session call failed with a gRPC status.
    #[error("the session failed: {code:?}: {message}")]
    Session {
        /// The status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// The coordinator said something out of order.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// No Welcome within the handshake timeout.
    #[error("no answer to Hello within {}", humantime::format_duration(*.0))]
    HandshakeTimeout(std::time::Duration),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        match status.code() {
            tonic::Code::Unauthenticated => Error::Unauthenticated {
                message: status.message().to_owned(),
            },
            code => Error::Session {
                code,
                message: status.message().to_owned(),
            },
        }
    }
}

/// `err` and its sources, joined by `: ` (transport errors hide the useful
/// part in their sources).
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
