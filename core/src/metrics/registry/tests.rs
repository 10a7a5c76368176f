use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::metrics::stat::Stat;

fn sample(metric: &Arc<Metric>, tags: &[(&str, &str)], value: f64, ms: u64) -> Sample {
    Sample {
        metric: Arc::clone(metric),
        tags: Arc::new(tags.iter().copied().collect()),
        time: UNIX_EPOCH + Duration::from_millis(ms),
        value,
    }
}

fn stream() -> Vec<Sample> {
    let dur = Builtin::HttpReqDuration.metric();
    let checks = Builtin::Checks.metric();
    let mut out = Vec::new();
    for i in 0..40u64 {
        let status = if i % 4 == 0 { "500" } else { "200" };
        let ok = if status == "200" { "true" } else { "false" };
        let tags = [
            ("status", status),
            ("expected_response", ok),
            ("scenario", "a"),
            ("group", ""),
        ];
        out.push(sample(&dur, &tags, 10.0 + i as f64 * 0.5, i));
        let ctags = [("check", "is 200"), ("group", "::g"), ("scenario", "a")];
        out.push(sample(
            &checks,
            &ctags,
            f64::from(u8::from(status == "200")),
            i,
        ));
    }
    out
}

#[test]
fn routes_samples_to_submetrics_and_checks() {
    let mut r = Registry::new();
    assert_eq!(
        r.submetric("http_req_duration{expected_response:true}")
            .unwrap(),
        "http_req_duration{expected_response:true}"
    );
    // Same tags, other spelling: the same submetric.
    assert_eq!(
        r.submetric("http_req_duration{ expected_response: 'true' }")
            .unwrap(),
        "http_req_duration{expected_response:true}"
    );
    r.submetric("checks{check:is 200}").unwrap();
    r.add(&stream());
    let d = Duration::from_secs(1);
    let sub = r.sink("http_req_duration{expected_response:true}").unwrap();
    assert_eq!(sub.stat(Stat::Count, d), Some(30.0));
    assert_eq!(
        r.sink("http_req_duration").unwrap().stat(Stat::Count, d),
        Some(40.0)
    );
    assert_eq!(
        r.sink("checks{check:is 200}").unwrap().stat(Stat::Rate, d),
        Some(0.75)
    );
    let c = &r.checks().all()[0];
    assert_eq!(
        (c.group.as_str(), c.name.as_str(), c.passes, c.fails),
        ("::g", "is 200", 30, 10)
    );
    assert_eq!(r.groups().children("").collect::<Vec<_>>(), [("g", "::g")]);
    assert!(r.get("http_req_duration").unwrap().observed);
    assert!(!r.get("http_reqs").unwrap().observed);
    assert_eq!(
        r.submetric("nope{a:b}").unwrap_err().to_string(),
        "metric 'nope' does not exist in the script"
    );
}

#[test]
fn merging_split_registries_equals_one() {
    let all = stream();
    let setup = |r: Registry| {
        let mut r = r.with_breakdown();
        r.submetric("http_req_duration{status:200}").unwrap();
        r
    };
    let mut whole = setup(Registry::new());
    whole.add(&all);
    let (mut a, mut b) = (setup(Registry::new()), setup(Registry::new()));
    for (i, s) in all.iter().enumerate() {
        if i % 3 == 0 {
            a.add(std::slice::from_ref(s))
        } else {
            b.add(std::slice::from_ref(s))
        }
    }
    a.merge(&b).unwrap();
    assert_eq!(a.entries(), whole.entries());
    assert_eq!(a.checks().all(), whole.checks().all());
    assert_eq!(a.breakdown(), whole.breakdown());
}

#[test]
fn a_headline_breakdown_keeps_each_scenario_s_headline_metrics_only() {
    let mut r = Registry::new().with(Breakdown::Headline);
    let mut samples = stream();
    let b = [("scenario", "b"), ("group", "::g")];
    samples.push(sample(&Builtin::HttpReqs.metric(), &b, 1.0, 50));
    samples.push(sample(&Builtin::Iterations.metric(), &b, 1.0, 50));
    r.add(&samples);
    let breakdown = r.breakdown().unwrap();
    let names = |s: &str| -> Vec<&str> { breakdown[s].totals.keys().map(|k| &**k).collect() };
    assert_eq!(names("a"), ["checks", "http_req_duration"]);
    assert_eq!(names("b"), ["http_reqs"]);
    // No groups, no checks book: those are the full breakdown's.
    assert!(breakdown["a"].groups.is_empty());
    assert!(breakdown["a"].checks.all().is_empty());
    let d = Duration::from_secs(1);
    let a_checks = &breakdown["a"].totals["checks"].1;
    assert_eq!(a_checks.stat(Stat::Rate, d), Some(0.75));
    assert_eq!(Breakdown::charted(false, 1), Breakdown::None);
    assert_eq!(Breakdown::charted(false, 2), Breakdown::Headline);
    assert_eq!(Breakdown::charted(true, 1), Breakdown::Full);
}

#[test]
fn declares_custom_metrics_with_k6s_errors() {
    let mut r = Registry::new();
    let m = r
        .declare("my_trend", MetricType::Trend, ValueType::Time)
        .unwrap();
    assert_eq!(m.kind, MetricType::Trend);
    assert!(Arc::ptr_eq(
        &m,
        &r.declare("my_trend", MetricType::Trend, ValueType::Time)
            .unwrap()
    ));
    assert_eq!(
        r.declare("my_trend", MetricType::Counter, ValueType::Default)
            .unwrap_err()
            .to_string(),
        "metric 'my_trend' already exists but with type trend, instead of counter"
    );
    assert!(matches!(
        r.declare("a", MetricType::Counter, ValueType::Default),
        Err(MetricsError::InvalidName(_))
    ));
    // Built-ins are declared already and keep their type.
    assert!(r
        .declare("http_reqs", MetricType::Counter, ValueType::Default)
        .is_ok());
}
