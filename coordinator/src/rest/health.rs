//! `/healthz` (the process serves) and `/readyz` (enough agents are
//! connected to start a run).

use axum::{extract, http::StatusCode};

use super::State;

pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

pub(super) async fn readyz(extract::State(state): extract::State<State>) -> (StatusCode, String) {
    let connected = state.registry.connected();
    let wanted = state.wanted.get();
    if connected >= wanted {
        (
            StatusCode::OK,
            format!("ready: {connected} of {wanted} agents connected\n"),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {connected} of {wanted} agents connected (--agents {wanted})\n"),
        )
    }
}
