//! k6r-core's [`Options`] ↔ the wire's `Options` (an Assign's), field for
//! field: `v1::Options::try_from(&options)` fails only on thresholds that
//! do not parse; `Options::try_from(&wire)` checks what the wire cannot
//! guarantee (an executor present, the segment and sequence in k6's
//! syntax, JSON trees with a kind and finite floats) and nothing else:
//! validating the options is k6r-core's business.
//!
//! The thresholds are typed on the wire; k6r-core keeps them as JSON. Back
//! from the wire, each threshold is a plain string, or a `{threshold,
//! abortOnFail, delayAbortEval}` object when it aborts or delays
//! (`delayAbortEval` in Go's duration syntax), so that
//! [`Config::parse_list`] reads exactly what was sent.

use std::collections::BTreeMap;

use k6r_core::duration::Duration;
use k6r_core::options::Options;
use k6r_core::segment::{Segment, Sequence};
use k6r_core::threshold::Config;
use serde_json::{Map, Value};

use super::scenario::{scenarios_from_wire, scenarios_to_wire, stages_from_wire, stages_to_wire};
use super::OptionsWireError;
use crate::v1;

type Result<T> = std::result::Result<T, OptionsWireError>;

impl TryFrom<&Options> for v1::Options {
    type Error = OptionsWireError;

    /// Fails only on a metric's thresholds that do not parse, naming the
    /// metric (`options.thresholds["http_req_duration"]`).
    fn try_from(o: &Options) -> Result<Self> {
        let thresholds = o
            .thresholds
            .as_ref()
            .map(thresholds_to_wire)
            .transpose()
            .map_err(|e| e.within("options.thresholds"))?;
        Ok(v1::Options {
            paused: o.paused,
            vus: o.vus,
            duration_nanos: nanos(o.duration),
            iterations: o.iterations,
            stages: o.stages.as_deref().map(stages_to_wire),
            scenarios: o.scenarios.as_ref().map(scenarios_to_wire),
            execution_segment: o.execution_segment.as_ref().map(Segment::to_string),
            execution_segment_sequence: o
                .execution_segment_sequence
                .as_ref()
                .map(Sequence::to_string),
            no_setup: o.no_setup,
            setup_timeout_nanos: nanos(o.setup_timeout),
            no_teardown: o.no_teardown,
            teardown_timeout_nanos: nanos(o.teardown_timeout),
            rps: o.rps,
            max_redirects: o.max_redirects,
            user_agent: o.user_agent.clone(),
            batch: o.batch,
            batch_per_host: o.batch_per_host,
            http_debug: o.http_debug.clone(),
            insecure_skip_tls_verify: o.insecure_skip_tls_verify,
            throw: o.throw,
            thresholds,
            no_connection_reuse: o.no_connection_reuse,
            no_vu_connection_reuse: o.no_vu_connection_reuse,
            min_iteration_duration_nanos: nanos(o.min_iteration_duration),
            summary_trend_stats: o.summary_trend_stats.clone().map(string_list),
            summary_time_unit: o.summary_time_unit.clone(),
            system_tags: o.system_tags.clone().map(string_list),
            tags: o.tags.as_ref().map(string_map),
            metric_samples_buffer_size: o.metric_samples_buffer_size,
            no_cookies_reset: o.no_cookies_reset,
            discard_response_bodies: o.discard_response_bodies,
            raw: o
                .raw
                .iter()
                .map(|(key, value)| (key.clone(), value.into()))
                .collect(),
            unset_vus: o.unset_vus,
        })
    }
}

impl TryFrom<&v1::Options> for Options {
    type Error = OptionsWireError;

