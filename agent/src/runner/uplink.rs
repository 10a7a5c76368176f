//! The runner's way up to the coordinator, valid for one session.

use k6r_proto::v1::AgentMessage;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Why a message could not go up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UplinkError {
    /// The session this uplink belongs to has ended.
    #[error("the session has ended")]
    Closed,
    /// The outgoing queue is full (only from `try_send`).
    #[error("the outgoing queue is full")]
    Full,
}

/// Sends messages to the coordinator on the current session.
#[derive(Clone, Debug)]
pub struct Uplink {
    tx: mpsc::Sender<AgentMessage>,
    closed: CancellationToken,
}

impl Uplink {
    /// An uplink over a session's outgoing queue; `closed` is cancelled
    /// when the session ends.
    pub fn new(tx: mpsc::Sender<AgentMessage>, closed: CancellationToken) -> Self {
        Self { tx, closed }
    }

    /// Sends `message`, waiting for room in the queue.
    pub async fn send(&self, message: impl Into<AgentMessage>) -> Result<(), UplinkError> {
        tokio::select! {
            _ = self.closed.cancelled() => Err(UplinkError::Closed),
            sent = self.tx.send(message.into()) => sent.map_err(|_| UplinkError::Closed),
        }
    }

    /// Sends `message` if there is room now.
    pub fn try_send(&self, message: impl Into<AgentMessage>) -> Result<(), UplinkError> {
        if self.is_closed() {
            return Err(UplinkError::Closed);
        }
        self.tx.try_send(message.into()).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => UplinkError::Full,
            mpsc::error::TrySendError::Closed(_) => UplinkError::Closed,
        })
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }
}
