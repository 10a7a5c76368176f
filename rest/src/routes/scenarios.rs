//! k6r's `GET /v1/scenarios[/{name}]` and `PATCH /v1/scenarios/{name}`.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use k6r_api::Envelope;

use super::{found, listed};
use crate::backend::Control;
use crate::error::Error;
use crate::scenario_patch;
use crate::server::{json, read_body, JSON_UTF8};
use k6r_core::steer::ChangeError;

/// Every scenario.
pub async fn list(State(control): State<Control>) -> Response {
    listed(control.scenarios().await)
}

/// One scenario by name.
pub async fn one(
    State(control): State<Control>,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let missing = match &name {
        Ok(Path(name)) => ChangeError::NoScenario(name.clone()),
        Err(_) => ChangeError::NoScenario(String::new()),
    };
    found(
        control.scenarios(),
        name,
        |s| s.id.as_str(),
        Error::Change(missing),
    )
    .await
}

/// Decodes the change, then has the run apply it; answers with the
/// scenario after it.
pub async fn patch(
    State(control): State<Control>,
    name: Result<Path<String>, PathRejection>,
    body: Body,
) -> Response {
    let result = async {
        let Ok(Path(name)) = name else {
            return Err(Error::Change(ChangeError::NoScenario(String::new())));
        };
        let body = read_body(body, "Couldn't read request").await?;
        let change = scenario_patch::decode(&body, &name)?;
        control.patch_scenario(name, change).await
    }
    .await;
    match result {
        Ok(scenario) => json(&Envelope::new(scenario), JSON_UTF8),
        Err(e) => e.response(JSON_UTF8),
    }
}

/// `/v1/scenarios/`: an empty name never matches.
pub async fn empty_name() -> Response {
    Error::Change(ChangeError::NoScenario(String::new())).into_response()
}
