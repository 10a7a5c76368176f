//! A run's thresholds: built against the [`Registry`] (validation with
//! k6's messages, submetrics created, metrics marked observed) and
//! evaluated against its sinks.

use std::time::Duration as StdDuration;

use serde_json::{Map, Value};

use super::config::Config;
use super::error::ThresholdError;
use super::expr::{Aggregation, Expression};
use crate::duration::Duration;
use crate::metrics::{selector::parse_metric_name, Registry};

/// One threshold of one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// The expression as written.
    pub source: String,
    /// The parsed expression.
    pub expression: Expression,
    /// Abort the run when it fails.
    pub abort_on_fail: bool,
    /// Do not abort before the run has lasted this long.
    pub delay_abort_eval: Option<Duration>,
    /// Whether the last evaluation failed it.
    pub last_failed: bool,
}

/// The thresholds of one metric or submetric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricThresholds {
    /// The key as the script wrote it (`http_req_duration{status:200}`).
    pub key: String,
    /// The registry's name of the (sub)metric.
    pub metric: String,
    /// Its thresholds, in definition order.
    pub thresholds: Vec<Threshold>,
    /// `None` until evaluated; then whether any threshold failed.
    pub tainted: Option<bool>,
    /// Set once a failing `abortOnFail` threshold asked to abort.
    pub abort: bool,
}

/// The outcome of one evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// The (sub)metrics with a failed threshold, sorted.
    pub breached: Vec<String>,
    /// Whether the run must be aborted now.
    pub abort: bool,
}

impl Evaluation {
    /// Whether every evaluated threshold passed.
    pub fn passed(&self) -> bool {
        self.breached.is_empty()
    }

    /// k6's end-of-test error line (exit 99).
    pub fn crossed_message(&self) -> String {
        format!(
            "thresholds on metrics '{}' have been crossed",
            self.breached.join(", ")
        )
    }

    /// k6's error line when `abortOnFail` stops the run (exit 99).
    pub fn abort_message(&self) -> String {
        format!(
            "thresholds on metrics '{}' were crossed; at least one has abortOnFail enabled, \
             stopping test prematurely",
            self.breached.join(", ")
        )
    }
}

/// Every threshold of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Thresholds {
    /// By metric, sorted by key.
    pub metrics: Vec<MetricThresholds>,
}

impl Thresholds {
    /// Builds the `thresholds` option: reads the JSON, parses every
    /// expression, validates metric names and aggregation methods against
    /// `registry` (which must hold the script's custom metrics), then
    /// creates the submetrics and marks the metrics observed. Errors are
    /// k6's, in k6's order (all expressions first, then names).
    pub fn build(
        option: &Map<String, Value>,
        registry: &mut Registry,
    ) -> Result<Thresholds, ThresholdError> {
        let mut keys: Vec<&String> = option.keys().collect();
        keys.sort();
        let mut parsed = Vec::new();
        for key in keys {
            let mut thresholds = Vec::new();
            for c in Config::parse_list(&option[key])? {
                thresholds.push(Threshold {
                    expression: Expression::parse(&c.source)?,
                    source: c.source,
                    abort_on_fail: c.abort_on_fail,
                    delay_abort_eval: c.delay_abort_eval,
                    last_failed: false,
                });
            }
            parsed.push((key.clone(), thresholds));
        }
        for (key, thresholds) in &parsed {
            let (name, _) = parse_metric_name(key)?;
            let Some(entry) = registry.get(name) else {
                return Err(ThresholdError::UnknownMetric { name: key.clone() });
            };
            let kind = entry.metric.kind;
            for t in thresholds {
                if !t.expression.aggregation.applies_to(kind) {
                    return Err(ThresholdError::Unsupported {
                        expression: t.source.clone(),
                        name: key.clone(),
                        method: t.expression.aggregation.token(),
                        kind,
                        supported: Aggregation::supported(kind).join(", "),
                    });
                }
            }
        }
        let mut metrics = Vec::new();
        for (key, thresholds) in parsed {
            let metric = registry
                .submetric(&key)
                .map_err(|_| ThresholdError::UnknownMetric { name: key.clone() })?;
            registry.mark_observed(&metric);
            metrics.push(MetricThresholds {
                key,
                metric,
                thresholds,
                tainted: None,
                abort: false,
            });
        }
        Ok(Thresholds { metrics })
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// Evaluates every threshold against `registry`'s sinks, `elapsed` into
    /// the run. While the run goes on (`during_run`, k6's 2 s tick), metrics
    /// without samples are skipped; at the end they are evaluated too. A
    /// statistic with no value (an empty rate's `rate`) passes.
    pub fn evaluate(
        &mut self,
        registry: &Registry,
        elapsed: StdDuration,
        during_run: bool,
    ) -> Evaluation {
        let mut out = Evaluation::default();
        let elapsed_go =
            Duration::from_nanos(i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX));
        for m in &mut self.metrics {
            let Some(sink) = registry.sink(&m.metric) else {
                continue;
            };
            if m.thresholds.is_empty() || (during_run && sink.is_empty()) {
                continue;
            }
            let mut failed = false;
            for t in &mut m.thresholds {
                let e = t.expression;
                let passed = sink
                    .stat(e.aggregation.stat(), elapsed)
                    .is_none_or(|lhs| e.operator.holds(lhs, e.value));
                t.last_failed = !passed;
                if passed {
                    continue;
                }
                failed = true;
                if !m.abort && t.abort_on_fail {
                    m.abort = t.delay_abort_eval.is_none_or(|d| d < elapsed_go);
                }
            }
            m.tainted = Some(failed);
            if failed {
                out.breached.push(m.metric.clone());
                out.abort |= m.abort;
            }
        }
        out.breached.sort();
        out
    }

    /// The thresholds of (sub)metric `name`.
    pub fn of(&self, name: &str) -> Option<&MetricThresholds> {
        self.metrics.iter().find(|m| m.metric == name)
    }
}

#[cfg(test)]
mod tests;
