//! Threshold expressions (`p(95)<500`, `rate>=0.99`) and the `thresholds`
//! option they come in: built against the built-in metrics (submetric
//! selectors included), then evaluated on a few samples.

use std::{sync::Arc, time::Duration};

use k6r_core::metrics::{Builtin, Registry, Sample, Tags};
use k6r_core::threshold::{Config, Expression, Thresholds};
use serde_json::Value;

/// Parses the input as one expression; as JSON, as one metric's list and
/// as the whole option.
pub fn run(data: &[u8]) {
    let text = crate::text(data);
    if let Ok(e) = Expression::parse(&text) {
        let _ = e.aggregation.to_string();
    }
    let Ok(value) = serde_json::from_slice::<Value>(crate::capped(data)) else {
        return;
    };
    let _ = Config::parse_list(&value);
    if let Value::Object(option) = &value {
        build_and_evaluate(option);
    }
}

fn build_and_evaluate(option: &serde_json::Map<String, Value>) {
    let mut registry = Registry::new();
    let Ok(mut thresholds) = Thresholds::build(option, &mut registry) else {
        return;
    };
    let elapsed = Duration::from_secs(30);
    let _ = thresholds.evaluate(&registry, elapsed, true);
    let tags = Arc::new(Tags::new().with("status", "200").with("name", "a"));
    let samples: Vec<Sample> = [
        (Builtin::HttpReqDuration, 120.0),
        (Builtin::HttpReqDuration, 480.0),
        (Builtin::HttpReqFailed, 0.0),
        (Builtin::Checks, 1.0),
        (Builtin::Iterations, 1.0),
        (Builtin::Vus, 3.0),
    ]
    .into_iter()
    .map(|(b, v)| Sample::now(b.metric(), Arc::clone(&tags), v))
    .collect();
    registry.add(&samples);
    let evaluation = thresholds.evaluate(&registry, elapsed, false);
    let _ = (evaluation.crossed_message(), evaluation.abort_message());
}
