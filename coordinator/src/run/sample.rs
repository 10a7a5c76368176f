//! A run for the dashboard: what the sampler turns into a frame, read
//! off the actor's state in one step (no view, no merged metrics JSON).

use k6r_api::{dashboard::FrameThreshold, RunAgent, RunState};
use k6r_core::metrics::{sink::RateSink, Builtin, Registry, Sink};

use super::{actor::RunActor, view::saturating_sum};

/// The percentiles of `http_req_duration` the dashboard charts.
pub const PERCENTILES: [f64; 4] = [50.0, 90.0, 95.0, 99.0];

/// A run at one instant, for the dashboard.
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
    /// Active VUs, summed over agents.
    pub vus: u64,
    /// Initialised VUs, summed over agents.
    pub vus_max: u64,
    /// Completed iterations, summed over agents (their last status).
    pub iterations: u64,
    /// Every agent's part.
    pub agents: Vec<RunAgent>,
    /// The merged counts so far.
    pub totals: Totals,
    /// `http_req_duration` at [`PERCENTILES`], ms (`None`: no request).
    pub latency: [Option<f64>; 4],
    /// Each threshold, as last evaluated.
    pub thresholds: Vec<FrameThreshold>,
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

impl RunActor {
    /// The run now, for the dashboard.
    pub(super) fn sample(&self) -> RunSample {
        let merged = &self.submission.merged;
        let registry = merged.registry();
        let thresholds = merged
            .thresholds()
            .map(|t| {
                t.metrics
                    .iter()
                    .flat_map(|m| {
                        m.thresholds.iter().map(|t| FrameThreshold {
                            metric: m.key.clone(),
                            source: t.source.clone(),
                            failing: t.last_failed,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        RunSample {
            id: self.id.clone(),
            state: self.run_state(),
            paused: self.paused,
            stopped: self.stopped,
            outcome: self
                .outcome
                .as_ref()
                .map(|o| (o.exit_code, o.message.clone())),
            elapsed_ms: u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX),
            vus: saturating_sum(self.slots.iter().map(|s| s.vus)),
            vus_max: saturating_sum(self.slots.iter().map(|s| s.vus_max)),
            iterations: saturating_sum(self.slots.iter().map(|s| s.iterations)),
            agents: self.run_agents(),
            totals: Totals::of(registry),
            latency: latency(registry),
            thresholds,
        }
    }
}
