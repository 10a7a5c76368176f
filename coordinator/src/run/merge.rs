//! The run's merged metrics: every agent's `MetricDelta` applied to one
//! k6r-core [`Registry`], with each agent's sequence numbers checked, and
//! the options' thresholds evaluated on the result.
//!
//! The registry is the script's ([`Registry::for_script`]), from the
//! custom metrics the submission declares, and the thresholds are built
//! on it once, when the run is submitted: a bad one is refused then.
//!
//! Each agent's part of the headline metrics ([`Builtin::HEADLINE`]) is
//! also kept apart, for the dashboard's charts by agent.

use std::{collections::HashMap, sync::Arc, time::Duration};

use k6r_api::{GroupResource, MetricResource};
use k6r_core::{
    metrics::{
        registry::SinkSet, Breakdown, Builtin, Delta, Metric, MetricsError, Registry, Sample, Sink,
        Tags,
    },
    threshold::{Evaluation, ThresholdError, Thresholds},
};
use k6r_proto::v1;
use serde_json::{Map, Value};

use crate::registry::AgentId;

/// What became of one delta.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// Merged.
    Merged,
    /// Merged, after a gap of this many missing deltas.
    AfterGap(u64),
    /// A replay of a delta already merged: dropped.
    Duplicate,
    /// Not a delta (a malformed message, or a metric of another type).
    Invalid(String),
}

/// Why a run's registry or thresholds cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MergedError {
    /// A declared metric clashes with a built-in or another declaration.
    #[error("metrics: {0}")]
    Metrics(#[from] MetricsError),
    /// A threshold does not parse or names an unknown metric.
    #[error("options.thresholds: {0}")]
    Thresholds(#[from] ThresholdError),
}

/// The merged registry and the thresholds evaluated on it.
#[derive(Clone, Debug)]
pub struct Merged {
    registry: Registry,
    last_seq: HashMap<AgentId, u64>,
    thresholds: Option<Thresholds>,
    tally: Tally,
    by_agent: HashMap<AgentId, SinkSet>,
}

/// What became of the deltas so far, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Deltas merged.
    pub merged: u64,
    /// Deltas never received (gaps in an agent's sequence numbers).
    pub missing: u64,
    /// Replays dropped.
    pub duplicates: u64,
    /// Deltas refused as malformed.
    pub invalid: u64,
}

impl Merged {
    /// The script's registry, from its declared `custom` metrics, with
    /// the options' `thresholds` built on it, keeping the per-scenario
    /// sinks of `breakdown`.
    pub fn new(
        custom: &[Arc<Metric>],
        thresholds: Option<&Map<String, Value>>,
        breakdown: Breakdown,
    ) -> Result<Self, MergedError> {
        let mut registry = Registry::for_script(custom, breakdown)?;
        let thresholds = thresholds
            .filter(|t| !t.is_empty())
            .map(|option| Thresholds::build(option, &mut registry))
            .transpose()?;
        Ok(Self {
            registry,
            last_seq: HashMap::new(),
            thresholds,
            tally: Tally::default(),
            by_agent: HashMap::new(),
        })
    }

    /// Applies `agent`'s delta (number `delta.seq`).
    pub fn apply(&mut self, agent: &AgentId, delta: &v1::MetricDelta) -> Applied {
        let applied = self.merge(agent, delta);
        let tally = &mut self.tally;
        match applied {
            Applied::Merged => tally.merged += 1,
            Applied::AfterGap(n) => {
                tally.merged += 1;
                tally.missing = tally.missing.saturating_add(n);
            }
            Applied::Duplicate => tally.duplicates += 1,
            Applied::Invalid(_) => tally.invalid += 1,
        }
        applied
    }

    /// Registers the autopilot's SLOs (their submetrics made): each
    /// one's name in the registry, in order.
    pub fn slos(
        &mut self,
        slos: &[k6r_core::autopilot::Slo],
    ) -> Result<Vec<String>, k6r_core::autopilot::AutopilotError> {
        k6r_core::autopilot::Slo::register(slos, &mut self.registry)
    }

    /// The merged registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// `agent`'s part of the headline metrics ([`Builtin::HEADLINE`]).
    pub fn of_agent(&self, agent: &AgentId) -> Option<&SinkSet> {
        self.by_agent.get(agent)
    }

