//! The crate's errors: test-level failures and refused control commands.

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
    /// `vus` above `vus-max`.
    #[error("invalid configuration supplied: the number of active VUs ({vus}) must be less than or equal to the number of maxVUs ({max_vus})")]
    VusAboveMax {
        /// Requested (or current) active VUs.
        vus: u64,
        /// Requested (or current) max VUs.
        max_vus: u64,
    },
    /// `vus-max` below the script's `maxVUs`.
    #[error(
        "the new number of max VUs cannot be lower than the starting number of max VUs ({start})"
    )]
    MaxBelowStart {
        /// The scenario's starting `maxVUs`.
        start: u64,
    },
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
