//! [`Delta`]: what a [`Registry`] gathered since it was last taken, which
//! an agent ships (k6r-proto converts it to and from its typed
//! `MetricDelta`) and the coordinator applies. Its serde form is the
//! merged metrics of a run's result.
//!
//! Taking a delta empties the sinks (declarations and submetrics stay), so
//! each delta holds only new data; applying deltas in any order gives the
//! same registry as one that saw every sample, because every sink merges
//! exactly.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::checks::{Check, CheckBook, GroupTree};
use super::error::MetricsError;
use super::registry::{Registry, ScenarioBreakdown, SinkSet};
use super::sample::{Metric, MetricType, ValueType};
use super::sink::{MergeError, Sink};

/// A metric's new data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricDelta {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: MetricType,
    /// What its values are.
    pub contains: ValueType,
    /// The sink's new data.
    pub sink: Sink,
    /// New data of submetrics, by suffix (`status:200`).
    pub submetrics: Vec<(String, Sink)>,
}

/// A slice of a scenario's breakdown (`group` is `None` for the totals).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceDelta {
    /// The scenario.
    pub scenario: String,
    /// The group path, or `None` for the scenario's totals.
    pub group: Option<String>,
    /// The metric's data in that slice.
    pub metric: MetricDelta,
}

/// Everything new in a registry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Metrics with new samples.
    pub metrics: Vec<MetricDelta>,
    /// Check outcomes, first seen first.
    pub checks: Vec<Check>,
    /// Group paths seen.
    pub groups: Vec<String>,
    /// Per-scenario breakdown (full summary mode only).
    pub slices: Vec<SliceDelta>,
    /// Per-scenario checks (full summary mode only).
    pub scenario_checks: Vec<(String, Check)>,
}

