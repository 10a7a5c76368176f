//! `--summary-export`: k6's legacy JSON summary (§6.6).

use serde_json::{Map, Value};

use crate::metrics::{MetricType, Registry};
use crate::threshold::Thresholds;

use super::groups::root_group;
use super::view::{observed, View};
use super::{Options, RunFacts};

/// A number as JavaScript's `JSON.stringify` writes it: integers without
/// a fraction, non-finite values as `null`.
pub fn number(x: f64) -> Value {
    if !x.is_finite() {
        Value::Null
    } else if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

fn export_metric(
    v: &View<'_>,
    opts: &Options,
    facts: &RunFacts,
    thresholds: Option<&Thresholds>,
) -> Value {
    let vals = v.values(opts, facts.duration);
    let mut m = Map::new();
    match v.kind {
        // Rates export `passes, fails, value` rather than `rate`.
        MetricType::Rate => {
            m.insert("passes".into(), number(vals[1].1));
            m.insert("fails".into(), number(vals[2].1));
            m.insert("value".into(), number(vals[0].1));
        }
        _ => {
            for (k, x) in vals {
                m.insert(k, number(x));
            }
        }
    }
    if let Some(t) = thresholds.and_then(|t| t.of(v.name)) {
        // true means the threshold FAILED (inverted vs handleSummary).
        let map: Map<String, Value> = t
            .thresholds
            .iter()
            .map(|t| (t.source.clone(), Value::Bool(t.last_failed)))
            .collect();
        m.insert("thresholds".into(), map.into());
    }
    m.into()
}

/// The `--summary-export` document.
pub fn summary_export(
    registry: &Registry,
    thresholds: Option<&Thresholds>,
    opts: &Options,
    facts: &RunFacts,
) -> Value {
    let metrics: Map<String, Value> = observed(registry)
        .iter()
        .map(|v| (v.name.to_owned(), export_metric(v, opts, facts, thresholds)))
        .collect();
    let mut doc = Map::new();
    doc.insert("root_group".into(), root_group(registry).to_export());
    doc.insert("metrics".into(), metrics.into());
    doc.into()
}

/// JSON with k6's 4-space indentation (`JSON.stringify(x, null, 4)`).
pub fn to_json_string(doc: &Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    doc.serialize(&mut ser).expect("a Value always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
