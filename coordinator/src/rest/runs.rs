//! `/v1/runs`: submit a distributed run, follow it, stop it.
//!
//! - `POST /v1/runs` (a [`RunRequest`]) → 201 [`RunView`]; 400
//!   `{"error"}` naming the field at fault; 409 while a run is active.
//! - `GET /v1/runs` → the current (or last) run's view, as a list.
//! - `GET /v1/runs/{id}` → its view (404 for another id).
//! - `POST /v1/runs/{id}/stop` → `{"stopped":true}`, as k6 answers a stop.

use axum::{
    body::Bytes,
    extract::{self, Path},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use k6r_api::{RunRequest, RunView};

use super::{ErrorBody, State};
use crate::run::{RunError, Submission, SubmitError};

fn error(status: StatusCode, message: impl ToString) -> Response {
    (
        status,
        Json(ErrorBody {
            error: message.to_string(),
        }),
    )
        .into_response()
}

impl IntoResponse for RunError {
    fn into_response(self) -> Response {
        let status = match &self {
            RunError::InProgress(_) => StatusCode::CONFLICT,
            RunError::NotFound(_) => StatusCode::NOT_FOUND,
            RunError::Stopped(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        error(status, self)
    }
}

/// `POST /v1/runs`.
pub async fn submit(extract::State(state): extract::State<State>, body: Bytes) -> Response {
    let request: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, SubmitError::Body(e.to_string())),
    };
    let submission = match Submission::try_from(request) {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match state.runs.submit(submission).await {
        Ok(view) => (StatusCode::CREATED, Json(view)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /v1/runs`.
pub async fn list(
    extract::State(state): extract::State<State>,
) -> Result<Json<Vec<RunView>>, RunError> {
    Ok(Json(state.runs.list().await?))
}

/// `GET /v1/runs/{id}`.
pub async fn get(
    extract::State(state): extract::State<State>,
    Path(id): Path<String>,
) -> Result<Json<RunView>, RunError> {
    Ok(Json(state.runs.view(&id).await?))
}

/// The body of a successful stop.
#[derive(Debug, serde::Serialize)]
pub struct Stopped {
    /// Always `true`.
    pub stopped: bool,
}

/// `POST /v1/runs/{id}/stop`.
pub async fn stop(
    extract::State(state): extract::State<State>,
    Path(id): Path<String>,
) -> Result<Json<Stopped>, RunError> {
    state.runs.stop(&id).await?;
    Ok(Json(Stopped { stopped: true }))
}
