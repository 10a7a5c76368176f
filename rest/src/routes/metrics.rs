//! `GET /v1/metrics`, `GET /v1/metrics/{id}` (the id may be a submetric
//! with braces, raw or percent-encoded: the path is decoded first).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use k6r_api::Envelope;

use crate::backend::Control;
use crate::error::Error;
use crate::server::{json, TEXT};

/// Every observed metric.
pub async fn list(State(control): State<Control>) -> Response {
    match control.metrics().await {
        Ok(metrics) => json(&Envelope::new(metrics), TEXT),
        Err(e) => e.into_response(),
    }
}

/// One metric by name.
pub async fn one(
    State(control): State<Control>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    // An id that does not decode (not UTF-8) names no metric.
    let Ok(Path(id)) = id else {
        return Error::NoMetric.into_response();
    };
    match control.metrics().await {
        Ok(metrics) => match metrics.into_iter().find(|m| m.id == id) {
            Some(metric) => json(&Envelope::new(metric), TEXT),
            None => Error::NoMetric.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

/// `/v1/metrics/`: an empty id never matches.
pub async fn empty_id() -> Response {
    Error::NoMetric.into_response()
}
