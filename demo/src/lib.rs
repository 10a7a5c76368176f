//! k6r's demo target: the HTTP server the examples and the compose
//! cluster aim at, so a load test never needs the internet.
//!
//! Routes:
//! - `GET /`: a small HTML page;
//! - `GET /json`: a JSON document;
//! - `GET /delay/{ms}`: answers after `ms` milliseconds (at most 10 s);
//! - `GET /status/{code}`: answers with that status (100–599);
//! - `POST /echo`: answers with the request's body;
//! - `GET /stats`: `{"requests": N}`, the requests served so far (this
//!   one excluded), for tests that check a load really arrived;
//! - `GET /ws/echo`: a WebSocket echo that can also send messages and
//!   pings and close (cleanly with a code, or abruptly) on request
//!   ([`ws`]);
//! - `GET /ws/room`: a WebSocket chat room, every message to every socket
//!   ([`room`]).
//!
//! Over HTTPS ([`tls`]) it speaks HTTP/2 or HTTP/1.1 by ALPN with a
//! throwaway certificate authority.
//!
//! # Layout
//! - `lib.rs`: [`router`] and [`serve`].
//! - [`tls`]: [`tls::Identity`] (the throwaway authority and its
//!   certificates) and [`tls::serve_tls`].
//! - [`grpc`]: the gRPC service `k6r.demo.Demo` with server reflection,
//!   on a port of its own (`--grpc-listen`).
//! - [`route_guide`]: the route guide services of k6's gRPC examples.
//! - [`ws`]: the WebSocket echo.
//! - [`room`]: the WebSocket chat room.
//! - [`in_process`]: any of its servers inside a test's process.
//! - [`legacy_tls`]: `openssl s_server` with a throwaway RSA authority,
//!   for tests of legacy TLS (RSA key exchange, TLS 1.0).
//! - `main.rs`: the `k6r-demo-target` binary (`--listen`, `--tls-dir`).
#![warn(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub mod grpc;
pub mod in_process;
pub mod legacy_tls;
pub mod room;
pub mod route_guide;
pub mod tls;
pub mod ws;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The longest `/delay/{ms}` honoured.
pub const MAX_DELAY: Duration = Duration::from_secs(10);

const PAGE: &str = "<!doctype html>\n<html><head><title>k6r demo target</title></head>\n\
<body><h1>k6r demo target</h1>\n<ul><li><a href=\"/json\">/json</a></li>\
<li><a href=\"/delay/100\">/delay/100</a></li><li><a href=\"/status/404\">/status/404</a></li></ul>\n\
</body></html>\n";

/// The requests served so far.
#[derive(Clone, Debug, Default)]
struct Served(Arc<AtomicU64>);

/// The demo target's routes.
pub fn router() -> Router {
    let served = Served::default();
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/json", get(json))
        .route("/delay/{ms}", get(delay))
        .route("/status/{code}", get(status))
        .route("/echo", post(echo))
        .route("/ws/echo", get(ws::echo))
        .route(
            "/ws/room",
            get(room::join).with_state(room::Room::default()),
        )
        .route_layer(middleware::from_fn_with_state(served.clone(), count))
        .route("/stats", get(stats))
        .with_state(served)
}

/// Serves `listener` until `shutdown` is cancelled, then lets open
/// requests finish.
pub async fn serve(listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
    // TCP_NODELAY, as most servers set it: a load generator measures the
    // target, not Nagle's algorithm against its delayed ACKs.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router())
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn count(State(served): State<Served>, request: Request, next: Next) -> Response {
    served.0.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

async fn stats(State(served): State<Served>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "requests": served.0.load(Ordering::Relaxed) }))
}

async fn json() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": "k6r demo target",
        "items": [
            {"id": 1, "name": "first"},
            {"id": 2, "name": "second"},
            {"id": 3, "name": "third"}
        ]
    }))
}

async fn delay(Path(ms): Path<u64>) -> impl IntoResponse {
    let wait = Duration::from_millis(ms).min(MAX_DELAY);
    tokio::time::sleep(wait).await;
    format!("waited {} ms\n", wait.as_millis())
}

async fn status(Path(code): Path<u16>) -> Response {
    match StatusCode::from_u16(code) {
        Ok(status) if (100..600).contains(&code) => {
            (status, format!("status {code}\n")).into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "the status must be 100-599\n").into_response(),
    }
}

async fn echo(body: Bytes) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/octet-stream")], body)
}
