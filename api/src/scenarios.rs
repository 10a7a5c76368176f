//! k6r's `GET /v1/scenarios` and `PATCH /v1/scenarios/{name}`: every
//! scenario's executor, state, progress and current VUs / rate, and a
//! live change of one (a JSON:API body like `PATCH /v1/status`'s).
//!
//! ```text
//! {"data":[{"type":"scenarios","id":"s","attributes":{"executor":"constant-arrival-rate",
//!   "state":"running","progress":0.25,"vus":4,"rate":200,"duration":"1m0s", ...}}]}
//! PATCH {"data":{"type":"scenarios","id":"s","attributes":{"rate":200}}}
//! ```

use serde::{Deserialize, Serialize};

use crate::envelope::{Envelope, Resource};

/// One scenario, as a resource (`type` `scenarios`, `id` its name).
pub type ScenarioResource = Resource<Scenario>;

/// `GET /v1/scenarios`.
pub type ScenariosEnvelope = Envelope<Vec<ScenarioResource>>;

/// `GET /v1/scenarios/{name}` and the answer of a PATCH.
pub type ScenarioEnvelope = Envelope<ScenarioResource>;

/// A scenario's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Not started yet.
    #[default]
    Waiting,
    /// Running.
    Running,
    /// Running, paused by a live change.
    Paused,
    /// Over.
    Ended,
}

/// The attributes of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Its executor (`constant-arrival-rate`, ...).
    pub executor: String,
    /// Its state.
    pub state: State,
    /// Its progress in 0..=1.
    pub progress: f64,
    /// VUs active in it now.
    pub vus: u64,
    /// The VUs it is set to run (constant-vus).
    #[serde(
        default,
        rename = "vus-target",
        skip_serializing_if = "Option::is_none"
    )]
    pub vus_target: Option<u64>,
    /// Its rate now, iterations per second (arrival-rate executors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Its regular end from its start, k6's duration text (time-based
    /// executors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Complete iterations.
    pub iterations: u64,
    /// Dropped iterations.
    #[serde(rename = "dropped-iterations")]
    pub dropped_iterations: u64,
}

/// The attributes of `PATCH /v1/scenarios/{name}`; absent fields are left
/// alone. Durations are k6's duration text (`"30s"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioPatch {
    /// constant-arrival-rate: iterations per `timeUnit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<i64>,
    /// The unit of `rate`.
    #[serde(default, rename = "timeUnit", skip_serializing_if = "Option::is_none")]
    pub time_unit: Option<String>,
    /// Multiplies the rate or the remaining stage targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// constant-vus: the VUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vus: Option<i64>,
    /// Pause or resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// Lengthen by this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend: Option<String>,
    /// The new duration (never shorter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// The PATCH body.
pub type ScenarioPatchEnvelope = Envelope<Resource<ScenarioPatch>>;

impl ScenarioPatch {
    /// Wraps the change in its body for scenario `name`.
    pub fn into_envelope(self, name: &str) -> ScenarioPatchEnvelope {
        Envelope::new(Resource::new("scenarios", name, self))
    }
}
