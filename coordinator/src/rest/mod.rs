//! The REST API (axum): `GET /v1/agents`, `/v1/runs` (submit, follow and
//! stop a distributed run), `/healthz` and `/readyz`; plus k6's control
//! API over the current run ([`cluster`], mounted by the server).
//!
//! The response types are plain serde structs; they move to the
//! serde-only `k6r-api` crate when the CLI starts reading them.

mod agents;
pub mod cluster;
mod health;
pub mod runs;

use std::num::NonZeroUsize;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};

use crate::{error::Error, registry::RegistryHandle, run::RunsHandle};

pub use agents::AgentView;

/// What every REST handler can reach.
#[derive(Clone, Debug)]
pub struct State {
    /// The agent registry.
    pub registry: RegistryHandle,
    /// Agents needed for `/readyz`.
    pub wanted: NonZeroUsize,
    /// The runs.
    pub runs: RunsHandle,
}

/// The REST routes.
pub fn router(state: State) -> Router {
    Router::new()
        .route("/v1/agents", get(agents::list))
        .route("/v1/runs", get(runs::list).post(runs::submit))
        .route("/v1/runs/{id}", get(runs::get))
        .route("/v1/runs/{id}/stop", post(runs::stop))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
}

/// A REST error body: `{"error": "..."}`.
#[derive(Debug, serde::Serialize)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub error: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match self {
            Error::RegistryStopped | Error::RunsStopped => StatusCode::SERVICE_UNAVAILABLE,
            Error::AgentsMissing { .. } => StatusCode::GATEWAY_TIMEOUT,
            Error::AgentNotConnected { .. } => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (
            status,
            Json(ErrorBody {
                error: self.to_string(),
            }),
        )
            .into_response()
    }
}
