//! k6's error body: `{"errors":[{"status":"400","title":...,"detail":...}]}`
//! (the status is a *string*).

use serde::{Deserialize, Serialize};

/// One error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// The HTTP status code, as a string (`"400"`).
    pub status: String,
    /// A short summary (`Config update error`).
    pub title: String,
    /// The message (`invalid configuration supplied: ...`).
    pub detail: String,
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorsBody {
    /// Always exactly one in k6.
    pub errors: Vec<ErrorObject>,
}

impl ErrorsBody {
    /// The body of one error.
    pub fn one(status: u16, title: impl Into<String>, detail: impl Into<String>) -> ErrorsBody {
        ErrorsBody {
            errors: vec![ErrorObject {
                status: status.to_string(),
                title: title.into(),
                detail: detail.into(),
            }],
        }
    }

    /// `title: detail` of the first error: the line k6's control commands
    /// log when the server refuses a request.
    pub fn message(&self) -> Option<String> {
        self.errors
            .first()
            .map(|e| format!("{}: {}", e.title, e.detail))
    }
}