/// Applying a delta failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    /// A metric known here with another type.
    #[error(transparent)]
    Metric(#[from] MetricsError),
    /// Sinks of different types.
    #[error(transparent)]
    Merge(#[from] MergeError),
}

fn set_deltas(set: &SinkSet) -> Vec<MetricDelta> {
    set.values()
        .map(|(m, sink)| MetricDelta {
            name: m.name.to_string(),
            kind: m.kind,
            contains: m.contains,
            sink: sink.clone(),
            submetrics: Vec::new(),
        })
        .collect()
}

fn merge_into_set(set: &mut SinkSet, d: &MetricDelta) -> Result<(), MergeError> {
    let name: Arc<str> = d.name.as_str().into();
    match set.get_mut(&name) {
        Some((_, sink)) => sink.merge(&d.sink),
        None => {
            let metric = Arc::new(Metric::new(Arc::clone(&name), d.kind, d.contains));
            set.insert(name, (metric, d.sink.clone()));
            Ok(())
        }
    }
}

impl Registry {
    /// Returns what was gathered since the last call and empties the sinks,
    /// checks and breakdown (declarations and submetrics stay).
    pub fn take_delta(&mut self) -> Delta {
        let mut delta = Delta::default();
        for e in self.entries_mut() {
            let submetrics: Vec<(String, Sink)> = e
                .submetrics
                .iter_mut()
                .filter(|s| !s.sink.is_empty())
                .map(|s| (s.suffix.clone(), s.sink.take()))
                .collect();
            if e.sink.is_empty() && submetrics.is_empty() {
                continue;
            }
            delta.metrics.push(MetricDelta {
                name: e.metric.name.to_string(),
                kind: e.metric.kind,
                contains: e.metric.contains,
                sink: e.sink.take(),
                submetrics,
            });
        }
        let (checks, groups, breakdown) = self.take_extras();
        delta.checks = checks.all().to_vec();
        delta.groups = groups.paths().to_vec();
        for (scenario, sb) in breakdown.unwrap_or_default() {
            for metric in set_deltas(&sb.totals) {
                delta.slices.push(SliceDelta {
                    scenario: scenario.clone(),
                    group: None,
                    metric,
                });
            }
            for (group, set) in &sb.groups {
                for metric in set_deltas(set) {
                    let group = Some(group.clone());
                    delta.slices.push(SliceDelta {
                        scenario: scenario.clone(),
                        group,
                        metric,
                    });
                }
            }
            for c in sb.checks.all() {
                delta.scenario_checks.push((scenario.clone(), c.clone()));
            }
        }
        delta
    }

    /// Merges a delta in, declaring metrics and submetrics it does not know.
    pub fn apply_delta(&mut self, delta: &Delta) -> Result<(), DeltaError> {
        for d in &delta.metrics {
            let metric = self.declare_any(&d.name, d.kind, d.contains)?;
            let mut names = Vec::new();
            for (suffix, _) in &d.submetrics {
                names.push(self.submetric(&format!("{}{{{suffix}}}", metric.name))?);
            }
            let entry = self.entry_mut(&d.name).expect("declared above");
            entry.sink.merge(&d.sink)?;
            entry.observed |= !d.sink.is_empty();
            for ((_, sink), name) in d.submetrics.iter().zip(names) {
                if let Some(sm) = entry.submetrics.iter_mut().find(|s| s.name == name) {
                    sm.sink.merge(sink)?;
                    sm.observed |= !sink.is_empty();
                }
            }
        }
        let mut checks = CheckBook::default();
        delta.checks.iter().for_each(|c| checks.add(c));
        let mut groups = GroupTree::default();
        delta.groups.iter().for_each(|g| groups.note(g));
        let mut breakdown: BTreeMap<String, ScenarioBreakdown> = BTreeMap::new();
        for s in &delta.slices {
            let sb = breakdown.entry(s.scenario.clone()).or_default();
            let set = match &s.group {
                None => &mut sb.totals,
                Some(g) => sb.groups.entry(g.clone()).or_default(),
            };
            merge_into_set(set, &s.metric)?;
        }
        for (scenario, c) in &delta.scenario_checks {
            breakdown.entry(scenario.clone()).or_default().checks.add(c);
        }
        self.merge_extras(&checks, &groups, &breakdown)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::metrics::{Builtin, Sample, Tags};

    /// An agent's delta is a wire value: counts at `u64::MAX`, applied
    /// twice, saturate in every sink and check instead of overflowing.
    #[test]
    fn counts_off_the_wire_saturate() {
        let max = u64::MAX;
        let sum = r#"{"partials":[1.0],"special":0.0}"#;
        let json = format!(
            r#"{{"metrics":[
              {{"name":"c","kind":"counter","contains":"default","submetrics":[],
                "sink":{{"type":"counter","sum":{sum},"samples":{max}}}}},
              {{"name":"r","kind":"rate","contains":"default","submetrics":[],
                "sink":{{"type":"rate","passes":{max},"total":{max}}}}},
              {{"name":"t","kind":"trend","contains":"default","submetrics":[],
                "sink":{{"type":"trend","count":{max},"min":1.0,"max":2.0,"sum":{sum},
                        "hist":{{"zero":{max},"pos":[[5,{max}]],"neg":[]}}}}}}],
              "checks":[{{"group":"","name":"ok","passes":{max},"fails":{max}}}],
              "groups":[],"slices":[],"scenario_checks":[]}}"#
        );
        let delta: Delta = serde_json::from_str(&json).unwrap();
        let mut registry = Registry::new();
        registry.apply_delta(&delta).unwrap();
        registry.apply_delta(&delta).unwrap();
        let back = serde_json::to_value(registry.take_delta()).unwrap();
        let metric = |name: &str| {
            back["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["name"] == name)
                .unwrap()["sink"]
                .clone()
        };
        assert_eq!(metric("c")["samples"], max);
        assert_eq!(
            (metric("r")["passes"].clone(), metric("r")["total"].clone()),
            (max.into(), max.into())
        );
        assert_eq!(metric("t")["count"], max);
        assert_eq!(back["checks"][0]["passes"], max);
        assert_eq!(back["checks"][0]["fails"], max);
    }

    #[test]
    fn deltas_ship_and_apply_in_any_order() {
        let make = || {
            let mut r = Registry::new().with_breakdown();
            r.submetric("http_req_duration{status:200}").unwrap();
            r
        };
        let tags: Arc<Tags> = Arc::new(
            [
                ("status", "200"),
                ("scenario", "s"),
                ("group", "::g"),
                ("check", "ok"),
            ]
            .into_iter()
            .collect(),
        );
        let sample = |m: Builtin, v: f64, ms: u64| Sample {
            metric: m.metric(),
            tags: Arc::clone(&tags),
            time: UNIX_EPOCH + Duration::from_millis(ms),
            value: v,
        };
        let mut agent = make();
        let mut whole = make();
        let mut deltas = Vec::new();
        for round in 0..3u64 {
            let batch: Vec<Sample> = (0..5)
                .flat_map(|i| {
                    let ms = round * 10 + i;
                    [
                        sample(Builtin::HttpReqDuration, 1.5 * ms as f64, ms),
                        sample(Builtin::Checks, (ms % 2) as f64, ms),
                        sample(Builtin::Vus, ms as f64, ms),
                    ]
                })
                .collect();
            agent.add(&batch);
            whole.add(&batch);
            let d = agent.take_delta();
            let wire = serde_json::to_string(&d).unwrap();
            deltas.push(serde_json::from_str::<Delta>(&wire).unwrap());
        }
        assert!(agent.take_delta().metrics.is_empty());
        let mut coordinator = Registry::new().with_breakdown();
        for d in deltas.iter().rev() {
            coordinator.apply_delta(d).unwrap();
        }
        for name in [
            "http_req_duration",
            "http_req_duration{status:200}",
            "checks",
            "vus",
        ] {
            assert_eq!(coordinator.sink(name), whole.sink(name), "{name}");
        }
        let counts = |r: &Registry| {
            r.checks()
                .all()
                .iter()
                .map(|c| (c.passes, c.fails))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&coordinator), counts(&whole));
        assert_eq!(coordinator.breakdown(), whole.breakdown());
    }
}
