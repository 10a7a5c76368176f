//! `GET /v1/groups`, `GET /v1/groups/{id}`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use k6r_api::Envelope;

use crate::backend::Control;
use crate::error::Error;
use crate::server::{json, TEXT};

/// The flattened group tree.
pub async fn list(State(control): State<Control>) -> Response {
    match control.groups().await {
        Ok(groups) => json(&Envelope::new(groups), TEXT),
        Err(e) => e.into_response(),
    }
}

/// One group by id (the MD5 of its path).
pub async fn one(
    State(control): State<Control>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    // An id that does not decode (not UTF-8) names no group.
    let Ok(Path(id)) = id else {
        return Error::NoGroup.into_response();
    };
    match control.groups().await {
        Ok(groups) => match groups.into_iter().find(|g| g.id == id) {
            Some(group) => json(&Envelope::new(group), TEXT),
            None => Error::NoGroup.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

/// `/v1/groups/`: an empty id never matches.
pub async fn empty_id() -> Response {
    Error::NoGroup.into_response()
}
