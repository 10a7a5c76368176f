//! The coordinator's errors, and their mapping to the wire at the edge.

use std::{net::SocketAddr, time::Duration};

use crate::registry::Refusal;

/// What can go wrong in the coordinator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value or combination is not usable.
    #[error("invalid configuration: {option}: {reason}")]
    InvalidConfig {
        /// The flag (as the user writes it, `--heartbeat-interval`).
        option: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Fewer agents than wanted connected within the timeout.
    #[error(
        "only {connected} of {wanted} agents connected within {}",
        humantime::format_duration(*waited)
    )]
    AgentsMissing {
        /// Agents connected when the wait gave up.
        connected: usize,
        /// Agents asked for.
        wanted: usize,
        /// How long the wait lasted.
        waited: Duration,
    },
    /// The agent has no live session.
    #[error("agent {agent} is not connected")]
    AgentNotConnected {
        /// The agent.
        agent: crate::registry::AgentId,
    },
    /// The registry actor is gone (the coordinator is shutting down).
    #[error("the agent registry has stopped")]
    RegistryStopped,
    /// The run manager is gone (the coordinator is shutting down).
    #[error("the run manager has stopped")]
    RunsStopped,
    /// The coordinator is shutting down: no new run starts.
    #[error("the coordinator is shutting down")]
    ShuttingDown,
    /// A task of the coordinator ended unexpectedly.
    #[error("the {task} task failed: {reason}")]
    TaskFailed {
        /// Which task.
        task: &'static str,
        /// Its panic or error.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for tonic::Status {
    fn from(err: Error) -> Self {
        match err {
            Error::RegistryStopped | Error::RunsStopped | Error::ShuttingDown => {
                tonic::Status::unavailable(err.to_string())
            }
            Error::AgentsMissing { .. } => tonic::Status::deadline_exceeded(err.to_string()),
            Error::AgentNotConnected { .. } => tonic::Status::failed_precondition(err.to_string()),
            _ => tonic::Status::internal(err.to_string()),
        }
    }
}

impl From<Refusal> for k6r_proto::v1::Refused {
    fn from(refusal: Refusal) -> Self {
        Self {
            reason: refusal.to_string(),
        }
    }
}
