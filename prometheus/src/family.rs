//! The series model and the one rule from k6 metrics to it.

use k6r_core::metrics::sink::TrendSink;
use k6r_core::metrics::{MetricType, Registry, Sink, Stat, ValueType};

/// The prefix of every k6 metric's series.
pub const K6_PREFIX: &str = "k6_";

/// A metric family: one name, one type, one or more labelled series.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// The name without its unit and without `_total`
    /// (`k6_http_req_duration`).
    pub name: String,
    /// Its help text.
    pub help: String,
    /// Its unit, appended to the name (`k6_http_req_duration_seconds`).
    pub unit: Option<Unit>,
    /// Its series, all of one [`Value`] kind.
    pub series: Vec<Series>,
}

/// A unit Prometheus names suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (k6's time metrics are milliseconds; their values are
    /// divided by 1000).
    Seconds,
}

impl Unit {
    /// The name's suffix, without the underscore.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
        }
    }
}

/// One series of a family.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its labels, beside the name.
    pub labels: Vec<(String, String)>,
    /// Its value.
    pub value: Value,
}

/// A series' value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A monotonic total.
    Counter(f64),
    /// A value now.
    Gauge(f64),
    /// A histogram.
    Histogram(Buckets),
}

/// A classic histogram: sum, count and buckets.
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets {
    /// The sum of the values.
    pub sum: f64,
    /// How many values.
    pub count: u64,
    /// `(upper bound, values above the previous bound up to this one)`,
    /// ascending, ending with `+Inf`; not cumulative.
    pub buckets: Vec<(f64, u64)>,
}

impl Family {
    /// A family of one unlabelled series.
    pub fn one(name: impl Into<String>, help: impl Into<String>, value: Value) -> Family {
        Family {
            name: name.into(),
            help: help.into(),
            unit: None,
            series: vec![Series {
                labels: Vec::new(),
                value,
            }],
        }
    }

    /// The name with its unit (`k6_http_req_duration_seconds`), without
    /// a counter's `_total`.
    pub fn full_name(&self) -> String {
        match self.unit {
            Some(unit) => format!("{}_{}", self.name, unit.as_str()),
            None => self.name.clone(),
        }
    }
}

/// How a metric's values are exposed: the factor applied to them and the
/// unit its name ends with (k6's milliseconds become seconds).
fn scale_of(contains: ValueType) -> (f64, Option<Unit>) {
    match contains {
        ValueType::Time => (1e-3, Some(Unit::Seconds)),
        ValueType::Default | ValueType::Data => (1.0, None),
    }
}

/// Every observed metric of `registry` as a family, in the registry's
/// order: counters as counters, gauges as gauges, rates as
/// `k6_<name>_rate` gauges (once they have a value), trends as
/// histograms (once they have a value). Time metrics are in seconds.
/// Submetrics are left out: they are slices of their parents.
pub fn families(registry: &Registry) -> Vec<Family> {
    registry
        .entries()
        .iter()
        .filter(|e| e.observed)
        .filter_map(|e| {
            let (scale, unit) = scale_of(e.metric.contains);
            let name = format!("{K6_PREFIX}{}", e.metric.name);
            let kind = match e.metric.kind {
                MetricType::Counter => "counter",
                MetricType::Gauge => "gauge",
                MetricType::Rate => "rate",
                MetricType::Trend => "trend",
            };
            let help = format!("k6 {kind} {}", e.metric.name);
            let (name, value) = match &e.sink {
                Sink::Counter(s) => (name, Value::Counter(s.count() * scale)),
                Sink::Gauge(s) if s.is_empty() => return None,
                Sink::Gauge(s) => (name, Value::Gauge(s.value() * scale)),
                Sink::Rate(s) => (format!("{name}_rate"), Value::Gauge(s.rate()?)),
                Sink::Trend(s) if s.count() == 0 => return None,
                Sink::Trend(s) => (name, Value::Histogram(buckets(s, scale))),
            };
            Some(Family {
                name,
                help,
                unit,
                series: vec![Series {
                    labels: Vec::new(),
                    value,
                }],
            })
        })
        .collect()
}

/// The `stats` of every observed trend as gauges `k6_<name>_<suffix>`
/// (k6's remote-write trend stats; time trends in seconds). A trend
/// without a unit leaves out `count` and `sum`: its histogram's
/// `k6_<name>_count` and `k6_<name>_sum` are those series.
pub fn trend_stats(registry: &Registry, stats: &[(String, Stat)]) -> Vec<Family> {
    let mut families = Vec::new();
    for e in registry.entries().iter().filter(|e| e.observed) {
        let Sink::Trend(trend) = &e.sink else {
            continue;
        };
        if trend.count() == 0 {
            continue;
        }
        let (scale, unit) = scale_of(e.metric.contains);
        for (suffix, stat) in stats {
            if unit.is_none() && matches!(stat, Stat::Count | Stat::Sum) {
                // The histogram `k6_<name>` already has these series.
                continue;
            }
            let Some(value) = e.sink.stat(*stat, std::time::Duration::ZERO) else {
                continue;
            };
            let value = if *stat == Stat::Count {
                value
            } else {
                value * scale
            };
            families.push(Family::one(
                format!("{K6_PREFIX}{}_{suffix}", e.metric.name),
                format!("k6 trend {} {suffix}", e.metric.name),
                Value::Gauge(value),
            ));
        }
    }
    families
}

/// A trend's histogram as classic buckets, values times `scale`: each
/// occupied log-linear bucket ends a bucket, preceded by an empty one at
/// its lower bound where the previous bucket ended below it, so that
/// Prometheus's interpolation never spans a gap.
fn buckets(trend: &TrendSink, scale: f64) -> Buckets {
    let mut buckets: Vec<(f64, u64)> = Vec::new();
    for (lo, hi, count) in trend.histogram().ranges() {
        let (lo, hi) = (lo * scale, hi * scale);
        let ended_below = buckets.last().is_none_or(|&(le, _)| le < lo);
        if lo < hi && ended_below {
            buckets.push((lo, 0));
        }
        buckets.push((hi, count));
    }
    buckets.push((f64::INFINITY, 0));
    Buckets {
        sum: trend.sum() * scale,
        count: trend.count(),
        buckets,
    }
}

#[cfg(test)]
mod tests;
