//! k6r-core's metric `Delta` on the wire: typed messages that round-trip
//! exactly, refuse what no agent sends with the field named, and cost
//! fewer bytes than the JSON they replaced.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use k6r_core::metrics::histogram::{Sign, MAX_KEY};
use k6r_core::metrics::{
    Builtin, Delta, Metric, MetricType, Registry, Sample, Sink, Tags, ValueType,
    EXPECTED_RESPONSE_SUBMETRIC,
};
use k6r_proto::convert::MetricDeltaError;
use k6r_proto::v1::{self, sink};
use prost::Message;

/// A deterministic spread of values in `lo..hi`.
fn spread(i: u64, lo: f64, hi: f64) -> f64 {
    let x = i.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1) >> 11;
    lo + (hi - lo) * (x as f64 / (1u64 << 53) as f64)
}

fn tags(pairs: &[(&str, &str)]) -> Arc<Tags> {
    Arc::new(pairs.iter().copied().collect())
}

fn sample(metric: Arc<Metric>, tags: &Arc<Tags>, ms: u64, value: f64) -> Sample {
    Sample {
        metric,
        tags: Arc::clone(tags),
        time: UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms),
        value,
    }
}

/// One agent's second of an HTTP test: `requests` requests with their
/// timings, sizes and checks, in scenario `s` (with the breakdown when
/// `breakdown`).
fn http_second(requests: u64, breakdown: bool) -> Delta {
    let mut r = if breakdown {
        Registry::new().with_breakdown()
    } else {
        Registry::new()
    };
    r.submetric(EXPECTED_RESPONSE_SUBMETRIC).unwrap();
    r.submetric("http_req_duration{status:200}").unwrap();
    let ok = tags(&[
        ("scenario", "s"),
        ("group", "::api"),
        ("status", "200"),
        ("expected_response", "true"),
        ("check", "status is 200"),
    ]);
    let mut batch = Vec::new();
    for i in 0..requests {
        let duration = spread(i, 8.0, 350.0);
        let timings = [
            (Builtin::HttpReqDuration, duration),
            (Builtin::HttpReqWaiting, duration * 0.9),
            (Builtin::HttpReqSending, spread(i + 7, 0.01, 0.2)),
            (Builtin::HttpReqReceiving, spread(i + 3, 0.05, 2.0)),
            (Builtin::HttpReqBlocked, spread(i + 5, 0.0, 0.5)),
            (Builtin::HttpReqConnecting, 0.0),
            (Builtin::HttpReqTlsHandshaking, 0.0),
            (Builtin::IterationDuration, duration + 1.0),
            (Builtin::HttpReqs, 1.0),
            (Builtin::HttpReqFailed, 0.0),
            (Builtin::Checks, (i % 10 != 0) as u8 as f64),
            (Builtin::DataSent, 120.0),
            (Builtin::DataReceived, spread(i + 1, 400.0, 4000.0).round()),
            (Builtin::Iterations, 1.0),
            (Builtin::Vus, 10.0),
        ];
        for (metric, value) in timings {
            batch.push(sample(metric.metric(), &ok, i, value));
        }
    }
    r.add(&batch);
    r.take_delta()
}

/// A delta with every part a `Delta` has: trend buckets below, at and
/// above zero, every sink type, submetrics, checks, groups and slices.
fn everything() -> Delta {
    let mut r = Registry::new().with_breakdown();
    let custom = r
        .declare("signed", MetricType::Trend, ValueType::Default)
        .unwrap();
    let level = r
        .declare("level", MetricType::Gauge, ValueType::Data)
        .unwrap();
    r.submetric("signed{kind:odd}").unwrap();
    let odd = tags(&[
        ("scenario", "s"),
        ("group", "::g::h"),
        ("kind", "odd"),
        ("check", "fine"),
    ]);
    let even = tags(&[("scenario", "t"), ("check", "fine")]);
    let mut batch = Vec::new();
    for i in 0..40u64 {
        let t = if i % 2 == 1 { &odd } else { &even };
        let value = (i as f64 - 20.0) * 1.37;
        batch.push(sample(Arc::clone(&custom), t, i, value));
        batch.push(sample(Arc::clone(&level), t, i, -value));
        batch.push(sample(Builtin::Checks.metric(), t, i, (i % 3) as f64));
        batch.push(sample(Builtin::Iterations.metric(), t, i, 1.0));
    }
    batch.push(sample(Arc::clone(&custom), &odd, 99, f64::INFINITY));
    r.add(&batch);
    let delta = r.take_delta();
    assert!(!delta.checks.is_empty() && !delta.groups.is_empty());
    assert!(!delta.slices.is_empty() && !delta.scenario_checks.is_empty());
    delta
}

