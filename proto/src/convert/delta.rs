//! k6r-core's [`Delta`] ↔ `MetricDelta`: metrics with their type, value
//! type, sink and submetrics, checks, group paths and the per-scenario
//! breakdown. The sinks themselves convert in [`super::sink`].

use k6r_core::metrics::delta::{MetricDelta, SliceDelta};
use k6r_core::metrics::{Breakdown, Check, Delta, MetricType, Sink, ValueType};

use super::MetricDeltaError;
use crate::v1;

type Result<T> = std::result::Result<T, MetricDeltaError>;

impl v1::MetricDelta {
    /// Delta number `seq` of run `run_id`.
    pub fn new(run_id: impl Into<String>, seq: u64, delta: &Delta) -> Self {
        v1::MetricDelta {
            run_id: run_id.into(),
            seq,
            metrics: delta.metrics.iter().map(v1::Metric::from).collect(),
            checks: delta.checks.iter().map(v1::Check::from).collect(),
            groups: delta.groups.clone(),
            slices: delta
                .slices
                .iter()
                .map(|s| v1::ScenarioSlice {
                    scenario: s.scenario.clone(),
                    group: s.group.clone(),
                    metric: Some((&s.metric).into()),
                })
                .collect(),
            scenario_checks: delta
                .scenario_checks
                .iter()
                .map(|(scenario, check)| v1::ScenarioCheck {
                    scenario: scenario.clone(),
                    check: Some(check.into()),
                })
                .collect(),
        }
    }
}

impl TryFrom<&v1::MetricDelta> for Delta {
    type Error = MetricDeltaError;

    fn try_from(wire: &v1::MetricDelta) -> Result<Self> {
        let metrics = wire
            .metrics
            .iter()
            .map(MetricDelta::try_from)
            .collect::<Result<_>>()?;
        let mut slices = Vec::with_capacity(wire.slices.len());
        for s in &wire.slices {
            let metric = s.metric.as_ref().ok_or(MetricDeltaError::Missing {
                field: "slices.metric",
            })?;
            slices.push(SliceDelta {
                scenario: s.scenario.clone(),
                group: s.group.clone(),
                metric: metric.try_into()?,
            });
        }
        let mut scenario_checks = Vec::with_capacity(wire.scenario_checks.len());
        for s in &wire.scenario_checks {
            let check = s.check.as_ref().ok_or(MetricDeltaError::Missing {
                field: "scenario_checks.check",
            })?;
            scenario_checks.push((s.scenario.clone(), check.into()));
        }
        Ok(Delta {
            metrics,
            checks: wire.checks.iter().map(Check::from).collect(),
            groups: wire.groups.clone(),
            slices,
            scenario_checks,
        })
    }
}

impl From<&MetricDelta> for v1::Metric {
    fn from(m: &MetricDelta) -> Self {
        v1::Metric {
            name: m.name.clone(),
            kind: v1::MetricType::from(m.kind).into(),
            contains: v1::ValueType::from(m.contains).into(),
            sink: Some((&m.sink).into()),
            submetrics: m
                .submetrics
                .iter()
                .map(|(suffix, sink)| v1::Submetric {
                    suffix: suffix.clone(),
                    sink: Some(sink.into()),
                })
                .collect(),
        }
    }
}

impl TryFrom<&v1::Metric> for MetricDelta {
    type Error = MetricDeltaError;

    fn try_from(m: &v1::Metric) -> Result<Self> {
        let kind = metric_type(m.kind).map_err(|e| e.in_metric(&m.name))?;
        let contains = value_type(m.contains).map_err(|e| e.in_metric(&m.name))?;
        let sink = sink_of(kind, m.sink.as_ref()).map_err(|e| e.in_metric(&m.name))?;
        let mut submetrics = Vec::with_capacity(m.submetrics.len());
        for s in &m.submetrics {
            let sink = sink_of(kind, s.sink.as_ref())
                .map_err(|e| e.in_metric(format!("{}{{{}}}", m.name, s.suffix)))?;
            submetrics.push((s.suffix.clone(), sink));
        }
        Ok(MetricDelta {
            name: m.name.clone(),
            kind,
            contains,
            sink,
            submetrics,
        })
    }
}

/// A metric's (or submetric's) sink, which must be of the metric's type.
fn sink_of(kind: MetricType, wire: Option<&v1::Sink>) -> Result<Sink> {
    let wire = wire.ok_or(MetricDeltaError::Missing { field: "sink" })?;
    let sink = Sink::try_from(wire)?;
    if sink.kind() != kind {
        return Err(MetricDeltaError::SinkMismatch {
            field: "sink",
            expected: kind,
            found: sink.kind(),
        });
    }
    Ok(sink)
}

impl From<MetricType> for v1::MetricType {
    fn from(kind: MetricType) -> Self {
        match kind {
            MetricType::Counter => v1::MetricType::Counter,
            MetricType::Gauge => v1::MetricType::Gauge,
            MetricType::Rate => v1::MetricType::Rate,
            MetricType::Trend => v1::MetricType::Trend,
        }
    }
}

impl From<Breakdown> for v1::Breakdown {
    fn from(breakdown: Breakdown) -> Self {
        match breakdown {
            Breakdown::None => v1::Breakdown::None,
            Breakdown::Headline => v1::Breakdown::Headline,
            Breakdown::Full => v1::Breakdown::Full,
        }
    }
}

impl From<v1::Breakdown> for Breakdown {
    fn from(breakdown: v1::Breakdown) -> Self {
        match breakdown {
            v1::Breakdown::None => Breakdown::None,
            v1::Breakdown::Headline => Breakdown::Headline,
            v1::Breakdown::Full => Breakdown::Full,
        }
    }
}

fn metric_type(value: i32) -> Result<MetricType> {
    match v1::MetricType::try_from(value) {
        Ok(v1::MetricType::Counter) => Ok(MetricType::Counter),
        Ok(v1::MetricType::Gauge) => Ok(MetricType::Gauge),
        Ok(v1::MetricType::Rate) => Ok(MetricType::Rate),
        Ok(v1::MetricType::Trend) => Ok(MetricType::Trend),
        Ok(v1::MetricType::Unspecified) | Err(_) => Err(MetricDeltaError::UnknownEnum {
            field: "kind",
            value,
        }),
    }
}

impl From<ValueType> for v1::ValueType {
    fn from(contains: ValueType) -> Self {
        match contains {
            ValueType::Default => v1::ValueType::Default,
            ValueType::Time => v1::ValueType::Time,
            ValueType::Data => v1::ValueType::Data,
        }
    }
}

fn value_type(value: i32) -> Result<ValueType> {
    match v1::ValueType::try_from(value) {
        Ok(v1::ValueType::Default) => Ok(ValueType::Default),
        Ok(v1::ValueType::Time) => Ok(ValueType::Time),
        Ok(v1::ValueType::Data) => Ok(ValueType::Data),
        Ok(v1::ValueType::Unspecified) | Err(_) => Err(MetricDeltaError::UnknownEnum {
            field: "contains",
            value,
        }),
    }
}

impl From<&Check> for v1::Check {
    fn from(c: &Check) -> Self {
        v1::Check {
            group: c.group.clone(),
            name: c.name.clone(),
            passes: c.passes,
            fails: c.fails,
        }
    }
}

impl From<&v1::Check> for Check {
    fn from(c: &v1::Check) -> Self {
        Check {
            group: c.group.clone(),
            name: c.name.clone(),
            passes: c.passes,
            fails: c.fails,
        }
    }
}
