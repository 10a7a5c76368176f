//! `GET /v1/status`, `PATCH /v1/status`.

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::backend::Control;
use crate::error::Error;
use crate::patch;
use crate::server::{json, read_body, JSON_UTF8};

/// The status envelope.
pub async fn get(State(control): State<Control>) -> Response {
    match control.status().await {
        Ok(status) => json(&status.into_envelope(), JSON_UTF8),
        Err(e) => e.into_response(),
    }
}

/// Decodes the body as k6 does, then has the run apply it.
pub async fn patch(State(control): State<Control>, body: Body) -> Response {
    let result = async {
        let body = read_body(body, "Couldn't read request").await?;
        let patch = patch::decode(&body).map_err(Error::InvalidData)?;
        control.patch(patch).await
    }
    .await;
    match result {
        Ok(status) => json(&status.into_envelope(), JSON_UTF8),
        Err(e) => e.response(JSON_UTF8),
    }
}
