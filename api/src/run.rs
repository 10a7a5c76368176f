//! A distributed run on the coordinator: `POST /v1/runs` submits one,
//! `GET /v1/runs/{id}` follows it, `POST /v1/runs/{id}/stop` stops it.
//!
//! ```text
//! k6r-cli run --coordinator URL ──POST /v1/runs (RunRequest)──▶ 201 RunView
//!                                                         (409: a run is active)
//!        every second ──GET /v1/runs/{id}──▶ RunView (progress, agents)
//!        at the end   ──GET /v1/runs/{id}──▶ RunView { result: Some(..) }
//! ```
//!
//! The CLI evaluates the script's init context, consolidates and validates
//! the options, and packs the script with its local imports and `open()`ed
//! files; the coordinator never runs JavaScript. The result carries the
//! merged metrics (k6r-core's `metrics::Delta` as JSON, applied to an empty
//! registry), from which the CLI prints the summary, writes
//! `--summary-export` and runs `handleSummary`.

use std::collections::BTreeMap;

use k6r_core::metrics::{Metric, MetricType, ValueType};
use serde::{Deserialize, Serialize};

/// What the agents do when one of them is lost mid-run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnAgentLoss {
    /// End the run (exit code: k6r-core's `ExitCode::AgentLost`) with
    /// a partial summary.
    #[default]
    Abort,
    /// Keep the others running; the summary is marked partial and a run
    /// that otherwise passed exits with `ExitCode::Degraded`; a failure
    /// of its own keeps its code.
    Continue,
}

/// The body of `POST /v1/runs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    /// The script with everything it imports and `open()`s.
    pub archive: ArchiveBody,
    /// The consolidated options (k6's JSON names), scenarios derived and
    /// validated by the submitter; the coordinator validates them again.
    pub options: serde_json::Value,
    /// `__ENV` for every VU (`-e KEY=VALUE`, and the system env when asked).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The script's exported names (`setup`, `teardown`, `default`, ...).
    #[serde(default)]
    pub exports: Vec<String>,
    /// Agents to split the run over (default: the coordinator's `--agents`).
    #[serde(default)]
    pub agents: Option<usize>,
    /// Relative weights by agent name for the segment split (absent: 1).
    #[serde(default)]
    pub weights: BTreeMap<String, u32>,
    /// What to do when an agent is lost.
    #[serde(default)]
    pub on_agent_loss: OnAgentLoss,
    /// Keep the per-scenario breakdown (`--summary-mode full`).
    #[serde(default)]
    pub breakdown: bool,
    /// The custom metrics the script's init context declares: the
    /// coordinator's registry (and its thresholds) is built from them
    /// before any agent runs, as every run's is.
    #[serde(default)]
    pub metrics: Vec<MetricDeclaration>,
    /// `--autopilot`: the scenario whose rate the coordinator steers to
    /// the knee of the SLOs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autopilot: Option<AutopilotRequest>,
}

/// What `k6r-cli run --autopilot SCENARIO --slo ...` asks of the
/// coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutopilotRequest {
    /// The constant-arrival-rate scenario it steers.
    pub scenario: String,
    /// The SLOs, `METRIC: EXPRESSION` each.
    pub slos: Vec<String>,
    /// The shortest window a rate is measured over, ms (`None`: 5 s).
    #[serde(default)]
    pub window_ms: Option<u64>,
}

/// A custom metric as the script declares it (`new Trend("name", true)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricDeclaration {
    /// Its name.
    pub name: String,
    /// `counter`, `gauge`, `rate` or `trend`.
    #[serde(rename = "type")]
    pub kind: MetricType,
    /// `default`, `time` or `data`.
    pub contains: ValueType,
}

impl From<&Metric> for MetricDeclaration {
    fn from(metric: &Metric) -> Self {
        MetricDeclaration {
            name: metric.name.to_string(),
            kind: metric.kind,
            contains: metric.contains,
        }
    }
}

