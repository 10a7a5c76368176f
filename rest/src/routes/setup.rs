//! `GET/PUT/POST /v1/setup`, `POST /v1/teardown`.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use k6r_api::SetupAttributes;

use crate::backend::{Control, SetupData};
use crate::error::Error;
use crate::server::{json, read_body, JSON};
use crate::setup_body;

fn answer(result: Result<SetupData, Error>) -> Response {
    match result {
        Ok(data) => json(&SetupAttributes { data }.into_envelope(), JSON),
        Err(e) => e.into_response(),
    }
}

/// The setup data.
pub async fn get(State(control): State<Control>) -> Response {
    answer(control.setup_data().await)
}

/// Replaces the setup data with the body (compacted); an empty body
/// clears it.
pub async fn put(State(control): State<Control>, body: Body) -> Response {
    let result = async {
        let body = read_body(body, "Error reading request body").await?;
        let data = setup_body::decode(&body).map_err(Error::SetupBody)?;
        control.set_setup_data(data).await
    }
    .await;
    answer(result)
}

/// Runs `setup()` again and returns its data.
pub async fn run(State(control): State<Control>) -> Response {
    answer(control.run_setup().await)
}

/// Runs `teardown()` now: 200 with an empty body.
pub async fn teardown(State(control): State<Control>) -> Response {
    match control.run_teardown().await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
