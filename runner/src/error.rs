//! The crate's error enum.

use std::time::Duration;

use k6r_core::exit::ExitCode;
use k6r_script::JsException;

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a run (or a VU) could not go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A VU's init code failed.
    #[error("{0}")]
    Init(k6r_script::Error),

    /// A VU's coroutine stack could not be allocated.
    #[error("can't allocate the stack of VU {vu}: {source}")]
    Stack {
        /// The VU's id.
        vu: u64,
        /// Why.
        source: std::io::Error,
    },

    /// A worker thread could not be started.
    #[error("can't start a VU worker thread: {0}")]
    Worker(std::io::Error),

    /// The worker hosting a VU is gone (it panicked or shut down).
    #[error("the worker of VU {vu} is gone")]
    WorkerGone {
        /// The VU's id.
        vu: u64,
    },

    /// The execution plan could not be built.
    #[error("{0}")]
    Plan(String),

    /// The plan could need more VUs than this machine holds.
    #[error("{0}")]
    TooManyVus(#[from] k6r_core::capacity::TooManyVus),

    /// `setup()` or `teardown()` threw.
    #[error("{exception}")]
    Exception {
        /// `"setup"` or `"teardown"`.
        stage: &'static str,
        /// What it threw.
        exception: JsException,
    },

    /// `setup()` or `teardown()` ran out of time.
    #[error("{stage}() execution timed out after {} seconds", .after.as_secs())]
    Timeout {
        /// `"setup"` or `"teardown"`.
        stage: &'static str,
        /// The timeout.
        after: Duration,
    },

    /// `setup()` returned something JSON can't carry.
    #[error("error marshaling setup() data to JSON: {0}")]
    SetupData(String),
}

impl Error {
    /// k6's exit code for it.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Init(error) => error.exit_code(),
            Error::Exception { .. } => ExitCode::ScriptException.code(),
            Error::Timeout { stage: "setup", .. } => ExitCode::SetupTimeout.code(),
            Error::Timeout { .. } => ExitCode::TeardownTimeout.code(),
            Error::Plan(_) | Error::TooManyVus(_) => ExitCode::InvalidConfig.code(),
            Error::Stack { .. } | Error::Worker(_) | Error::WorkerGone { .. } => {
                ExitCode::Failure.code()
            }
            Error::SetupData(_) => ExitCode::Failure.code(),
        }
    }

    /// The `hint` of k6's log line for it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Init(error) => error.hint(),
            Error::Exception { .. } => Some("script exception"),
            Error::Timeout { stage: "setup", .. } => {
                Some("You can increase the time limit via the setupTimeout option")
            }
            Error::Timeout { .. } => {
                Some("You can increase the time limit via the teardownTimeout option")
            }
            _ => None,
        }
    }
}
