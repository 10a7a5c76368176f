//! The unit of measurement: a [`Sample`] of a [`Metric`] with [`Tags`].
//!
//! Samples are cheap to clone: the metric and the tag set are shared
//! (`Arc`), because a VU emits the same tag set for every sample of one
//! request and the same metric for every request.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// How a metric aggregates (k6's metric types).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    /// A running sum (`count`, `rate` per second).
    Counter,
    /// The last value (`value`, `min`, `max`).
    Gauge,
    /// The share of non-zero samples (`rate`, `passes`, `fails`).
    Rate,
    /// A distribution (`avg`, `min`, `med`, `max`, `p(N)`).
    Trend,
}

impl MetricType {
    /// k6's name for it (`"counter"`, `"gauge"`, `"rate"`, `"trend"`).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Rate => "rate",
            MetricType::Trend => "trend",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a metric's values are (k6's `contains`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    /// Plain numbers.
    Default,
    /// Milliseconds, shown as durations.
    Time,
    /// Bytes, shown as data sizes.
    Data,
}

impl ValueType {
    /// k6's name for it (`"default"`, `"time"`, `"data"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Default => "default",
            ValueType::Time => "time",
            ValueType::Data => "data",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metric: its name, how it aggregates and what its values are.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Metric {
    /// Its name (`http_req_duration`).
    pub name: Arc<str>,
    /// How it aggregates.
    pub kind: MetricType,
    /// What its values are.
    pub contains: ValueType,
}

impl Metric {
    /// A metric.
    pub fn new(name: impl Into<Arc<str>>, kind: MetricType, contains: ValueType) -> Self {
        Metric {
            name: name.into(),
            kind,
            contains,
        }
    }
}

/// A sample's tags, sorted by key (the order k6's JSON output uses).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tags(BTreeMap<Arc<str>, Arc<str>>);

impl Tags {
    /// No tags.
    pub fn new() -> Self {
        Tags::default()
    }

    /// Sets `key` to `value`, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<Arc<str>>, value: impl Into<Arc<str>>) {
        self.0.insert(key.into(), value.into());
    }

    /// With `key` set to `value`.
    pub fn with(mut self, key: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Self {
        self.insert(key, value);
        self
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> Option<Arc<str>> {
        self.0.remove(key)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| &**v)
    }

    /// Whether every `(key, value)` of `selector` is here (a submetric's
    /// tag selector matches).
    pub fn contains_all(&self, selector: &Tags) -> bool {
        selector.iter().all(|(k, v)| self.get(k) == Some(v))
    }

    /// The tags in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// How many tags there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<Arc<str>>, V: Into<Arc<str>>> FromIterator<(K, V)> for Tags {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Tags(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// One measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// What was measured.
    pub metric: Arc<Metric>,
    /// Its tags.
    pub tags: Arc<Tags>,
    /// When (wall clock, for outputs).
    pub time: SystemTime,
    /// The value: milliseconds for time metrics, bytes for data, 0/1 for
    /// rates.
    pub value: f64,
}

impl Sample {
    /// A sample taken now.
    pub fn now(metric: Arc<Metric>, tags: Arc<Tags>, value: f64) -> Self {
        Sample {
            metric,
            tags,
            time: SystemTime::now(),
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_sorted_and_selectors_match_subsets() {
        let tags: Tags = [("status", "200"), ("method", "GET"), ("name", "x")]
            .into_iter()
            .collect();
        let keys: Vec<_> = tags.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["method", "name", "status"]);
        assert!(tags.contains_all(&Tags::new().with("status", "200")));
        assert!(!tags.contains_all(&Tags::new().with("status", "404")));
        assert!(!tags.contains_all(&Tags::new().with("group", "")));
        assert!(tags.contains_all(&Tags::new()));
    }
}
