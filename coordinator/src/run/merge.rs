//! The run's merged metrics: every agent's `MetricDelta` applied to one
//! k6r-core [`Registry`], with each agent's sequence numbers checked, and
//! the options' thresholds evaluated on the result.
//!
//! Thresholds are built against the merged registry. A threshold on a
//! custom metric cannot be built before some agent has sent that metric
//! (the coordinator never runs the script, so it learns custom metrics
//! from the deltas): building is retried at each evaluation until it
//! succeeds.

use std::{collections::HashMap, sync::Arc, time::Duration};

use k6r_api::{GroupResource, MetricResource};
use k6r_core::{
    metrics::{Builtin, Delta, Registry, Sample, Tags},
    threshold::{Evaluation, Thresholds},
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

/// The merged registry and the thresholds evaluated on it.
#[derive(Debug)]
pub struct Merged {
    registry: Registry,
    last_seq: HashMap<AgentId, u64>,
    option: Option<Map<String, Value>>,
    thresholds: Option<Thresholds>,
}

impl Merged {
    /// An empty registry; `thresholds` is the options' `thresholds`.
    pub fn new(thresholds: Option<Map<String, Value>>, breakdown: bool) -> Self {
        let registry = if breakdown {
            Registry::new().with_breakdown()
        } else {
            Registry::new()
        };
        let mut merged = Self {
            registry,
            last_seq: HashMap::new(),
            option: thresholds.filter(|t| !t.is_empty()),
            thresholds: None,
        };
        merged.build();
        merged
    }

    fn build(&mut self) {
        if self.thresholds.is_some() {
            return;
        }
        if let Some(option) = &self.option {
            match Thresholds::build(option, &mut self.registry) {
                Ok(t) => self.thresholds = Some(t),
                Err(e) => tracing::debug!("thresholds not built yet: {e}"),
            }
        }
    }

    /// Applies `agent`'s delta (number `delta.seq`).
    pub fn apply(&mut self, agent: &AgentId, delta: &v1::MetricDelta) -> Applied {
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
    /// none (or they cannot be built yet).
    pub fn evaluate(&mut self, elapsed: Duration, during_run: bool) -> Option<Evaluation> {
        self.build();
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

    fn delta(seq: u64, iterations: usize) -> v1::MetricDelta {
        let mut r = Registry::new();
        let tags = Arc::new(Tags::new());
        let samples: Vec<Sample> = (0..iterations)
            .map(|_| Sample::now(Builtin::Iterations.metric(), Arc::clone(&tags), 1.0))
            .collect();
        r.add(&samples);
        v1::MetricDelta::new("r", seq, &r.take_delta())
    }

    #[test]
    fn deltas_sum_and_replays_are_dropped() {
        let option = json!({"iterations": ["count>4"]});
        let mut m = Merged::new(option.as_object().cloned(), false);
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
    fn thresholds_on_custom_metrics_wait_for_the_metric() {
        let option = json!({"my_counter": ["count<1"]});
        let mut m = Merged::new(option.as_object().cloned(), false);
        assert!(m.evaluate(Duration::from_secs(1), false).is_none());
        let mut r = Registry::new();
        let c = r
            .declare(
                "my_counter",
                k6r_core::metrics::MetricType::Counter,
                k6r_core::metrics::ValueType::Default,
            )
            .unwrap();
        r.add(&[Sample::now(c, Arc::new(Tags::new()), 3.0)]);
        let delta = v1::MetricDelta::new("r", 1, &r.take_delta());
        assert_eq!(m.apply(&AgentId::new("a"), &delta), Applied::Merged);
        let eval = m.evaluate(Duration::from_secs(1), false).unwrap();
        assert_eq!(eval.breached, ["my_counter"]);
    }
}
