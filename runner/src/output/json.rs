//! k6's JSON lines (§6.2): a `Metric` line before a metric's first
//! `Point`, then one `Point` line per sample.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::sync::Arc;

use k6r_core::metrics::{Registry, Sample, Tags};
use k6r_core::threshold::Thresholds;
use serde_json::{json, Value};

use super::time::rfc3339_nano;
use super::Encode;

/// What each metric's `Metric` line lists: its thresholds' sources and its
/// submetrics, as JSON, by metric name.
#[derive(Clone, Debug, Default)]
pub struct Declarations {
    by_name: HashMap<String, (Value, Value)>,
}

impl Declarations {
    /// From the registry (submetrics) and the thresholds, before the run.
    pub fn new(registry: &Registry, thresholds: &Thresholds) -> Self {
        let mut by_name = HashMap::new();
        for e in registry.entries() {
            let sources: Vec<&str> = thresholds
                .metrics
                .iter()
                .filter(|m| m.metric == *e.metric.name)
                .flat_map(|m| m.thresholds.iter().map(|t| t.source.as_str()))
                .collect();
            let submetrics = if e.submetrics.is_empty() {
                Value::Null
            } else {
                e.submetrics
                    .iter()
                    .map(|sm| {
                        json!({
                            "name": sm.name,
                            "suffix": sm.suffix,
                            "tags": tags_json(&sm.tags),
                        })
                    })
                    .collect()
            };
            by_name.insert(e.metric.name.to_string(), (json!(sources), submetrics));
        }
        Declarations { by_name }
    }
}

fn tags_json(tags: &Tags) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.to_owned(), Value::from(v)))
            .collect(),
    )
}

/// The JSON lines encoder.
pub(super) struct Json {
    declarations: Declarations,
    declared: HashSet<Arc<str>>,
}

impl Json {
    pub(super) fn new(declarations: Declarations) -> Self {
        Json {
            declarations,
            declared: HashSet::new(),
        }
    }

    fn metric_line(&self, s: &Sample, out: &mut dyn Write) -> io::Result<()> {
        let m = &s.metric;
        let (thresholds, submetrics) = self
            .declarations
            .by_name
            .get(&*m.name)
            .cloned()
            .unwrap_or_else(|| (json!([]), Value::Null));
        let line = json!({
            "type": "Metric",
            "data": {
                "name": &*m.name,
                "type": m.kind.as_str(),
                "contains": m.contains.as_str(),
                "thresholds": thresholds,
                "submetrics": submetrics,
            },
            "metric": &*m.name,
        });
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")
    }
}

impl Encode for Json {
    fn encode(&mut self, batch: &[Sample], out: &mut dyn Write) -> io::Result<()> {
        for s in batch {
            if !self.declared.contains(&s.metric.name) {
                self.metric_line(s, out)?;
                self.declared.insert(Arc::clone(&s.metric.name));
            }
            out.write_all(b"{\"metric\":")?;
            serde_json::to_writer(&mut *out, &*s.metric.name)?;
            out.write_all(b",\"type\":\"Point\",\"data\":{\"time\":\"")?;
            out.write_all(rfc3339_nano(s.time).as_bytes())?;
            out.write_all(b"\",\"value\":")?;
            out.write_all(go_number(s.value).as_bytes())?;
            out.write_all(b",\"tags\":{")?;
            for (i, (k, v)) in s.tags.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, k)?;
                out.write_all(b":")?;
                serde_json::to_writer(&mut *out, v)?;
            }
            out.write_all(b"}}}\n")?;
        }
        Ok(())
    }
}

/// A float as Go's `encoding/json` writes it (integers without a
/// fraction).
pub(super) fn go_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_owned();
    }
    if x.fract() == 0.0 && x.abs() < 1e18 {
        return format!("{}", x as i64);
    }
    format!("{x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k6r_core::metrics::Builtin;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn a_metric_line_comes_before_its_first_point() {
        let mut registry = Registry::new();
        registry
            .submetric(k6r_core::metrics::EXPECTED_RESPONSE_SUBMETRIC)
            .unwrap();
        let mut json = Json::new(Declarations::new(&registry, &Thresholds::default()));
        let tags = Arc::new(Tags::new().with("scenario", "default").with("group", ""));
        let sample = |b: Builtin, value| Sample {
            metric: b.metric(),
            tags: Arc::clone(&tags),
            time: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_780),
            value,
        };
        let mut out = Vec::new();
        json.encode(
            &[
                sample(Builtin::Iterations, 1.0),
                sample(Builtin::Iterations, 1.0),
                sample(Builtin::HttpReqDuration, 1.5),
            ],
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(
            lines[0],
            r#"{"type":"Metric","data":{"name":"iterations","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"iterations"}"#
        );
        assert_eq!(
            lines[1],
            r#"{"metric":"iterations","type":"Point","data":{"time":"2023-11-14T22:13:20.12345678Z","value":1,"tags":{"group":"","scenario":"default"}}}"#
        );
        assert!(lines[3].contains(r#""submetrics":[{"name":"http_req_duration{expected_response:true}","suffix":"expected_response:true","tags":{"expected_response":"true"}}]"#), "{text}");
        assert!(lines[4].contains(r#""value":1.5,"#), "{text}");
    }
}
