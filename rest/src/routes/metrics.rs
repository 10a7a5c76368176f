//! `GET /v1/metrics`, `GET /v1/metrics/{id}` (the id may be a submetric
//! with braces, raw or percent-encoded: the path is decoded first).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::{found, listed};
use crate::backend::Control;
use crate::error::Error;

/// Every observed metric.
pub async fn list(State(control): State<Control>) -> Response {
    listed(control.metrics().await)
}

/// One metric by name.
pub async fn one(
    State(control): State<Control>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    found(control.metrics(), id, |m| m.id.as_str(), Error::NoMetric).await
}

/// `/v1/metrics/`: an empty id never matches.
pub async fn empty_id() -> Response {
    Error::NoMetric.into_response()
}
