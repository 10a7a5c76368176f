use std::sync::Arc;
use std::time::{Duration as StdDuration, UNIX_EPOCH};

use serde_json::json;

use super::*;
use crate::metrics::{Builtin, MetricType, Sample, Tags, ValueType};

fn registry() -> Registry {
    let mut r = Registry::new();
    r.declare("my_counter", MetricType::Counter, ValueType::Default)
        .unwrap();
    r.declare("my_gauge", MetricType::Gauge, ValueType::Default)
        .unwrap();
    r.declare("my_rate", MetricType::Rate, ValueType::Default)
        .unwrap();
    r.declare("my_trend", MetricType::Trend, ValueType::Default)
        .unwrap();
    r
}

fn build(v: serde_json::Value) -> Result<Thresholds, ThresholdError> {
    Thresholds::build(v.as_object().unwrap(), &mut registry())
}

fn err(v: serde_json::Value) -> String {
    build(v).unwrap_err().to_string()
}

#[test]
fn refuses_with_k6s_messages() {
    assert_eq!(
        err(json!({"nope": ["avg<1"]})),
        "invalid threshold defined on nope; reason: no metric name \"nope\" found"
    );
    assert_eq!(
        err(json!({"my_counter": ["avg<1"]})),
        "invalid threshold \"avg<1\" applied on metric my_counter; reason: unsupported aggregation method avg on metric of type counter. supported aggregation methods for this metric are: count, rate"
    );
    assert_eq!(
        err(json!({"my_gauge": ["count<1"]})),
        "invalid threshold \"count<1\" applied on metric my_gauge; reason: unsupported aggregation method count on metric of type gauge. supported aggregation methods for this metric are: value"
    );
    assert_eq!(
        err(json!({"my_rate": ["count<1"]})),
        "invalid threshold \"count<1\" applied on metric my_rate; reason: unsupported aggregation method count on metric of type rate. supported aggregation methods for this metric are: rate"
    );
    assert_eq!(
        err(json!({"my_trend{": ["avg<1"]})),
        "unable to validate threshold expressions; reason: parsing metric name failed, metric \"my_trend{\" has unmatched opening/close curly brace"
    );
    assert_eq!(
        err(json!({"my_trend}a{": ["avg<1"]})),
        "unable to validate threshold expressions; reason: parsing metric name failed, metric \"my_trend}a{\" closing curly brace appears before opening one"
    );
    assert_eq!(
        err(json!({"my_trend{}": ["avg<1"]})),
        "unable to validate threshold expressions; reason: parsing metric name failed, metric \"\" tag expression is malformed"
    );
    assert_eq!(
        err(json!({"my_trend{ab}": ["avg<1"]})),
        "unable to validate threshold expressions; reason: parsing metric name failed, metric \"ab\" tag expression is malformed"
    );
    assert_eq!(
        err(json!({"my_trend": "avg<1"})),
        "json: cannot unmarshal string into Go struct field Options.thresholds of type []metrics.thresholdConfig"
    );
    // Expressions are checked before names.
    assert_eq!(
        err(json!({"nope": ["avg<1"], "zzz": ["avg~1"]})),
        "failed parsing threshold expression \"avg~1\"; reason: malformed threshold expression"
    );
}

fn add(r: &mut Registry, name: &str, tags: &[(&str, &str)], values: &[f64]) {
    let metric = r.get(name).map(|e| Arc::clone(&e.metric)).unwrap();
    let tags: Arc<Tags> = Arc::new(tags.iter().copied().collect());
    let samples: Vec<Sample> = values
        .iter()
        .map(|&value| Sample {
            metric: Arc::clone(&metric),
            tags: Arc::clone(&tags),
            time: UNIX_EPOCH,
            value,
        })
        .collect();
    r.add(&samples);
}

#[test]
fn evaluates_submetrics_and_taints() {
    let mut r = registry();
    let opts = json!({
        "my_trend": ["p(95)<50", "avg<100"],
        "my_trend{kind:odd}": ["med>0"],
        "my_rate": ["rate>0.5"],
        "my_counter": ["count>10", "rate>1"],
        "checks": ["rate>0.9"],
    });
    let mut ts = Thresholds::build(opts.as_object().unwrap(), &mut r).unwrap();
    assert!(
        r.get("checks").unwrap().observed,
        "thresholded metrics are observed"
    );
    add(&mut r, "my_trend", &[("kind", "odd")], &[10.0, 90.0, 95.0]);
    add(&mut r, "my_trend", &[("kind", "even")], &[1.0]);
    add(&mut r, "my_counter", &[], &[6.0, 6.0]);
    add(&mut r, "my_rate", &[], &[1.0, 0.0, 0.0]);

    // During the run the empty `checks` is skipped.
    let e = ts.evaluate(&r, StdDuration::from_secs(2), true);
    assert_eq!(e.breached, ["my_rate", "my_trend"]);
    assert!(!e.abort);
    assert_eq!(ts.of("checks").unwrap().tainted, None);
    assert_eq!(ts.of("my_trend{kind:odd}").unwrap().tainted, Some(false));
    let trend = ts.of("my_trend").unwrap();
    assert_eq!(trend.tainted, Some(true));
    assert!(trend.thresholds[0].last_failed && !trend.thresholds[1].last_failed);
    assert_eq!(
        e.crossed_message(),
        "thresholds on metrics 'my_rate, my_trend' have been crossed"
    );
    // count 12 over 20 s is a rate of 0.6/s.
    let e = ts.evaluate(&r, StdDuration::from_secs(20), false);
    assert_eq!(e.breached, ["my_counter", "my_rate", "my_trend"]);
    // At the end the empty rate is evaluated and has no value: it passes.
    assert_eq!(ts.of("checks").unwrap().tainted, Some(false));
}

#[test]
fn abort_on_fail_waits_for_delay_abort_eval() {
    let mut r = registry();
    let opts = json!({"iterations": [{"threshold": "count<3", "abortOnFail": true, "delayAbortEval": "5s"}]});
    let mut ts = Thresholds::build(opts.as_object().unwrap(), &mut r).unwrap();
    let it = Builtin::Iterations.name();
    add(&mut r, it, &[], &[1.0, 1.0, 1.0]);
    let e = ts.evaluate(&r, StdDuration::from_secs(2), true);
    assert_eq!((e.breached.len(), e.abort), (1, false));
    let e = ts.evaluate(&r, StdDuration::from_secs(6), true);
    assert!(e.abort);
    assert_eq!(
        e.abort_message(),
        "thresholds on metrics 'iterations' were crossed; at least one has abortOnFail enabled, stopping test prematurely"
    );
}
