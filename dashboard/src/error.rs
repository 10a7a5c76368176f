//! What can go wrong when asking the dashboard.

use axum::http::StatusCode;
use k6r_rest::Problem;

/// The dashboard's errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DashboardError {
    /// The sampler is gone (the server is shutting down).
    #[error("the dashboard has stopped")]
    Stopped,
}

impl From<DashboardError> for Problem {
    fn from(err: DashboardError) -> Problem {
        Problem::status(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
    }
}
