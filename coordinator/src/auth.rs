//! Access control: with `--token` set, every request (gRPC or REST) must
//! carry `authorization: Bearer <token>`.
//!
//! A refusal is k6's error shape (`Unauthorized: missing token: ...` is
//! what `k6 status` and `k6r-cli status` print).
//!
//! `/healthz` and `/readyz` stay open: orchestrators probe them without
//! credentials (docker-compose healthchecks, Kubernetes probes), and they
//! reveal only an agent count. So do the dashboard's page and assets
//! (`/`, `/dashboard/*`): they are the same compiled-in files for
//! everyone, hold no data, and the page is where a person types the
//! token in; its data (`/v1/dashboard/*`) needs the token.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use k6r_rest::Problem;

use crate::config::Token;

/// Paths served without the token (besides the dashboard's page).
const OPEN_PATHS: [&str; 2] = ["/healthz", "/readyz"];

/// The middleware: lets the request through or answers 401 (REST) or
/// `UNAUTHENTICATED` (gRPC).
pub async fn require_token(
    State(token): State<Arc<Token>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if OPEN_PATHS.contains(&path) || k6r_dashboard::OPEN_PATHS.contains(&path) {
        return next.run(request).await;
    }
    let presented = request.headers().get(header::AUTHORIZATION);
    if presented.is_some_and(|value| token.matches_bearer(value.as_bytes())) {
        return next.run(request).await;
    }
    let why = match presented {
        None => {
            "missing token: send `authorization: Bearer <token>` (k6r-agent: --token or K6R_TOKEN)"
        }
        Some(_) => "wrong token in `authorization: Bearer <token>`",
    };
    tracing::warn!(path = %request.uri().path(), "refused a request: {why}");
    if k6r_listen::is_grpc(request.headers()) {
        tonic::Status::unauthenticated(why).into_http::<Body>()
    } else {
        let mut response = Problem::status(StatusCode::UNAUTHORIZED, why).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}
