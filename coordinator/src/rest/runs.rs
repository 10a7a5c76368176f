//! `/v1/runs`: submit a distributed run, follow it, stop it.
//!
//! - `POST /v1/runs` (a [`RunRequest`]) → 201 [`RunView`]; 400 naming
//!   the field at fault; 409 while a run is active; 413 over the body
//!   limit.
//! - `GET /v1/runs` → the current (or last) run's view, as a list.
//! - `GET /v1/runs/{id}` → its view (404 for another id).
//! - `POST /v1/runs/{id}/stop` → `{"stopped":true}`, as k6 answers a stop.
//!
//! Errors are [`Problem`]s: k6's error shape.

use axum::{
    body::Bytes,
    extract::{
        self,
        rejection::{BytesRejection, PathRejection},
        Path,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use k6r_api::{RunRequest, RunView};
use k6r_rest::Problem;

use super::State;
use crate::run::{RunError, Submission, SubmitError};

impl From<RunError> for Problem {
    fn from(err: RunError) -> Problem {
        let status = match &err {
            RunError::InProgress(_) => StatusCode::CONFLICT,
            RunError::NotFound(_) => StatusCode::NOT_FOUND,
            RunError::Stopped(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        Problem::status(status, err.to_string())
    }
}

impl From<SubmitError> for Problem {
    fn from(err: SubmitError) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "Invalid run request",
            err.to_string(),
        )
    }
}

/// `POST /v1/runs`.
pub async fn submit(
    extract::State(state): extract::State<State>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the run request (the script, its modules and the files it opens, in base64) is \
                 over this coordinator's limit of {} MiB (--max-bundle-mib)",
                state.max_bundle >> 20
            ),
        ),
        _ => Problem::from(rejection),
    })?;
    // Decoding up to a GiB of base64 and checking the options (segments,
    // plans) takes CPU time: off the threads that serve agents.
    let decoded = tokio::task::spawn_blocking(move || {
        let request: RunRequest =
            serde_json::from_slice(&body).map_err(|e| SubmitError::Body(e.to_string()))?;
        Submission::try_from(request)
    })
    .await;
    let submission = decoded.map_err(|e| {
        Problem::status(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("checking the run request failed: {e}"),
        )
    })??;
    let view = state.runs.submit(submission).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET /v1/runs`.
pub async fn list(
    extract::State(state): extract::State<State>,
) -> Result<Json<Vec<RunView>>, Problem> {
    Ok(Json(state.runs.list().await?))
}

/// `GET /v1/runs/{id}`.
pub async fn get(
    extract::State(state): extract::State<State>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<RunView>, Problem> {
    let Path(id) = id?;
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
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Stopped>, Problem> {
    let Path(id) = id?;
    state.runs.stop(&id).await?;
    Ok(Json(Stopped { stopped: true }))
}
