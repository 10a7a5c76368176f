//! A run at one instant, as its [`Source`](crate::Source) gives it: what
//! the sampler turns into a frame, and the counts every source reads the
//! same way off a run's registry.

use k6r_api::{dashboard::FrameThreshold, RunAgent, RunState};
use k6r_core::metrics::{sink::RateSink, Builtin, Registry, Sink};

/// The percentiles of `http_req_duration` the dashboard charts.
pub const PERCENTILES: [f64; 4] = [50.0, 90.0, 95.0, 99.0];

/// A run at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSample {
    /// The run's id.
    pub id: String,
    /// Where it is.
    pub state: RunState,
    /// Paused through `PATCH /v1/status`.
    pub paused: bool,
    /// Stopped.
    pub stopped: bool,
    /// Its exit code and message once finished.
    pub outcome: Option<(i32, String)>,
    /// Milliseconds since the common start.
    pub elapsed_ms: u64,
    /// Active VUs (summed over agents on a cluster).
    pub vus: u64,
    /// Initialised VUs (summed over agents on a cluster).
    pub vus_max: u64,
    /// Completed iterations (on a cluster, summed over the agents' last
    /// status).
    pub iterations: u64,
    /// Every agent's part (none for a run on one machine).
    pub agents: Vec<RunAgent>,
    /// The merged counts so far.
    pub totals: Totals,
    /// `http_req_duration` at [`PERCENTILES`], ms (`None`: no request).
    pub latency: [Option<f64>; 4],
    /// Each threshold, as last evaluated.
    pub thresholds: Vec<FrameThreshold>,
    /// Each scenario's part, in the plan's order.
    pub scenarios: Vec<ScenarioCount>,
}

/// One scenario's counts in a [`RunSample`] (summed over agents on a
/// cluster).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioCount {
    /// Its name.
    pub name: String,
    /// Its active VUs.
    pub vus: u64,
    /// Its completed iterations.
    pub iterations: u64,
}

/// Counts of the merged metrics that the dashboard turns into rates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// `http_reqs`.
    pub http_reqs: f64,
    /// `iterations` (the merged metric: complete iterations).
    pub iterations: f64,
    /// `http_req_failed`.
    pub http_req_failed: RateSink,
    /// `checks`.
    pub checks: RateSink,
}

impl Totals {
    /// The counts in `registry`.
    pub fn of(registry: &Registry) -> Self {
        let count = |b: Builtin| match registry.sink(b.name()) {
            Some(Sink::Counter(c)) => c.count(),
            _ => 0.0,
        };
        let rate = |b: Builtin| match registry.sink(b.name()) {
            Some(Sink::Rate(r)) => *r,
            _ => RateSink::default(),
        };
        Self {
            http_reqs: count(Builtin::HttpReqs),
            iterations: count(Builtin::Iterations),
            http_req_failed: rate(Builtin::HttpReqFailed),
            checks: rate(Builtin::Checks),
        }
    }
}

/// `http_req_duration` at [`PERCENTILES`] in `registry`.
pub fn latency(registry: &Registry) -> [Option<f64>; 4] {
    match registry.sink(Builtin::HttpReqDuration.name()) {
        Some(Sink::Trend(t)) if t.count() > 0 => PERCENTILES.map(|p| Some(t.percentile(p))),
        _ => [None; 4],
    }
}
