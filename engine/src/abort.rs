//! Why a test ended early, and the one place that records it.

use std::sync::{Mutex, PoisonError};

use tokio_util::sync::CancellationToken;

use crate::vu::InitError;

/// What ended a test before its plan did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AbortReason {
    /// The script called `exec.test.abort(reason)`.
    Script(String),
    /// A VU initialised during the run failed.
    VuInit(InitError),
}

/// The first abort wins; aborting stops the test (no new iterations,
/// running ones interrupted).
#[derive(Debug)]
pub(crate) struct AbortSlot {
    reason: Mutex<Option<AbortReason>>,
    stop: CancellationToken,
}

impl AbortSlot {
    pub fn new(stop: CancellationToken) -> AbortSlot {
        AbortSlot {
            reason: Mutex::new(None),
            stop,
        }
    }

    pub fn abort(&self, reason: AbortReason) {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            tracing::error!(?reason, "test aborted");
            *slot = Some(reason);
        }
        self.stop.cancel();
    }

    pub fn reason(&self) -> Option<AbortReason> {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