    /// The thresholds, as last evaluated (`None`: there are none).
    pub fn thresholds(&self) -> Option<&Thresholds> {
        self.thresholds.as_ref()
    }

    /// What became of the deltas so far.
    pub fn tally(&self) -> Tally {
        self.tally
    }

    fn merge(&mut self, agent: &AgentId, delta: &v1::MetricDelta) -> Applied {
        let seq = delta.seq;
        let last = self.last_seq.get(agent).copied().unwrap_or(0);
        if seq <= last {
            return Applied::Duplicate;
        }
        let mut delta = match Delta::try_from(delta) {
            Ok(d) => d,
            Err(e) => return Applied::Invalid(e.to_string()),
        };
        // An agent's `vus`/`vus_max` are its own share; the run's gauges
        // are the sums over agents, recorded by `record_vus`.
        let own = |name: &str| name == Builtin::Vus.name() || name == Builtin::VusMax.name();
        delta.metrics.retain(|m| !own(&m.name));
        delta.slices.retain(|s| !own(&s.metric.name));
        if let Err(e) = self.registry.apply_delta(&delta) {
            return Applied::Invalid(e.to_string());
        }
        let headline = delta.metrics.iter().filter_map(|m| {
            let builtin = Builtin::from_name(&m.name).filter(|b| b.is_headline())?;
            Some((builtin, &m.sink))
        });
        let mine = self.by_agent.entry(agent.clone()).or_default();
        for (builtin, sink) in headline {
            let (_, into) = mine
                .entry(Arc::from(builtin.name()))
                .or_insert_with(|| (builtin.metric(), Sink::new(builtin.kind())));
            // The registry merged it: the types match.
            let _ = into.merge(sink);
        }
        self.last_seq.insert(agent.clone(), seq);
        if seq > last + 1 {
            Applied::AfterGap(seq - last - 1)
        } else {
            Applied::Merged
        }
    }

    /// Records the run's `vus` and `vus_max` gauges: the sums over agents.
    pub fn record_vus(&mut self, vus: u64, vus_max: u64) {
        let tags = Arc::new(Tags::new());
        self.registry.add(&[
            Sample::now(Builtin::Vus.metric(), Arc::clone(&tags), vus as f64),
            Sample::now(Builtin::VusMax.metric(), tags, vus_max as f64),
        ]);
    }

    /// Evaluates the thresholds `elapsed` into the run (`during_run`: the
    /// 2 s tick, which skips metrics without samples). `None`: there are
    /// none.
    pub fn evaluate(&mut self, elapsed: Duration, during_run: bool) -> Option<Evaluation> {
        let thresholds = self.thresholds.as_mut()?;
        Some(thresholds.evaluate(&self.registry, elapsed, during_run))
    }

    /// Whether a threshold failed at its last evaluation.
    pub fn tainted(&self) -> bool {
        self.thresholds
            .as_ref()
            .is_some_and(|t| t.metrics.iter().any(|m| m.tainted == Some(true)))
    }

    /// The merged metrics as one delta, as JSON.
    pub fn to_json(&self) -> Value {
        let delta = self.registry.clone().take_delta();
        serde_json::to_value(delta).unwrap_or(Value::Null)
    }

    /// `/v1/metrics`.
    pub fn resources(&self, elapsed: Duration) -> Vec<MetricResource> {
        let tainted = |name: &str| {
            self.thresholds
                .as_ref()
                .and_then(|t| t.of(name))
                .and_then(|m| m.tainted)
        };
        k6r_rest::convert::metrics(&self.registry, elapsed, &tainted)
    }

    /// The merged metrics as Prometheus families (`/metrics`).
    pub fn families(&self) -> Vec<k6r_prometheus::Family> {
        k6r_prometheus::families(&self.registry)
    }

