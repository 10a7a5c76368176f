//! The axum app: k6's routes, its 404/405/redirect/`ok` quirks, the body
//! limit, and [`serve`].

use std::future::Future;

use axum::body::Body;
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use serde::Serialize;
use tokio::net::TcpListener;

use crate::backend::Control;
use crate::error::Error;
use crate::problem::Problem;
use crate::routes;

/// `GET /v1/status` and every `PATCH /v1/status` response.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";
/// `/v1/setup` success.
pub const JSON: &str = "application/json";
/// What Go sniffs for the other bodies.
pub const TEXT: &str = "text/plain; charset=utf-8";

/// The largest request body read (k6 has no limit; k6r refuses more with
/// the route's read-error row, detail `http: request body too large` as
/// Go's `MaxBytesReader` says it).
pub const MAX_BODY: usize = 1 << 20;

/// Serves the API on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish. Slow and idle clients are closed by
/// `k6r-listen`'s limits for this process.
pub async fn serve(
    listener: TcpListener,
    control: Control,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = k6r_listen::Limits::for_this_process();
    k6r_listen::serve(listener, router(control), limits, shutdown).await;
    Ok(())
}

/// Serves the API and `routes` (pages beside it, such as the dashboard;
/// they must not have a fallback of their own) on `listener`, as
/// [`serve`] does.
pub async fn serve_with(
    listener: TcpListener,
    control: Control,
    routes: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = k6r_listen::Limits::for_this_process();
    k6r_listen::serve(listener, router(control).merge(routes), limits, shutdown).await;
    Ok(())
}

/// The app, for embedding in another server.
pub fn router(control: Control) -> Router {
    Router::new()
        .route(
            "/v1/status",
            read(routes::status::get).patch(routes::status::patch),
        )
        .route("/v1/metrics", read(routes::metrics::list))
        .route("/v1/metrics/", read(routes::metrics::empty_id))
        .route("/v1/metrics/{id}", read(routes::metrics::one))
        .route("/metrics", read(routes::prometheus::get))
        .route("/v1/groups", read(routes::groups::list))
        .route("/v1/groups/", read(routes::groups::empty_id))
        .route("/v1/groups/{id}", read(routes::groups::one))
        .route(
            "/v1/setup",
            read(routes::setup::get)
                .post(routes::setup::run)
                .put(routes::setup::put),
        )
        .route("/v1/scenarios", read(routes::scenarios::list))
        .route("/v1/scenarios/", read(routes::scenarios::empty_name))
        .route(
            "/v1/scenarios/{name}",
            read(routes::scenarios::one).patch(routes::scenarios::patch),
        )
        .route("/v1/autopilot", read(routes::autopilot::get))
        .route(
            "/v1/teardown",
            on(MethodFilter::POST, routes::setup::teardown),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(fallback)
        .with_state(control)
}

/// A JSON body with an explicit content type.
pub fn json<T: Serialize>(value: &T, content_type: &'static str) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => with_type(StatusCode::OK, body, content_type),
        Err(e) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Encoding error",
            e.to_string(),
        )
        .with_content_type(TEXT)
        .into_response(),
    }
}

fn with_type(status: StatusCode, body: impl Into<Body>, content_type: &'static str) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Reads a body of at most [`MAX_BODY`] bytes; `title` is the route's
/// read-error title.
pub async fn read_body(body: Body, title: &'static str) -> Result<axum::body::Bytes, Error> {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| Error::ReadBody {
            title,
            detail: if is_too_large(&e) {
                "http: request body too large".to_string()
            } else {
                e.to_string()
            },
        })
}

fn is_too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.to_string().contains("length limit exceeded") {
            return true;
        }
        source = err.source();
    }
    false
}

/// 405 with an empty body and no headers but the length, as k6.
async fn method_not_allowed() -> Response {
    StatusCode::METHOD_NOT_ALLOWED.into_response()
}

/// Go's mux: `/v1` redirects, other `/v1/...` paths are `404 page not
/// found`, and everything else answers `ok` (k6's catch-all).
async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if path == "/v1" {
        let mut response = with_type(
            StatusCode::MOVED_PERMANENTLY,
            if method == Method::GET {
                "<a href=\"/v1/\">Moved Permanently</a>.\n\n"
            } else {
                ""
            },
            "text/html; charset=utf-8",
        );
        response
            .headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/v1/"));
        return response;
    }
    if path.starts_with("/v1/") {
        let mut response = with_type(StatusCode::NOT_FOUND, "404 page not found\n", TEXT);
        response.headers_mut().insert(
            header::HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        );
        return response;
    }
    if path.starts_with("/debug/pprof") {
        return with_type(
            StatusCode::OK,
            "To enable profiling, please run k6 with the --profiling-enabled flag",
            TEXT,
        );
    }
    with_type(StatusCode::OK, "ok", TEXT)
}

/// A GET route without HEAD: k6 answers 405 where axum would route HEAD
/// to the GET handler.
fn read<H, T>(handler: H) -> MethodRouter<Control>
where
    H: Handler<T, Control>,
    T: 'static,
{
    on(MethodFilter::GET, handler).head(method_not_allowed)
}
