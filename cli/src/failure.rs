//! A command's failure, as the user sees it: one log line and an exit code.

use k6r_core::options::OptionsError;

/// What went wrong: the message of the error log line, its extra fields
/// and k6's exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The `msg` of the log line.
    pub message: String,
    /// Extra fields (`hint=...`).
    pub fields: Vec<(String, String)>,
    /// The process exit code.
    pub code: i32,
}

impl Failure {
    /// A failure with a message and a code.
    pub fn new(code: impl Into<i32>, message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            fields: Vec::new(),
            code: code.into(),
        }
    }

    /// Adds a log field.
    pub fn with_field(mut self, key: &str, value: impl Into<String>) -> Failure {
        self.fields.push((key.to_string(), value.into()));
        self
    }

    /// An options error, prefixed the way k6 reports errors found while
    /// loading `script` (given as the user wrote it, at `url`).
    pub fn options(error: OptionsError, script: &str, url: &str) -> Failure {
        let code = error.exit_code();
        if error.is_load_error() {
            Failure::new(
                code,
                format!("could not initialize '{script}': could not load JS test '{url}': {error}"),
            )
        } else {
            Failure::new(code, error.to_string())
        }
    }
}
