//! The REST API (axum): `GET /v1/agents`, `/v1/runs` (submit, follow and
//! stop a distributed run), `/healthz` and `/readyz`; plus k6's control
//! API over the current run ([`cluster`], mounted by the server).
//!
//! The response types are plain serde structs; they move to the
//! serde-only `k6r-api` crate when the CLI starts reading them. Every
//! error is a [`Problem`]: k6's error shape, which k6's client and
//! `k6r-cli` print as `title: detail`.

mod agents;
pub mod cluster;
mod health;
pub mod runs;

use std::num::NonZeroUsize;

use axum::{
    http::{Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use k6r_rest::Problem;

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
    /// The largest run request, in bytes.
    pub max_bundle: usize,
}

/// The REST routes.
pub fn router(state: State) -> Router {
    Router::new()
        .route("/v1/agents", get(agents::list))
        .route(
            "/v1/runs",
            get(runs::list)
                .post(runs::submit)
                .layer(axum::extract::DefaultBodyLimit::max(state.max_bundle)),
        )
        .route("/v1/runs/{id}", get(runs::get))
        .route("/v1/runs/{id}/stop", post(runs::stop))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// 405 on k6r's own routes, in k6's error shape (k6's routes keep k6's
/// empty 405); axum adds the `Allow` header.
async fn method_not_allowed(method: Method, uri: Uri) -> Problem {
    Problem::status(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

impl From<Error> for Problem {
    fn from(err: Error) -> Problem {
        let status = match err {
            Error::RegistryStopped | Error::RunsStopped => StatusCode::SERVICE_UNAVAILABLE,
            Error::AgentsMissing { .. } => StatusCode::GATEWAY_TIMEOUT,
            Error::AgentNotConnected { .. } => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem::status(status, err.to_string())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
