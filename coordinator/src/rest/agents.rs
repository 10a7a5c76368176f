//! `GET /v1/agents`: every agent known since the coordinator started.

use axum::{extract, Json};

use super::State;
use crate::{
    error::Result,
    registry::{AgentInfo, AgentState, Capacity},
};

/// One agent in `GET /v1/agents`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AgentView {
    /// The coordinator's id (`agent-1`), stable by name.
    pub id: String,
    /// The agent's name.
    pub name: String,
    /// The agent's k6r version.
    pub version: String,
    /// CPUs, memory and VU limit it reported.
    pub capacity: Capacity,
    /// `connected`, `lost` or `disconnected`.
    pub state: AgentState,
    /// Seconds since it was last heard from.
    pub last_heartbeat_age_secs: f64,
    /// When its current (or last) session started (RFC 3339, UTC).
    pub connected_since: String,
}

impl From<AgentInfo> for AgentView {
    fn from(info: AgentInfo) -> Self {
        Self {
            id: info.id.to_string(),
            name: info.name,
            version: info.version.text,
            capacity: info.capacity,
            state: info.state,
            last_heartbeat_age_secs: info.last_heartbeat_age.as_secs_f64(),
            connected_since: humantime::format_rfc3339_millis(info.connected_since).to_string(),
        }
    }
}

pub(super) async fn list(
    extract::State(state): extract::State<State>,
) -> Result<Json<Vec<AgentView>>> {
    let agents = state.registry.list().await?;
    Ok(Json(agents.into_iter().map(AgentView::from).collect()))
}
