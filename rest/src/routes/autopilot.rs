//! k6r's `GET /v1/autopilot`: the autopilot's report so far (its phase,
//! knee, held rate, what limits it and every window), as a resource of
//! type `autopilot` whose id is the scenario it steers.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use k6r_api::{Envelope, Resource};

use crate::backend::Control;
use crate::error::Error;
use crate::server::{json, TEXT};

/// The report, or 404 when no autopilot steers the run.
pub async fn get(State(control): State<Control>) -> Response {
    match control.autopilot().await {
        Ok(Some(report)) => {
            let id = report.scenario.clone();
            json(&Envelope::new(Resource::new("autopilot", id, report)), TEXT)
        }
        Ok(None) => Error::NoAutopilot.into_response(),
        Err(e) => e.into_response(),
    }
}