    /// Refuses a scenario without an executor, a segment or sequence that
    /// does not parse, and a `raw` value or scenario `options` that is not
    /// JSON (no kind, a non-finite float), naming the field.
    fn try_from(w: &v1::Options) -> Result<Self> {
        let scenarios = w
            .scenarios
            .as_ref()
            .map(scenarios_from_wire)
            .transpose()
            .map_err(|e| e.within("options.scenarios"))?;
        let segment = |field: &str, error| OptionsWireError::Segment {
            field: format!("options.{field}"),
            error,
        };
        let execution_segment = w
            .execution_segment
            .as_deref()
            .map(Segment::parse)
            .transpose()
            .map_err(|e| segment("execution_segment", e))?;
        let execution_segment_sequence = w
            .execution_segment_sequence
            .as_deref()
            .map(Sequence::parse)
            .transpose()
            .map_err(|e| segment("execution_segment_sequence", e))?;
        let mut raw = BTreeMap::new();
        for (key, value) in &w.raw {
            let value =
                Value::try_from(value).map_err(|e| e.within(&format!("options.raw[{key:?}]")))?;
            raw.insert(key.clone(), value);
        }
        Ok(Options {
            paused: w.paused,
            vus: w.vus,
            duration: duration(w.duration_nanos),
            iterations: w.iterations,
            stages: w.stages.as_ref().map(stages_from_wire),
            scenarios,
            execution_segment,
            execution_segment_sequence,
            no_setup: w.no_setup,
            setup_timeout: duration(w.setup_timeout_nanos),
            no_teardown: w.no_teardown,
            teardown_timeout: duration(w.teardown_timeout_nanos),
            rps: w.rps,
            max_redirects: w.max_redirects,
            user_agent: w.user_agent.clone(),
            batch: w.batch,
            batch_per_host: w.batch_per_host,
            http_debug: w.http_debug.clone(),
            insecure_skip_tls_verify: w.insecure_skip_tls_verify,
            throw: w.throw,
            thresholds: w.thresholds.as_ref().map(thresholds_from_wire),
            no_connection_reuse: w.no_connection_reuse,
            no_vu_connection_reuse: w.no_vu_connection_reuse,
            min_iteration_duration: duration(w.min_iteration_duration_nanos),
            summary_trend_stats: w.summary_trend_stats.as_ref().map(|l| l.values.clone()),
            summary_time_unit: w.summary_time_unit.clone(),
            system_tags: w.system_tags.as_ref().map(|l| l.values.clone()),
            tags: w.tags.as_ref().map(string_map_from_wire),
            metric_samples_buffer_size: w.metric_samples_buffer_size,
            no_cookies_reset: w.no_cookies_reset,
            discard_response_bodies: w.discard_response_bodies,
            raw,
            unset_vus: w.unset_vus,
        })
    }
}

/// A duration as signed nanoseconds.
pub(super) fn nanos(d: Option<Duration>) -> Option<i64> {
    d.map(Duration::as_nanos)
}

/// Signed nanoseconds as a duration.
pub(super) fn duration(nanos: Option<i64>) -> Option<Duration> {
    nanos.map(Duration::from_nanos)
}

fn string_list(values: Vec<String>) -> v1::StringList {
    v1::StringList { values }
}

pub(super) fn string_map(map: &BTreeMap<String, String>) -> v1::StringMap {
    v1::StringMap {
        entries: map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

pub(super) fn string_map_from_wire(wire: &v1::StringMap) -> BTreeMap<String, String> {
    wire.entries
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Each metric's JSON list read with [`Config::parse_list`], in order; an
/// error's path starts at the metric's `["name"]`.
fn thresholds_to_wire(map: &Map<String, Value>) -> Result<v1::Thresholds> {
    let mut metrics = Vec::with_capacity(map.len());
    for (metric, list) in map {
        let configs = Config::parse_list(list).map_err(|error| OptionsWireError::Threshold {
            field: format!("[{metric:?}]"),
            error,
        })?;
        metrics.push(v1::MetricThresholds {
            metric: metric.clone(),
            thresholds: configs
                .into_iter()
                .map(|c| v1::Threshold {
                    threshold: c.source,
                    abort_on_fail: c.abort_on_fail,
                    delay_abort_eval_nanos: nanos(c.delay_abort_eval),
                })
                .collect(),
        });
    }
    Ok(v1::Thresholds { metrics })
}

/// The thresholds as k6r-core keeps them: by metric, in order, a JSON list
/// that [`Config::parse_list`] reads back as sent (of a metric given
/// twice, the last list wins).
fn thresholds_from_wire(wire: &v1::Thresholds) -> Map<String, Value> {
    let mut map = Map::with_capacity(wire.metrics.len());
    for m in &wire.metrics {
        let list = m.thresholds.iter().map(threshold_json).collect();
        map.insert(m.metric.clone(), Value::Array(list));
    }
    map
}

/// A plain string, or the object form when it aborts or delays.
fn threshold_json(t: &v1::Threshold) -> Value {
    if !t.abort_on_fail && t.delay_abort_eval_nanos.is_none() {
        return Value::String(t.threshold.clone());
    }
    let mut object = Map::new();
    object.insert("threshold".into(), Value::String(t.threshold.clone()));
    object.insert("abortOnFail".into(), Value::Bool(t.abort_on_fail));
    if let Some(delay) = duration(t.delay_abort_eval_nanos) {
        object.insert("delayAbortEval".into(), Value::String(delay.to_string()));
    }
    Value::Object(object)
}
