//! The OpenMetrics text of [`Family`]s, written by the `prometheus-client`
//! crate: what `GET /metrics` answers.

use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::family::{Family, Series, Unit, Value};

/// The content type of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The OpenMetrics text of `families`, ending with `# EOF`. Families with
/// the same name are the caller's mistake; Prometheus keeps the first.
pub fn encode(families: Vec<Family>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Collector(families)));
    let mut text = String::new();
    // Writing to a String cannot fail, and every family is well formed.
    let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
    text
}

/// The families, handed to the crate's registry for one encoding.
#[derive(Debug)]
struct Collector(Vec<Family>);

impl prometheus_client::collector::Collector for Collector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for family in &self.0 {
            let Some(first) = family.series.first() else {
                continue;
            };
            let kind = match first.value {
                Value::Counter(_) => MetricType::Counter,
                Value::Gauge(_) => MetricType::Gauge,
                Value::Histogram(_) => MetricType::Histogram,
            };
            let unit = family.unit.map(|u| match u {
                Unit::Seconds => prometheus_client::registry::Unit::Seconds,
            });
            let mut metric =
                encoder.encode_descriptor(&family.name, &family.help, unit.as_ref(), kind)?;
            for series in &family.series {
                if series.labels.is_empty() {
                    value(&mut metric, series)?;
                } else {
                    value(&mut metric.encode_family(&series.labels)?, series)?;
                }
            }
        }
        Ok(())
    }
}

fn value(metric: &mut MetricEncoder<'_>, series: &Series) -> Result<(), std::fmt::Error> {
    type NoExemplar = prometheus_client::metrics::exemplar::Exemplar<Vec<(String, String)>, f64>;
    match &series.value {
        Value::Counter(v) => {
            metric.encode_counter::<Vec<(String, String)>, f64, f64>(v, None::<&NoExemplar>)
        }
        Value::Gauge(v) => metric.encode_gauge(v),
        Value::Histogram(h) => {
            metric.encode_histogram::<Vec<(String, String)>>(h.sum, h.count, &h.buckets, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Buckets;

    #[test]
    fn counters_gauges_and_histograms_are_openmetrics() {
        let text = encode(vec![
            Family::one("k6_http_reqs", "k6 counter http_reqs", Value::Counter(42.0)),
            Family {
                name: "k6r_agent_heartbeat_lag".into(),
                help: "lag".into(),
                unit: Some(Unit::Seconds),
                series: vec![Series {
                    labels: vec![("agent".into(), "a-1".into())],
                    value: Value::Gauge(0.25),
                }],
            },
            Family {
                name: "k6_http_req_duration".into(),
                help: "k6 trend http_req_duration".into(),
                unit: Some(Unit::Seconds),
                series: vec![Series {
                    labels: Vec::new(),
                    value: Value::Histogram(Buckets {
                        sum: 0.5,
                        count: 3,
                        buckets: vec![(0.1, 0), (0.2, 3), (f64::INFINITY, 0)],
                    }),
                }],
            },
        ]);
        for line in [
            "# TYPE k6_http_reqs counter",
            "k6_http_reqs_total 42.0",
            "k6r_agent_heartbeat_lag_seconds{agent=\"a-1\"} 0.25",
            "# TYPE k6_http_req_duration_seconds histogram",
            "k6_http_req_duration_seconds_count 3",
            "k6_http_req_duration_seconds_bucket{le=\"0.1\"} 0",
            "k6_http_req_duration_seconds_bucket{le=\"0.2\"} 3",
            "k6_http_req_duration_seconds_bucket{le=\"+Inf\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
