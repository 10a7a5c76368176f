use std::sync::Arc;

use k6r_core::metrics::{Builtin, Registry, Sample, Tags};

use super::*;

fn registry_with(samples: &[(Builtin, f64)]) -> Registry {
    let mut registry = Registry::new();
    let batch: Vec<Sample> = samples
        .iter()
        .map(|&(b, v)| Sample::now(b.metric(), Arc::new(Tags::default()), v))
        .collect();
    registry.add(&batch);
    registry
}

fn family<'a>(families: &'a [Family], name: &str) -> &'a Family {
    families
        .iter()
        .find(|f| f.full_name() == name)
        .unwrap_or_else(|| panic!("no {name} in {families:#?}"))
}

#[test]
fn counters_rates_and_gauges_keep_k6_names() {
    let families = families(&registry_with(&[
        (Builtin::HttpReqs, 1.0),
        (Builtin::HttpReqs, 1.0),
        (Builtin::HttpReqFailed, 1.0),
        (Builtin::HttpReqFailed, 0.0),
        (Builtin::Vus, 7.0),
    ]));
    assert_eq!(
        family(&families, "k6_http_reqs").series[0].value,
        Value::Counter(2.0)
    );
    assert_eq!(
        family(&families, "k6_http_req_failed_rate").series[0].value,
        Value::Gauge(0.5)
    );
    assert_eq!(
        family(&families, "k6_vus").series[0].value,
        Value::Gauge(7.0)
    );
    assert!(
        families.iter().all(|f| f.name != "k6_iterations"),
        "an unobserved metric has no series"
    );
}

#[test]
fn time_trends_are_histograms_in_seconds_within_a_bucket() {
    let values = [0.8, 1.0, 1.01, 2.5, 250.0, 250.0, 9000.0];
    let samples: Vec<_> = values
        .iter()
        .map(|&v| (Builtin::HttpReqDuration, v))
        .collect();
    let families = families(&registry_with(&samples));
    let f = family(&families, "k6_http_req_duration_seconds");
    let Value::Histogram(h) = &f.series[0].value else {
        panic!("{f:?}")
    };
    assert_eq!(h.count, 7);
    assert!((h.sum - values.iter().sum::<f64>() / 1000.0).abs() < 1e-9);
    assert!(h.buckets.windows(2).all(|w| w[0].0 < w[1].0), "{h:?}");
    assert_eq!(h.buckets.last(), Some(&(f64::INFINITY, 0)));
    assert_eq!(h.buckets.iter().map(|b| b.1).sum::<u64>(), 7);
    // Every value is counted in a bucket no wider than 1/128 of its
    // bounds, whose lower bound is the bucket before it (a value on a
    // lower bound is counted in the bucket above it).
    for v in values.map(|v| v / 1000.0) {
        let at = h
            .buckets
            .iter()
            .position(|&(le, c)| v <= le && c > 0)
            .unwrap();
        assert!(at > 0, "{v}: {h:?}");
        let (lo, hi) = (h.buckets[at - 1].0, h.buckets[at].0);
        assert!(lo <= v && hi - lo <= hi / 127.0, "{v}: ({lo}, {hi}]");
    }
}

#[test]
fn trend_stats_are_gauges_in_seconds_without_clashing_with_histograms() {
    let registry = registry_with(&[
        (Builtin::HttpReqDuration, 100.0),
        (Builtin::HttpReqDuration, 300.0),
    ]);
    let stats = [
        ("p99".to_string(), Stat::Percentile(99.0)),
        ("count".to_string(), Stat::Count),
        ("max".to_string(), Stat::Max),
    ];
    let families = trend_stats(&registry, &stats);
    let value = |name: &str| family(&families, name).series[0].value.clone();
    assert_eq!(value("k6_http_req_duration_max"), Value::Gauge(0.3));
    assert_eq!(value("k6_http_req_duration_count"), Value::Gauge(2.0));
    let Value::Gauge(p99) = value("k6_http_req_duration_p99") else {
        panic!()
    };
    assert!((p99 - 0.298).abs() < 0.003, "{p99}");

    let mut custom = Registry::new();
    let metric = custom
        .declare("waits", MetricType::Trend, ValueType::Default)
        .unwrap();
    custom.add(&[Sample::now(metric, Arc::new(Tags::default()), 4.0)]);
    let names: Vec<String> = trend_stats(&custom, &stats)
        .iter()
        .map(Family::full_name)
        .collect();
    assert_eq!(
        names,
        ["k6_waits_p99", "k6_waits_max"],
        "count is the histogram's"
    );
}
