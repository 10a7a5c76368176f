//! The crate's errors: test-level failures and refused control commands.

use k6r_core::scale::ScaleError;

use crate::vu::InitError;

/// Why a test could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A planned VU failed to initialise before the start.
    #[error(transparent)]
    Init(#[from] InitError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A refused externally-controlled command; the messages are k6's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// A `vus`/`vus-max` change k6's rules refuse ([`k6r_core::scale`]):
    /// `vus` above `vus-max`, or `vus-max` below the script's `maxVUs`.
    #[error(transparent)]
    Scale(#[from] ScaleError),
    /// Pause while paused.
    #[error("test execution was already paused")]
    AlreadyPaused,
    /// Resume while running.
    #[error("test execution wasn't paused")]
    NotPaused,
    /// The scenario has ended (or was stopped): nobody applies commands.
    #[error("the externally-controlled scenario '{scenario}' is not running")]
    Ended {
        /// The scenario's name.
        scenario: String,
    },
}
