//! `GET /metrics`: the run's metrics in the Prometheus (OpenMetrics) text
//! format, for a Prometheus server to scrape.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::backend::Control;

/// The exposition of the backend's families.
pub async fn get(State(control): State<Control>) -> Response {
    match control.families().await {
        Ok(families) => {
            let mut response =
                (StatusCode::OK, k6r_prometheus::exposition::encode(families)).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(k6r_prometheus::exposition::CONTENT_TYPE),
            );
            response
        }
        Err(e) => e.into_response(),
    }
}
