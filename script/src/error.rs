//! The crate's error enum and the exit codes k6 uses for each failure.

use std::path::PathBuf;
use std::time::Duration;

use k6r_core::exit::ExitCode;

use crate::exception::JsException;
use crate::loader::ModuleError;
use crate::options::ConvertError;

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a script could not be evaluated or inspected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The entry script itself could not be found or read.
    #[error("{0}")]
    Entry(ModuleError),

    /// A module imported by the script could not be resolved or loaded.
    #[error("{error}")]
    Import {
        /// The URL of the module containing the `import`.
        importer: String,
        /// What went wrong with the imported module.
        error: ModuleError,
    },

    /// A module does not parse.
    #[error("{file}:{line}:{column}: SyntaxError: {message}")]
    Syntax {
        /// The module's URL (`file:///abs/path.js`).
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// QuickJS's description of the problem.
        message: String,
    },

    /// Init code threw an exception that nothing caught.
    #[error("{0}")]
    Exception(JsException),

    /// Init code did not finish before its deadline and was interrupted.
    #[error("the init context did not finish within {}s and was interrupted", .after.as_secs_f64())]
    Timeout {
        /// The deadline that passed.
        after: Duration,
    },

    /// Init code never settled: a top-level `await` waits for a promise
    /// that nothing can resolve.
    #[error("the init context never finished: a top-level await is waiting for a promise that is never settled")]
    Stalled,

    /// The test stopped while init code ran.
    #[error("the init context was interrupted")]
    Interrupted,

    /// Init code called `exec.test.abort()`.
    #[error("test aborted{}", .reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Aborted {
        /// The message given to `abort()`, if any.
        reason: Option<String>,
    },

    /// The exported `options` can't be turned into JSON.
    #[error("error parsing script options: {0}")]
    Options(ConvertError),

    /// The JavaScript engine failed for a reason unrelated to the script
    /// (e.g. it could not allocate a runtime).
    #[error("JavaScript engine error: {0}")]
    Engine(#[from] rquickjs::Error),

    /// VUs can't share a QuickJS runtime here (see [`crate::Host`]); the
    /// caller gives each VU a runtime of its own instead.
    #[error("can't host VUs in one runtime: {0}")]
    Host(String),

    /// The current directory could not be determined to make a relative
    /// entry path absolute.
    #[error("can't make {path} absolute: {source}")]
    Cwd {
        /// The path as given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code k6 uses for this failure: 107 for anything
    /// that went wrong while running init code (including imports that
    /// can't be found, as k6 throws those into the init code), 108 for
    /// `exec.test.abort()`, 255 for everything else (a missing entry
    /// script, options that aren't JSON).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Import { .. }
            | Error::Syntax { .. }
            | Error::Exception(_)
            | Error::Timeout { .. }
            | Error::Stalled => ExitCode::ScriptException.code(),
            Error::Aborted { .. } => ExitCode::ScriptAborted.code(),
            Error::Entry(_)
            | Error::Options(_)
            | Error::Engine(_)
            | Error::Host(_)
            | Error::Cwd { .. }
            | Error::Interrupted => ExitCode::Failure.code(),
        }
    }

    /// The `hint` k6 adds to the log line of this error, if any
    /// (`hint="script exception"` for failures of init code).
    pub fn hint(&self) -> Option<&'static str> {
        (self.exit_code() == ExitCode::ScriptException.code()).then_some("script exception")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Callers report errors across threads (and through `anyhow`).
    #[test]
    fn errors_and_scripts_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_send_sync::<crate::Script>();
        assert_send_sync::<crate::Inspection>();
    }

    #[test]
    fn exit_codes_follow_k6() {
        let missing = ModuleError::NotFound {
            specifier: "x.js".into(),
            path: "/x.js".into(),
        };
        assert_eq!(Error::Entry(missing).exit_code(), 255);
        assert_eq!(Error::Stalled.exit_code(), 107);
        assert_eq!(Error::Aborted { reason: None }.exit_code(), 108);
        assert_eq!(Error::Aborted { reason: None }.to_string(), "test aborted");
        assert_eq!(
            Error::Timeout {
                after: Duration::from_millis(1500)
            }
            .to_string(),
            "the init context did not finish within 1.5s and was interrupted"
        );
    }
}
