//! `GET /v1/groups`, `GET /v1/groups/{id}`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::{found, listed};
use crate::backend::Control;
use crate::error::Error;

/// The flattened group tree.
pub async fn list(State(control): State<Control>) -> Response {
    listed(control.groups().await)
}

/// One group by id (the MD5 of its path).
pub async fn one(
    State(control): State<Control>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    found(control.groups(), id, |g| g.id.as_str(), Error::NoGroup).await
}

/// `/v1/groups/`: an empty id never matches.
pub async fn empty_id() -> Response {
    Error::NoGroup.into_response()
}
