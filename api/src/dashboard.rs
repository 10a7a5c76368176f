//! The coordinator's live dashboard: one [`Frame`] a second over
//! `GET /v1/dashboard/events` (server-sent events), and the run's
//! history of [`Point`]s (`GET /v1/dashboard/history`, and inlined in the
//! saved report of `GET /v1/dashboard/report`).
//!
//! Rates are per second over the last sampling interval; latency
//! percentiles are `http_req_duration`'s over the whole run so far (the
//! merged histograms), in milliseconds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::RunState;

/// What the dashboard shows at one instant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The sampler's tick (one a second since the coordinator started).
    pub tick: u64,
    /// The current (or last) run; `None` before the first submission.
    pub run: Option<FrameRun>,
    /// Every agent connected now (or known and gone), with the run's
    /// part of it when it is in the run.
    pub agents: Vec<FrameAgent>,
}

/// The current (or last) run in a [`Frame`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameRun {
    /// The run's id.
    pub id: String,
    /// Where it is.
    pub state: RunState,
    /// Paused through `PATCH /v1/status`.
    pub paused: bool,
    /// Stopped (`stopped: true`, or the coordinator's shutdown).
    pub stopped: bool,
    /// Its exit code once finished.
    pub exit_code: Option<i32>,
    /// Why it ended that way (empty when all went well).
    pub message: String,
    /// The numbers charted.
    pub point: Point,
    /// Completed iterations, summed over agents.
    pub iterations: u64,
    /// Requests made (`http_reqs`).
    pub http_reqs: u64,
    /// Each threshold and whether it failed at its last evaluation.
    pub thresholds: Vec<FrameThreshold>,
    /// The autopilot, when one steers the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autopilot: Option<FrameAutopilot>,
}

/// The charted numbers of one instant (or of a few merged ones).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Milliseconds since the run's common start.
    pub elapsed_ms: u64,
    /// Active VUs.
    pub vus: u64,
    /// Initialised VUs.
    pub vus_max: u64,
    /// Requests a second (`http_reqs`).
    pub http_reqs_rate: f64,
    /// Completed iterations a second.
    pub iterations_rate: f64,
    /// `http_req_duration`'s `p(50)`, ms (`None` before any request).
    pub p50: Option<f64>,
    /// `p(90)`, ms.
    pub p90: Option<f64>,
    /// `p(95)`, ms.
    pub p95: Option<f64>,
    /// `p(99)`, ms.
    pub p99: Option<f64>,
    /// Failed requests' share (`http_req_failed`), `None` without
    /// requests in the interval.
    pub http_req_failed: Option<f64>,
    /// Passed checks' share, `None` without checks in the interval.
    pub checks: Option<f64>,
    /// Each scenario's part, by name.
    #[serde(default)]
    pub scenarios: BTreeMap<String, PartPoint>,
    /// Each agent's part, by name (none on one machine).
    #[serde(default)]
    pub agents: BTreeMap<String, PartPoint>,
}

/// One part's charted numbers in a [`Point`]: a scenario's, or an
/// agent's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartPoint {
    /// Its active VUs.
    pub vus: u64,
    /// Its completed iterations a second.
    pub iterations_rate: f64,
    /// Its requests a second (`None`: its requests are not known apart).
    #[serde(default)]
    pub http_reqs_rate: Option<f64>,
    /// Its `http_req_duration` `p(95)` so far, ms.
    #[serde(default)]
    pub p95: Option<f64>,
    /// Its failed requests' share in the interval.
    #[serde(default)]
    pub http_req_failed: Option<f64>,
    /// Its passed checks' share in the interval.
    #[serde(default)]
    pub checks: Option<f64>,
}

/// One agent in a [`Frame`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameAgent {
    /// Its name.
    pub name: String,
    /// Its state in the run (`running`, `lost`, ...), else its
    /// connection's (`connected`, `lost`, `disconnected`).
    pub state: String,
    /// Its active VUs in the run.
    pub vus: u64,
    /// Its completed iterations in the run.
    pub iterations: u64,
    /// Logical CPUs it reported.
    pub cpus: u32,
    /// Seconds since it was last heard from (`None`: not known to the
    /// registry).
    pub heartbeat_age_secs: Option<f64>,
}

/// One threshold in a [`Frame`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameThreshold {
    /// The metric (or submetric) it is on.
    pub metric: String,
    /// Its expression (`p(95)<500`).
    pub source: String,
    /// Whether it failed at its last evaluation.
    pub failing: bool,
}

/// The autopilot in a [`Frame`]: where it is and its last decision (the
/// windows themselves are in `GET /v1/autopilot`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameAutopilot {
    /// The scenario it steers.
    pub scenario: String,
    /// `grow`, `descend`, `narrow` or `hold`.
    pub phase: String,
    /// The rate it runs now, per second.
    pub rate: f64,
    /// The highest rate at which every SLO held so far.
    pub knee_rate: Option<f64>,
    /// The rate held.
    pub held_rate: Option<f64>,
    /// `generator` or the SLO that limits the rate.
    pub limiting: Option<String>,
    /// The outcome in words.
    pub verdict: String,
    /// How many windows it measured.
    pub windows: usize,
    /// The last window's outcome (`held`, `breached: SLO`, `generator: ...`).
    pub last: Option<String>,
}

impl From<&k6r_core::autopilot::Report> for FrameAutopilot {
    fn from(report: &k6r_core::autopilot::Report) -> Self {
        FrameAutopilot {
            scenario: report.scenario.clone(),
            phase: report.phase.name().to_string(),
            rate: report.rate,
            knee_rate: report.knee_rate,
            held_rate: report.held_rate,
            limiting: report.limiting.as_ref().map(|l| l.short().to_string()),
            verdict: report.verdict.clone(),
            windows: report.windows.len(),
            last: report.windows.last().map(|w| w.outcome.clone()),
        }
    }
}

/// A run's charted history, and its last frame: the body of
/// `GET /v1/dashboard/history` and the data of the saved report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The latest frame.
    pub frame: Frame,
    /// The run's points, oldest first (merged pairwise as they grow
    /// past the coordinator's bound).
    pub points: Vec<Point>,
}
