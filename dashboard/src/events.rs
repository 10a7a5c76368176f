//! `GET /v1/dashboard/events`: the frames as server-sent events.
//!
//! Each viewer's stream forwards the latest published bytes (a clone of
//! a `Bytes`, never a serialization of its own): a slow viewer skips
//! frames instead of queueing them. At most [`MAX_VIEWERS`] streams are
//! open at once (the next gets 503), and every stream ends when the
//! coordinator stops, so the server's drain never waits on a viewer.

use std::convert::Infallible;

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use k6r_rest::Problem;

use super::{Dashboard, MAX_VIEWERS};

pub(super) async fn events(State(dashboard): State<Dashboard>) -> Response {
    let Ok(permit) = dashboard.viewers.clone().try_acquire_owned() else {
        return Problem::status(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("too many dashboard viewers (at most {MAX_VIEWERS}); close one and retry"),
        )
        .into_response();
    };
    let mut frames = dashboard.frames.clone();
    // The current frame first, then each new one.
    frames.mark_changed();
    let stop = dashboard.stop.clone();
    let stream = futures_util::stream::unfold(
        (frames, stop, permit),
        |(mut frames, stop, permit)| async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return None,
                    changed = frames.changed() => changed.ok()?,
                }
                let event: Bytes = frames.borrow_and_update().clone();
                // Before the first tick there is nothing to send.
                if !event.is_empty() {
                    return Some((Ok::<_, Infallible>(event), (frames, stop, permit)));
                }
            }
        },
    );
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