fn through_the_wire(delta: &Delta) -> Result<Delta, MetricDeltaError> {
    let bytes = v1::MetricDelta::new("r1", 7, delta).encode_to_vec();
    let wire = v1::MetricDelta::decode(bytes.as_slice()).unwrap();
    assert_eq!((wire.run_id.as_str(), wire.seq), ("r1", 7));
    Delta::try_from(&wire)
}

#[test]
fn a_delta_round_trips_exactly() {
    let delta = everything();
    let signed = delta.metrics.iter().find(|m| m.name == "signed").unwrap();
    let Sink::Trend(trend) = &signed.sink else {
        panic!("{signed:?}")
    };
    let hist = trend.histogram();
    assert!(hist.zeros() > 0);
    assert!(hist.buckets(Sign::Negative).count() > 10);
    assert!(hist.buckets(Sign::Positive).count() > 10);
    assert_eq!(signed.submetrics[0].0, "kind:odd");
    assert_eq!(through_the_wire(&delta), Ok(delta.clone()));
    assert_eq!(
        through_the_wire(&http_second(200, true)),
        Ok(http_second(200, true))
    );
    assert_eq!(through_the_wire(&Delta::default()), Ok(Delta::default()));
}

#[test]
fn the_typed_delta_costs_fewer_bytes_than_its_json() {
    for (requests, breakdown) in [(1, false), (200, false), (200, true)] {
        let delta = http_second(requests, breakdown);
        let json = serde_json::to_vec(&delta).unwrap().len();
        let typed = v1::MetricDelta::new("", 0, &delta).encoded_len();
        println!("{requests} requests, breakdown {breakdown}: JSON {json} B, protobuf {typed} B");
        assert!(typed < json, "{typed} >= {json}");
    }
}

/// A valid wire delta with a trend `tr` (and submetric `tr{k:v}`), a
/// counter `co` and a rate `ra`.
fn wire() -> v1::MetricDelta {
    let mut r = Registry::new();
    let t = r.declare("tr", MetricType::Trend, ValueType::Time).unwrap();
    let c = r
        .declare("co", MetricType::Counter, ValueType::Default)
        .unwrap();
    let rate = r
        .declare("ra", MetricType::Rate, ValueType::Default)
        .unwrap();
    r.submetric("tr{k:v}").unwrap();
    let kv = tags(&[("k", "v")]);
    r.add(&[
        sample(Arc::clone(&t), &kv, 0, 3.5),
        sample(Arc::clone(&t), &kv, 1, 70.25),
        sample(c, &kv, 2, 0.1),
        sample(rate, &kv, 3, 1.0),
    ]);
    v1::MetricDelta::new("r1", 1, &r.take_delta())
}

fn metric<'a>(wire: &'a mut v1::MetricDelta, name: &str) -> &'a mut v1::Metric {
    wire.metrics.iter_mut().find(|m| m.name == name).unwrap()
}

fn sink_kind(m: &mut v1::Metric) -> &mut sink::Kind {
    m.sink.as_mut().unwrap().kind.as_mut().unwrap()
}

fn trend(m: &mut v1::Metric) -> &mut v1::TrendSink {
    match sink_kind(m) {
        sink::Kind::Trend(t) => t,
        other => panic!("{other:?}"),
    }
}