/// A script archive: the entry module's path and every file by path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveBody {
    /// The entry module's absolute, normalised path (a key of `files`).
    pub entry: String,
    /// Absolute, normalised paths (and the `https://` URLs of remote
    /// modules) → contents, base64 (standard alphabet, with padding) since
    /// `open()`ed files may be binary.
    pub files: BTreeMap<String, String>,
}

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Waiting for enough agents to connect.
    Waiting,
    /// Agents load the archive and initialise their VUs.
    Initializing,
    /// `setup()` runs on the lead agent.
    Setup,
    /// The scenarios run.
    Running,
    /// `teardown()` runs on the lead agent.
    Teardown,
    /// Over: [`RunView::result`] is set.
    Finished,
}

/// The body of `GET /v1/runs/{id}` (and of `POST /v1/runs`' 201).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    /// The run's id.
    pub id: String,
    /// Where it is.
    pub state: RunState,
    /// Milliseconds since the common start (0 before it).
    pub elapsed_ms: u64,
    /// Active VUs, summed over agents.
    pub vus: u64,
    /// Initialised VUs, summed over agents.
    pub vus_max: u64,
    /// Completed iterations, summed over agents.
    pub iterations: u64,
    /// Interrupted iterations, summed over agents.
    pub interrupted: u64,
    /// Every agent of the run.
    pub agents: Vec<RunAgent>,
    /// Each scenario's counters, summed over the agents that run it.
    #[serde(default)]
    pub scenarios: Vec<ScenarioView>,
    /// The spread of the agents' actual start instants, in milliseconds
    /// (set once every agent has started).
    pub start_skew_ms: Option<f64>,
    /// Set when [`RunView::state`] is [`RunState::Finished`].
    pub result: Option<RunOutcome>,
    /// The autopilot's report so far, when one steers the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autopilot: Option<k6r_core::autopilot::Report>,
}

/// One scenario of a run, its counters summed over the agents that run
/// it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioView {
    /// Its name.
    pub name: String,
    /// Its active VUs.
    pub vus: u64,
    /// Its VUs in an iteration now (arrival-rate executors).
    pub busy_vus: u64,
    /// Its complete iterations.
    pub complete: u64,
    /// Its interrupted iterations.
    pub interrupted: u64,
    /// Its dropped iterations.
    pub dropped: u64,
    /// Milliseconds since it started (up to its end) on the agent where
    /// it has run longest; `None` before it starts anywhere.
    pub elapsed_ms: Option<u64>,
    /// Whether it has ended on every agent that runs it.
    pub ended: bool,
}

/// One agent's part of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunAgent {
    /// The coordinator's id for it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its execution segment (`1/3:2/3`).
    pub segment: String,
    /// Scenarios it runs whole (externally-controlled ones).
    pub pinned: Vec<String>,
    /// Whether it runs `setup()` and `teardown()`.
    pub lead: bool,
    /// Its last reported state (`initializing`, `ready`, `running`,
    /// `paused`, `draining`, `done`), or `lost`.
    pub state: String,
    /// Its active and initialised VUs.
    pub vus: u64,
    /// Its initialised VUs.
    pub vus_max: u64,
    /// Its completed iterations.
    pub iterations: u64,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// k6's exit code for the run (thresholds included), or
    /// `ExitCode::AgentLost` or `ExitCode::Degraded` (k6r-core).
    pub exit_code: i32,
    /// Why it ended that way, for people (empty when all went well).
    pub message: String,
    /// Some agent was lost: the metrics cover only what was measured.
    pub partial: bool,
    /// The lost agents, as `name (segment) at 1.2s` (time since the
    /// common start; `before the start` when lost earlier).
    pub lost_agents: Vec<String>,
    /// Milliseconds from the common start to the end of the scenarios.
    pub duration_ms: u64,
    /// The merged metrics: k6r-core's `metrics::Delta` as JSON.
    pub metrics: serde_json::Value,
    /// `setup()`'s data as JSON text (`None`: no setup or `undefined`).
    pub setup_data: Option<String>,
    /// The live scenario changes, one summary line each (`scenario s:
    /// rate 100/s → 200/s at 3.2s`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}
