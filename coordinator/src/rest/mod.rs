//! The REST API (axum): `GET /v1/agents`, `/healthz` and `/readyz`.
//!
//! The response types are plain serde structs; they move to the
//! serde-only `k6r-api` crate when the CLI starts reading them.

mod agents;
mod health;

use std::num::NonZeroUsize;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};

use crate::{error::Error, registry::RegistryHandle};

pub use agents::AgentView;

/// What every REST handler can reach.
#[derive(Clone, Debug)]
pub struct State {
    /// The agent registry.
    pub registry: RegistryHandle,
    /// Agents needed for `/readyz`.
    pub wanted: NonZeroUsize,
}

/// The REST routes.
pub fn router(state: State) -> Router {
    Router::new()
        .route("/v1/agents", get(agents::list))
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
            Error::RegistryStopped => StatusCode::SERVICE_UNAVAILABLE,
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
