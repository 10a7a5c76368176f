//! Families as remote-write time series: the same series a scrape of
//! `/metrics` gives, with one timestamp.

use super::wire::{Label, Sample, TimeSeries, WriteRequest};
use crate::family::{Family, Value};

/// Formats a bucket bound as Prometheus prints `le` (`+Inf`, `0.25`).
fn bound(le: f64) -> String {
    if le == f64::INFINITY {
        "+Inf".into()
    } else {
        le.to_string()
    }
}

fn series(
    name: String,
    labels: &[(String, String)],
    extra: Option<(&str, String)>,
    value: f64,
    timestamp: i64,
) -> TimeSeries {
    let mut all: Vec<Label> = labels
        .iter()
        .map(|(n, v)| Label {
            name: n.clone(),
            value: v.clone(),
        })
        .chain(extra.map(|(n, v)| Label {
            name: n.to_owned(),
            value: v,
        }))
        .chain(std::iter::once(Label {
            name: "__name__".into(),
            value: name,
        }))
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    TimeSeries {
        labels: all,
        samples: vec![Sample { value, timestamp }],
    }
}

/// `families` at `timestamp` (ms since the epoch), with `labels` added to
/// every series: counters as `<name>_total`, gauges as `<name>`,
/// histograms as cumulative `<name>_bucket{le}`, `<name>_sum` and
/// `<name>_count`.
pub fn write_request(
    families: &[Family],
    labels: &[(String, String)],
    timestamp: i64,
) -> WriteRequest {
    let mut timeseries = Vec::new();
    for family in families {
        let name = family.full_name();
        for s in &family.series {
            let mut all = labels.to_vec();
            all.extend(s.labels.iter().cloned());
            match &s.value {
                Value::Counter(v) => {
                    timeseries.push(series(format!("{name}_total"), &all, None, *v, timestamp))
                }
                Value::Gauge(v) => timeseries.push(series(name.clone(), &all, None, *v, timestamp)),
                Value::Histogram(h) => {
                    let mut cumulative = 0u64;
                    for &(le, count) in &h.buckets {
                        cumulative = cumulative.saturating_add(count);
                        timeseries.push(series(
                            format!("{name}_bucket"),
                            &all,
                            Some(("le", bound(le))),
                            cumulative as f64,
                            timestamp,
                        ));
                    }
                    timeseries.push(series(format!("{name}_sum"), &all, None, h.sum, timestamp));
                    timeseries.push(series(
                        format!("{name}_count"),
                        &all,
                        None,
                        h.count as f64,
                        timestamp,
                    ));
                }
            }
        }
    }
    WriteRequest { timeseries }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{Buckets, Unit};

    #[test]
    fn histograms_become_cumulative_buckets_sum_and_count() {
        let families = [
            Family::one("k6_http_reqs", "", Value::Counter(5.0)),
            Family {
                name: "k6_http_req_duration".into(),
                help: String::new(),
                unit: Some(Unit::Seconds),
                series: vec![crate::Series {
                    labels: Vec::new(),
                    value: Value::Histogram(Buckets {
                        sum: 1.5,
                        count: 5,
                        buckets: vec![(0.25, 0), (0.5, 5), (f64::INFINITY, 0)],
                    }),
                }],
            },
        ];
        let request = write_request(&families, &[("testid".into(), "t1".into())], 1_000);
        let shown: Vec<String> = request
            .timeseries
            .iter()
            .map(|t| {
                let labels: Vec<String> = t
                    .labels
                    .iter()
                    .map(|l| format!("{}={}", l.name, l.value))
                    .collect();
                format!(
                    "{} {}@{}",
                    labels.join(","),
                    t.samples[0].value,
                    t.samples[0].timestamp
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "__name__=k6_http_reqs_total,testid=t1 5@1000",
                "__name__=k6_http_req_duration_seconds_bucket,le=0.25,testid=t1 0@1000",
                "__name__=k6_http_req_duration_seconds_bucket,le=0.5,testid=t1 5@1000",
                "__name__=k6_http_req_duration_seconds_bucket,le=+Inf,testid=t1 5@1000",
                "__name__=k6_http_req_duration_seconds_sum,testid=t1 1.5@1000",
                "__name__=k6_http_req_duration_seconds_count,testid=t1 5@1000",
            ]
        );
    }
}
