//! One module per resource; handlers only read the request, ask the
//! [`Control`](crate::Control) and shape the answer. A collection's two
//! reads (the list, one by id) answer the same way for every resource:
//! [`listed`] and [`found`].

pub mod autopilot;
pub mod groups;
pub mod metrics;
pub mod prometheus;
pub mod scenarios;
pub mod setup;
pub mod status;

use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use k6r_api::Envelope;
use serde::Serialize;

use crate::error::Error;
use crate::server::{json, TEXT};

/// The answer of `GET /v1/<collection>`.
fn listed<T: Serialize>(items: Result<Vec<T>, Error>) -> Response {
    match items {
        Ok(items) => json(&Envelope::new(items), TEXT),
        Err(e) => e.into_response(),
    }
}

/// The answer of `GET /v1/<collection>/{id}`: the item whose `id_of` is
/// the path's id, or `missing` (also for an id that does not decode, not
/// UTF-8: it names nothing).
async fn found<T: Serialize>(
    items: impl std::future::Future<Output = Result<Vec<T>, Error>>,
    id: Result<Path<String>, PathRejection>,
    id_of: impl Fn(&T) -> &str,
    missing: Error,
) -> Response {
    let Ok(Path(id)) = id else {
        return missing.into_response();
    };
    match items.await {
        Ok(items) => match items.into_iter().find(|item| id_of(item) == id) {
            Some(item) => json(&Envelope::new(item), TEXT),
            None => missing.into_response(),
        },
        Err(e) => e.into_response(),
    }
}
