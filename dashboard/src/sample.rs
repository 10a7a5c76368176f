//! A run at one instant, as its [`Source`](crate::Source) gives it: what
//! the sampler turns into a frame, and the counts every source reads the
//! same way off a run's registry.

use k6r_api::{dashboard::FrameThreshold, RunAgent, RunState};
use k6r_core::metrics::{registry::SinkSet, sink::RateSink, Builtin, Registry, Sink};

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
    pub agents: Vec<AgentPart>,
    /// The merged headline metrics so far.
    pub headline: Headline,
    /// Each threshold, as last evaluated.
    pub thresholds: Vec<FrameThreshold>,
    /// Each scenario's part, in the plan's order.
    pub scenarios: Vec<ScenarioPart>,
    /// The autopilot, when one steers the run.
    pub autopilot: Option<k6r_api::dashboard::FrameAutopilot>,
}

/// One agent's part in a [`RunSample`].
#[derive(Clone, Debug, PartialEq)]
pub struct AgentPart {
    /// The agent and its counts.
    pub agent: RunAgent,
    /// Its headline metrics so far (`None`: not known apart).
    pub headline: Option<Headline>,
}

/// One scenario's part in a [`RunSample`] (summed over agents on a
/// cluster).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScenarioPart {
    /// Its name.
    pub name: String,
    /// Its active VUs.
    pub vus: u64,
    /// Its completed iterations.
    pub iterations: u64,
    /// Its headline metrics so far (`None`: not kept apart).
    pub headline: Option<Headline>,
}

impl RunSample {
    /// Fills the run's headline and each scenario's from the run's
    /// `registry`: a scenario's is its slice of the breakdown
    /// ([`Breakdown::Headline`](k6r_core::metrics::Breakdown) or more),
    /// or the run's own when it has one scenario.
    pub fn with_headlines(mut self, registry: &Registry) -> Self {
        self.headline = Headline::of_registry(registry);
        if let [only] = self.scenarios.as_mut_slice() {
            only.headline = Some(self.headline);
            return self;
        }
        let Some(breakdown) = registry.breakdown() else {
            return self;
        };
        for part in &mut self.scenarios {
            part.headline = breakdown
                .get(&part.name)
                .map(|b| Headline::of_set(&b.totals));
        }
        self
    }
}

/// The headline metrics ([`Builtin::HEADLINE`]) of a run or of one part
/// of it: the counts charted as rates, and the latency percentiles.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Headline {
    /// The counts.
    pub totals: Totals,
    /// `http_req_duration` at [`PERCENTILES`], ms (`None`: no request).
    pub latency: [Option<f64>; 4],
}

impl Headline {
    /// The headline of the sinks `sink` finds by metric name.
    pub fn of<'a>(sink: impl Fn(&str) -> Option<&'a Sink>) -> Self {
        let latency = match sink(Builtin::HttpReqDuration.name()) {
            Some(Sink::Trend(t)) if t.count() > 0 => PERCENTILES.map(|p| Some(t.percentile(p))),
            _ => [None; 4],
        };
        Headline {
            totals: Totals::of(sink),
            latency,
        }
    }

    /// The headline of a whole registry.
    pub fn of_registry(registry: &Registry) -> Self {
        Headline::of(|name| registry.sink(name))
    }

    /// The headline of a set of sinks (a scenario's, an agent's).
    pub fn of_set(set: &SinkSet) -> Self {
        Headline::of(|name| set.get(name).map(|(_, sink)| sink))
    }
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
    /// The counts of the sinks `sink` finds by metric name.
    fn of<'a>(sink: impl Fn(&str) -> Option<&'a Sink>) -> Self {
        let count = |b: Builtin| match sink(b.name()) {
            Some(Sink::Counter(c)) => c.count(),
            _ => 0.0,
        };
        let rate = |b: Builtin| match sink(b.name()) {
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
