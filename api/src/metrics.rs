//! `GET /v1/metrics` and `GET /v1/metrics/{id}`: one resource per metric,
//! its id being the metric's name (submetrics keep their braces:
//! `http_req_duration{expected_response:true}`).
//!
//! ```text
//! {"type":"metrics","id":"http_req_duration","attributes":{"type":"trend","contains":"time",
//!   "tainted":false,"sample":{"avg":0.96,"max":3.68,"med":0.65,"min":0.35,"p(90)":1.65,"p(95)":3.5}}}
//! ```

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::envelope::{Envelope, Resource};

/// One metric resource.
pub type MetricResource = Resource<Metric>;
/// `GET /v1/metrics`.
pub type MetricsEnvelope = Envelope<Vec<MetricResource>>;
/// `GET /v1/metrics/{id}`.
pub type MetricEnvelope = Envelope<MetricResource>;

/// A metric's attributes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// `counter`, `gauge`, `rate` or `trend`.
    #[serde(rename = "type")]
    pub kind: Option<MetricType>,
    /// What the values are: `default`, `time` (ms) or `data` (bytes).
    pub contains: Option<ValueType>,
    /// `null` without thresholds (or before their first evaluation), else
    /// whether one failed.
    pub tainted: Option<bool>,
    /// The values, keys sorted: counter `count`/`rate`; gauge `value`;
    /// rate `rate`; trend `avg`, `max`, `med`, `min`, `p(90)`, `p(95)`.
    #[serde(serialize_with = "go_floats")]
    pub sample: BTreeMap<String, f64>,
}

impl Metric {
    /// Wraps the metric in a resource of type `metrics` with id `name`.
    pub fn into_resource(self, name: impl Into<String>) -> MetricResource {
        Resource::new("metrics", name, self)
    }
}

/// A metric's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    /// A sum (`count`, `rate`).
    Counter,
    /// The last value.
    Gauge,
    /// A fraction of non-zero values.
    Rate,
    /// A distribution.
    Trend,
}

/// What a metric's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// Plain numbers.
    Default,
    /// Milliseconds.
    Time,
    /// Bytes.
    Data,
}

/// Writes the numbers as Go's `encoding/json` does: `5`, not `5.0`;
/// exponents only below 1e-6 and from 1e21 (`1e-7`, `1e+21`). Go cannot
/// encode NaN or infinities; they become `null`.
fn go_floats<S: Serializer>(sample: &BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(sample.len()))?;
    for (key, value) in sample {
        let text = go_float(*value);
        match RawValue::from_string(text) {
            Ok(raw) => map.serialize_entry(key, &raw)?,
            Err(_) => map.serialize_entry(key, &Option::<f64>::None)?,
        }
    }
    map.end()
}

/// `strconv.FormatFloat(v, 'f' or 'e', -1, 64)` as `encoding/json` picks it.
pub fn go_float(v: f64) -> String {
    if !v.is_finite() {
        return "null".to_string();
    }
    let abs = v.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{v}");
    }
    let text = format!("{v:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => text,
    }
}