fn positive(m: &mut v1::Metric) -> &mut v1::Buckets {
    trend(m)
        .histogram
        .as_mut()
        .unwrap()
        .positive
        .as_mut()
        .unwrap()
}

/// `broken` applied to [`wire`] is refused with `error` inside metric
/// `name`.
fn refused(name: &str, broken: impl FnOnce(&mut v1::MetricDelta), error: MetricDeltaError) {
    let mut w = wire();
    assert!(Delta::try_from(&w).is_ok());
    broken(&mut w);
    let want = MetricDeltaError::InMetric {
        metric: name.into(),
        error: Box::new(error),
    };
    assert_eq!(Delta::try_from(&w), Err(want));
}

#[test]
fn a_malformed_histogram_or_type_is_refused_naming_the_field() {
    use MetricDeltaError::*;
    refused(
        "tr",
        |w| metric(w, "tr").kind = 9,
        UnknownEnum {
            field: "kind",
            value: 9,
        },
    );
    refused(
        "co",
        |w| metric(w, "co").contains = 0,
        UnknownEnum {
            field: "contains",
            value: 0,
        },
    );
    refused(
        "tr",
        |w| positive(metric(w, "tr")).key_steps[0] = MAX_KEY + 1,
        BucketOutOfRange {
            field: "trend.histogram.positive.key_steps",
            key: u64::from(MAX_KEY) + 1,
        },
    );
    refused(
        "tr",
        |w| positive(metric(w, "tr")).key_steps[1] = 0,
        Invalid {
            field: "trend.histogram.positive.key_steps",
            reason: "keys must ascend",
        },
    );
    refused(
        "tr",
        |w| {
            positive(metric(w, "tr")).counts.pop();
        },
        Invalid {
            field: "trend.histogram.positive.counts",
            reason: "not one count per key step",
        },
    );
    refused(
        "tr",
        |w| positive(metric(w, "tr")).counts[0] = u64::MAX,
        CountOverflow {
            field: "trend.histogram.positive.counts",
        },
    );
}

#[test]
fn a_malformed_sink_is_refused_naming_the_field() {
    use MetricDeltaError::*;
    refused(
        "tr",
        |w| trend(metric(w, "tr")).count = 3,
        Invalid {
            field: "trend.count",
            reason: "not the number of values the histogram holds",
        },
    );
    refused(
        "tr",
        |w| trend(metric(w, "tr")).min = f64::NAN,
        NotANumber { field: "trend.min" },
    );
    refused(
        "co",
        |w| match sink_kind(metric(w, "co")) {
            sink::Kind::Counter(c) => c.sum.as_mut().unwrap().partials[0] = f64::INFINITY,
            other => panic!("{other:?}"),
        },
        NonFinite {
            field: "counter.sum.partials",
        },
    );
    refused(
        "ra",
        |w| match sink_kind(metric(w, "ra")) {
            sink::Kind::Rate(r) => r.passes = r.total + 1,
            other => panic!("{other:?}"),
        },
        Invalid {
            field: "rate.passes",
            reason: "more passes than values",
        },
    );
    refused(
        "co",
        |w| metric(w, "co").kind = v1::MetricType::Gauge.into(),
        SinkMismatch {
            field: "sink",
            expected: MetricType::Gauge,
            found: MetricType::Counter,
        },
    );
    refused(
        "ra",
        |w| metric(w, "ra").sink = None,
        Missing { field: "sink" },
    );
    refused(
        "tr{k:v}",
        |w| metric(w, "tr").submetrics[0].sink.as_mut().unwrap().kind = None,
        Missing { field: "sink.kind" },
    );
}

#[test]
fn the_refusal_reads_as_one_line_naming_metric_and_field() {
    let mut w = wire();
    positive(metric(&mut w, "tr")).key_steps[0] = MAX_KEY + 1;
    let error = Delta::try_from(&w).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "metric `tr`: `trend.histogram.positive.key_steps` names bucket key {}, beyond the largest ({MAX_KEY})",
            MAX_KEY + 1
        )
    );
}
