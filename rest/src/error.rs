//! Everything a request can fail with, mapped to k6's status code, title
//! and detail at the edge ([`IntoResponse`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// A refused control change; the backend's answer to a PATCH.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// `vus`/`vus-max` refused (`Config update error`, 400).
    #[error("{0}")]
    ConfigUpdate(String),
    /// Pause or resume refused (`Pause error`, 500).
    #[error("{0}")]
    Pause(String),
    /// `vus`/`vus-max` without an externally-controlled scenario
    /// (`Execution config error`, 500).
    #[error(
        "an externally-controlled executor needs to be configured for live configuration updates"
    )]
    NotExternallyControlled,
}

impl From<k6r_core::scale::ScaleError> for ControlError {
    fn from(e: k6r_core::scale::ScaleError) -> Self {
        ControlError::ConfigUpdate(e.0)
    }
}

/// Why `/v1/setup` or `/v1/teardown` did not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// Not now: the run's phase does not allow it (409), e.g. a
    /// coordinator whose run has ended.
    #[error("{0}")]
    Refused(String),
    /// Tried, and it failed (500): `setup()` threw, an agent did not
    /// take the data.
    #[error("{0}")]
    Failed(String),
}

impl SetupError {
    fn status(&self) -> StatusCode {
        match self {
            SetupError::Refused(_) => StatusCode::CONFLICT,
            SetupError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The backend refused a PATCH.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// The PATCH body is not a status (`Invalid data`, 400).
    #[error("{0}")]
    InvalidData(String),
    /// A body could not be read, e.g. over the size limit (400).
    #[error("{detail}")]
    ReadBody {
        /// k6's title for the route (`Couldn't read request`, ...).
        title: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// `PUT /v1/setup` with a body that is not JSON (400).
    #[error("{0}")]
    SetupBody(String),
    /// No metric with the id (404).
    #[error("No metric with that ID was found")]
    NoMetric,
    /// No group with the id (404).
    #[error("No group with that ID was found")]
    NoGroup,
    /// `PUT /v1/setup` refused (k6 never refuses one).
    #[error(transparent)]
    SetSetup(SetupError),
    /// `POST /v1/setup` failed (500) or was refused.
    #[error(transparent)]
    Setup(SetupError),
    /// `POST /v1/teardown` failed (500) or was refused.
    #[error(transparent)]
    Teardown(SetupError),
    /// A live scenario change refused (k6r's `/v1/scenarios`).
    #[error(transparent)]
    Change(k6r_core::steer::ChangeError),
    /// `GET /v1/autopilot` of a run without one (404).
    #[error("no autopilot steers this test run (k6r-cli run --autopilot SCENARIO --slo ...)")]
    NoAutopilot,
    /// The run no longer answers (its control task ended).
    #[error("the test run no longer accepts control requests")]
    Gone,
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// k6's status code and title.
    pub fn status_title(&self) -> (StatusCode, &'static str) {
        match self {
            Error::Control(ControlError::ConfigUpdate(_)) => {
                (StatusCode::BAD_REQUEST, "Config update error")
            }
            Error::Control(ControlError::Pause(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Pause error")
            }
            Error::Control(ControlError::NotExternallyControlled) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Execution config error")
            }
            Error::InvalidData(_) => (StatusCode::BAD_REQUEST, "Invalid data"),
            Error::ReadBody { title, .. } => (StatusCode::BAD_REQUEST, title),
            Error::SetupBody(_) => (StatusCode::BAD_REQUEST, "Error parsing request body"),
            Error::NoMetric | Error::NoGroup | Error::NoAutopilot => {
                (StatusCode::NOT_FOUND, "Not Found")
            }
            Error::SetSetup(e) => (e.status(), "Error setting setup data"),
            Error::Setup(e) => (e.status(), "Error executing setup"),
            Error::Teardown(e) => (e.status(), "Error executing teardown"),
            Error::Change(e) => {
                use k6r_core::steer::ChangeError as C;
                match e {
                    C::NoScenario(_) => (StatusCode::NOT_FOUND, "Not Found"),
                    C::NotStarted(_) | C::Ended(_) => {
                        (StatusCode::CONFLICT, "Scenario change error")
                    }
                    _ => (StatusCode::BAD_REQUEST, "Scenario change error"),
                }
            }
            Error::Gone => (StatusCode::SERVICE_UNAVAILABLE, "Control error"),
        }
    }

    /// The answer, with an explicit content type (PATCH errors are
    /// `application/json; charset=utf-8` in k6, the others sniffed as
    /// text).
    pub fn problem(&self, content_type: &'static str) -> Problem {
        let (status, title) = self.status_title();
        Problem::new(status, title, self.to_string()).with_content_type(content_type)
    }

    /// The response of [`problem`](Self::problem).
    pub fn response(&self, content_type: &'static str) -> Response {
        self.problem(content_type).into_response()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.response(crate::server::TEXT)
    }
}
