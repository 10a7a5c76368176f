//! A window of a running test: [`Reading`]s of the cumulative metrics at
//! its two ends, and what the search looks at, [`Measured`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Slo;
use crate::metrics::{Builtin, Registry, Sink};

/// The CPU a load generator (a process) has used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTime {
    /// CPU seconds used, user and system.
    pub busy: f64,
    /// The cores it may use.
    pub cores: f64,
}

/// The run at one instant: the cumulative sinks the autopilot reads and
/// each load generator's CPU time (one on one machine; one per agent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// Since the run's start.
    pub at: Duration,
    /// By registry name: every SLO's metric, `iterations`,
    /// `dropped_iterations`, `http_req_duration` and `http_req_failed`
    /// (those with samples).
    pub sinks: BTreeMap<String, Sink>,
    /// By load generator (or by thread of one: a thread is one core, and
    /// a thread that is always busy saturates its generator as surely as
    /// all of its cores).
    pub cpu: BTreeMap<String, CpuTime>,
}

impl Reading {
    /// The sinks of `registry` named in `metrics` (those it has), as a
    /// reading holds them.
    pub fn sinks_of(registry: &Registry, metrics: &[String]) -> BTreeMap<String, Sink> {
        metrics
            .iter()
            .filter_map(|name| Some((name.clone(), registry.sink(name)?.clone())))
            .collect()
    }
}

/// The metrics a [`Reading`] holds, given the SLOs' registry names.
pub fn wanted(slo_metrics: &[String]) -> Vec<String> {
    let mut names: Vec<String> = [
        Builtin::Iterations,
        Builtin::DroppedIterations,
        Builtin::HttpReqDuration,
        Builtin::HttpReqFailed,
    ]
    .iter()
    .map(|b| b.name().to_string())
    .chain(slo_metrics.iter().cloned())
    .collect();
    names.sort();
    names.dedup();
    names
}

/// One SLO over one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloValue {
    /// The SLO as written.
    pub slo: String,
    /// Its aggregation's value over the window (`None`: no sample).
    pub value: Option<f64>,
    /// Whether it held (no sample holds).
    pub holds: bool,
    /// The window's samples of its metric.
    pub samples: u64,
}

/// One window: what changed between two readings.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Its start, from the run's start.
    pub from: Duration,
    /// Its end.
    pub to: Duration,
    /// The rate asked for, per second.
    pub rate: f64,
    /// Complete iterations per second.
    pub achieved: f64,
    /// Iterations that could not start.
    pub dropped: f64,
    /// `http_req_duration`'s p(95), ms.
    pub p95: Option<f64>,
    /// `http_req_failed`'s rate.
    pub error_rate: Option<f64>,
    /// The busiest load generator's share of its cores (0–1).
    pub cpu: Option<f64>,
    /// Each SLO, in order.
    pub slos: Vec<SloValue>,
}

impl Measured {
    /// The window from `before` to `after` at `rate` per second; `names`
    /// are the SLOs' registry names, in order.
    pub fn between(
        before: &Reading,
        after: &Reading,
        rate: f64,
        slos: &[Slo],
        names: &[String],
    ) -> Measured {
        let length = after.at.saturating_sub(before.at);
        let window = |name: &str| {
            let now = after.sinks.get(name)?;
            Some(match before.sinks.get(name) {
                Some(then) => now.since(then),
                None => now.clone(),
            })
        };
        // `+ 0.0`: a window of nothing is 0, not the `-0` of `x - x`.
        let count = |b: Builtin| match window(b.name()) {
            Some(Sink::Counter(c)) => c.count() + 0.0,
            _ => 0.0,
        };
        let seconds = length.as_secs_f64().max(f64::MIN_POSITIVE);
        let p95 = match window(Builtin::HttpReqDuration.name()) {
            Some(Sink::Trend(t)) if t.count() > 0 => Some(t.percentile(95.0)),
            _ => None,
        };
        let error_rate = match window(Builtin::HttpReqFailed.name()) {
            Some(Sink::Rate(r)) => r.rate(),
            _ => None,
        };
        let cpu = after
            .cpu
            .iter()
            // A generator (or thread) new since `before` is not judged on
            // CPU it used before the window.
            .filter_map(|(id, now)| {
                let then = before.cpu.get(id)?;
                (now.cores > 0.0).then(|| (now.busy - then.busy) / seconds / now.cores)
            })
            .reduce(f64::max);
        let slos = slos
            .iter()
            .zip(names)
            .map(|(slo, name)| {
                let sink = window(name);
                let value = sink
                    .as_ref()
                    .filter(|s| !s.is_empty())
                    .and_then(|s| s.stat(slo.expression.aggregation.stat(), length));
                SloValue {
                    slo: slo.to_string(),
                    value,
                    holds: value
                        .is_none_or(|v| slo.expression.operator.holds(v, slo.expression.value)),
                    samples: sink.as_ref().map_or(0, samples),
                }
            })
            .collect();
        Measured {
            from: before.at,
            to: after.at,
            rate,
            achieved: count(Builtin::Iterations) / seconds,
            dropped: count(Builtin::DroppedIterations).max(0.0),
            p95,
            error_rate,
            cpu,
            slos,
        }
    }

    /// The fewest samples any SLO's metric has in the window.
    pub fn fewest_samples(&self) -> u64 {
        self.slos.iter().map(|s| s.samples).min().unwrap_or(0)
    }
}

/// How many values a window's sink holds.
fn samples(sink: &Sink) -> u64 {
    match sink {
        Sink::Counter(c) => c.samples(),
        Sink::Gauge(g) => u64::from(!g.is_empty()),
        Sink::Rate(r) => r.total,
        Sink::Trend(t) => t.count(),
    }
}

/// The samples an SLO needs in a window for its value to be stable: ten
/// beyond a percentile's rank (`p(95)`: 200; `p(99)`: 1,000), 100 for
/// the others.
pub fn samples_needed(slo: &Slo) -> u64 {
    use crate::threshold::Aggregation;
    match slo.expression.aggregation {
        Aggregation::Percentile(p) if p < 100.0 => {
            (10.0 / (1.0 - p / 100.0)).ceil().min(10_000.0) as u64
        }
        _ => 100,
    }
}