    /// `/v1/groups`.
    pub fn groups(&self) -> Vec<GroupResource> {
        k6r_rest::convert::groups(self.registry.groups(), self.registry.checks())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k6r_core::metrics::{Builtin, Sample, Tags};
    use serde_json::json;

    use super::*;

    /// Delta `seq` of `count` samples of `metric`.
    fn delta_of(metric: Builtin, seq: u64, count: usize) -> v1::MetricDelta {
        let mut r = Registry::new();
        let tags = Arc::new(Tags::new());
        let samples: Vec<Sample> = (0..count)
            .map(|_| Sample::now(metric.metric(), Arc::clone(&tags), 1.0))
            .collect();
        r.add(&samples);
        v1::MetricDelta::new("r", seq, &r.take_delta())
    }

    fn delta(seq: u64, iterations: usize) -> v1::MetricDelta {
        delta_of(Builtin::Iterations, seq, iterations)
    }

    #[test]
    fn each_agent_s_headline_metrics_are_kept_apart() {
        let mut m = Merged::new(&[], None, Breakdown::None).unwrap();
        let (a, b) = (AgentId::new("a"), AgentId::new("b"));
        m.apply(&a, &delta_of(Builtin::HttpReqs, 1, 3));
        m.apply(&a, &delta_of(Builtin::HttpReqs, 2, 2));
        m.apply(&a, &delta(3, 7));
        m.apply(&b, &delta_of(Builtin::HttpReqs, 1, 4));
        // A replay counts once.
        m.apply(&b, &delta_of(Builtin::HttpReqs, 1, 4));
        let reqs = |agent: &AgentId| match &m.of_agent(agent).unwrap()["http_reqs"].1 {
            k6r_core::metrics::Sink::Counter(c) => c.count(),
            other => panic!("{other:?}"),
        };
        assert_eq!((reqs(&a), reqs(&b)), (5.0, 4.0));
        // Iterations are not a headline metric: the run's only.
        assert!(!m.of_agent(&a).unwrap().contains_key("iterations"));
        assert!(m.of_agent(&AgentId::new("c")).is_none());
    }

    #[test]
    fn deltas_sum_and_replays_are_dropped() {
        let option = json!({"iterations": ["count>4"]});
        let mut m = Merged::new(&[], option.as_object(), Breakdown::None).unwrap();
        let (a, b) = (AgentId::new("a"), AgentId::new("b"));
        assert_eq!(m.apply(&a, &delta(1, 2)), Applied::Merged);
        assert_eq!(m.apply(&a, &delta(1, 2)), Applied::Duplicate);
        assert_eq!(m.apply(&b, &delta(3, 1)), Applied::AfterGap(2));
        let eval = m.evaluate(Duration::from_secs(1), false).unwrap();
        assert_eq!(eval.breached, ["iterations"]);
        assert!(m.tainted());
        assert_eq!(m.apply(&b, &delta(4, 2)), Applied::Merged);
        assert!(m.evaluate(Duration::from_secs(1), false).unwrap().passed());
        let back: Delta = serde_json::from_value(m.to_json()).unwrap();
        let mut r = Registry::new();
        r.apply_delta(&back).unwrap();
        match r.sink("iterations") {
            Some(k6r_core::metrics::Sink::Counter(c)) => assert_eq!(c.count(), 5.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn thresholds_on_custom_metrics_are_built_from_the_declarations() {
        let option = json!({"my_counter": ["count<1"]});
        let undeclared = Merged::new(&[], option.as_object(), Breakdown::None).unwrap_err();
        assert!(
            matches!(undeclared, MergedError::Thresholds(_)),
            "{undeclared}"
        );
        let counter = Arc::new(Metric::new(
            "my_counter",
            k6r_core::metrics::MetricType::Counter,
            k6r_core::metrics::ValueType::Default,
        ));
        let mut m =
            Merged::new(&[Arc::clone(&counter)], option.as_object(), Breakdown::None).unwrap();
        // Built before any sample: nothing to evaluate against yet.
        let eval = m.evaluate(Duration::from_secs(1), true).unwrap();
        assert!(eval.passed());
        let mut r = Registry::new();
        let c = r
            .declare("my_counter", counter.kind, counter.contains)
            .unwrap();
        r.add(&[Sample::now(c, Arc::new(Tags::new()), 3.0)]);
        let delta = v1::MetricDelta::new("r", 1, &r.take_delta());
        assert_eq!(m.apply(&AgentId::new("a"), &delta), Applied::Merged);
        let eval = m.evaluate(Duration::from_secs(1), false).unwrap();
        assert_eq!(eval.breached, ["my_counter"]);
    }
}
