use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::metrics::sink::{CounterSink, RateSink, TrendSink};
use crate::metrics::{Builtin, Registry, Sink};

fn slo(text: &str) -> Slo {
    Slo::parse(text).unwrap()
}

#[test]
fn slos_parse_as_thresholds_with_submetric_colons() {
    let s = slo("http_req_duration{status:200}: p(95) < 200");
    assert_eq!(s.key, "http_req_duration{status:200}");
    assert_eq!(s.source, "p(95) < 200");
    assert_eq!(s.to_string(), "http_req_duration{status:200}: p(95) < 200");
    let no_colon = Slo::parse("p(95)<200").unwrap_err().to_string();
    assert!(
        no_colon.contains("--slo \"p(95)<200\": no ':'"),
        "{no_colon}"
    );
    let bad = Slo::parse("http_req_duration: p(95)<<")
        .unwrap_err()
        .to_string();
    assert!(bad.contains("http_req_duration: p(95)<<"), "{bad}");
}

#[test]
fn slos_are_checked_against_the_registry_as_thresholds_are() {
    let mut registry = Registry::new();
    let names = Slo::register(
        &[
            slo("http_req_duration{status:200}: p(95)<200"),
            slo("http_req_failed: rate<0.01"),
        ],
        &mut registry,
    )
    .unwrap();
    assert_eq!(names[1], "http_req_failed");
    assert!(registry.sink(&names[0]).is_some(), "{names:?}");
    let unknown = Slo::register(&[slo("nope: p(95)<1")], &mut registry).unwrap_err();
    assert!(unknown.to_string().contains("nope"), "{unknown}");
    let wrong = Slo::register(&[slo("http_req_failed: p(95)<1")], &mut registry).unwrap_err();
    assert!(wrong.to_string().contains("rate"), "{wrong}");
}

#[test]
fn a_window_is_the_difference_of_two_readings() {
    let mut trend = TrendSink::default();
    for v in 1..=100 {
        trend.add(f64::from(v));
    }
    let before = trend.clone();
    for _ in 0..100 {
        trend.add(1000.0);
    }
    let window = trend.since(&before);
    assert_eq!(window.count(), 100);
    assert!(
        (window.percentile(95.0) - 1000.0).abs() / 1000.0 < 0.01,
        "{window:?}"
    );
    assert!((window.sum() - 100_000.0).abs() < 1e-6);
    let mut counter = CounterSink::default();
    counter.add(5.0);
    let c0 = counter.clone();
    counter.add(7.0);
    assert_eq!(counter.since(&c0).count(), 7.0);
    let rate = RateSink {
        passes: 10,
        total: 20,
    }
    .since(&RateSink {
        passes: 4,
        total: 10,
    });
    assert_eq!(rate.rate(), Some(0.6));
}

/// A target that answers in 5 ms below `knee` per second and in 400 ms
/// above, on a generator whose CPU is `rate / cpu_full` busy.
struct Simulated {
    knee: f64,
    cpu_full: f64,
}

impl Simulated {
    fn window(&self, rate: f64, from: Duration, length: Duration) -> Measured {
        let secs = length.as_secs_f64();
        let latency = if rate <= self.knee { 5.0 } else { 400.0 };
        let n = (rate * secs) as u64;
        let mut trend = TrendSink::default();
        for _ in 0..n {
            trend.add(latency);
        }
        let mut failed = RateSink::default();
        for _ in 0..n {
            failed.add(0.0);
        }
        let mut iterations = CounterSink::default();
        iterations.add(n as f64);
        let sinks: BTreeMap<String, Sink> = [
            (
                Builtin::HttpReqDuration.name().to_string(),
                Sink::Trend(trend),
            ),
            (
                Builtin::HttpReqFailed.name().to_string(),
                Sink::Rate(failed),
            ),
            (
                Builtin::Iterations.name().to_string(),
                Sink::Counter(iterations),
            ),
        ]
        .into();
        let busy = (rate / self.cpu_full).min(1.0) * secs;
        let before = Reading {
            at: from,
            cpu: [(
                "local".to_string(),
                CpuTime {
                    busy: 0.0,
                    cores: 1.0,
                },
            )]
            .into(),
            ..Reading::default()
        };
        let after = Reading {
            at: from + length,
            sinks,
            cpu: [("local".to_string(), CpuTime { busy, cores: 1.0 })].into(),
        };
        let slos = [
            slo("http_req_duration: p(95)<200"),
            slo("http_req_failed: rate<0.01"),
        ];
        let names = [
            "http_req_duration".to_string(),
            "http_req_failed".to_string(),
        ];
        Measured::between(&before, &after, rate, &slos, &names)
    }

    fn run(&self, start: f64, windows: usize) -> Search {
        let slos = vec![
            slo("http_req_duration: p(95)<200"),
            slo("http_req_failed: rate<0.01"),
        ];
        let mut search = Search::new("s", slos, start, Settings::default());
        let mut at = Duration::ZERO;
        for _ in 0..windows {
            let w = self.window(search.rate(), at, Duration::from_secs(5));
            assert!(search.ready(&w) || w.slos[0].samples < 200);
            at += Duration::from_secs(6);
            search.observe(w);
        }
        search
    }
}

#[test]
fn the_search_finds_a_known_knee_within_the_precision_then_holds_it() {
    for knee in [37.0, 400.0, 1234.0] {
        let search = Simulated {
            knee,
            cpu_full: 1e9,
        }
        .run(10.0, 30);
        let report = search.report();
        assert_eq!(report.phase, Phase::Hold, "{report:?}");
        let found = report.knee_rate.unwrap();
        assert!(
            found <= knee && found >= knee * 0.95,
            "knee {knee}: found {found}"
        );
        assert_eq!(report.held_rate, Some(found));
        assert_eq!(
            report.limiting,
            Some(Limit::Slo("http_req_duration: p(95)<200".into()))
        );
        assert!(report.verdict.starts_with("knee "), "{}", report.verdict);
        let last = report.windows.last().unwrap();
        assert_eq!((last.phase, last.outcome.as_str()), (Phase::Hold, "held"));
    }
}

#[test]
fn a_first_rate_above_the_knee_descends() {
    let search = Simulated {
        knee: 50.0,
        cpu_full: 1e9,
    }
    .run(1000.0, 30);
    let found = search.report().knee_rate.unwrap();
    assert!((47.5..=50.0).contains(&found), "{found}");
    assert_eq!(
        search.report().windows[0].outcome,
        "breached: http_req_duration: p(95)<200"
    );
    assert_eq!(search.report().windows[1].phase, Phase::Descend);
}

#[test]
fn a_saturated_generator_is_reported_as_generator_not_as_the_target() {
    let search = Simulated {
        knee: 5000.0,
        cpu_full: 700.0,
    }
    .run(100.0, 12);
    let report = search.report();
    assert_eq!(
        report.limiting.as_ref().map(Limit::short),
        Some("generator"),
        "{report:?}"
    );
    assert_eq!(report.phase, Phase::Hold);
    assert!(
        report.verdict.contains("load generator"),
        "{}",
        report.verdict
    );
    // 100, 200, 400 held; 800 saturated the CPU: hold the last that held.
    assert_eq!(report.knee_rate, Some(400.0));
    assert_eq!(report.held_rate, Some(400.0));
}

#[test]
fn a_breach_while_held_steps_back() {
    let slos = vec![slo("http_req_duration: p(95)<200")];
    let mut search = Search::new("s", slos, 100.0, Settings::default());
    let target = Simulated {
        knee: 150.0,
        cpu_full: 1e9,
    };
    let mut at = Duration::ZERO;
    while search.report().phase != Phase::Hold {
        let w = target.window(search.rate(), at, Duration::from_secs(5));
        at += Duration::from_secs(5);
        search.observe(w);
    }
    let held = search.rate();
    // The target degrades: a third of its capacity.
    let worse = Simulated {
        knee: held / 3.0,
        cpu_full: 1e9,
    };
    let d = search.observe(worse.window(held, at, Duration::from_secs(5)));
    assert!((d.rate - held * 0.9).abs() < 1e-9);
    assert_eq!(d.settle, Settings::default().cooldown);
    assert_eq!(search.report().held_rate, Some(d.rate));
}

#[test]
fn a_window_waits_for_enough_samples_up_to_its_stretch() {
    let search = Search::new(
        "s",
        vec![slo("http_req_duration: p(99)<200")],
        1.0,
        Settings::default(),
    );
    let target = Simulated {
        knee: 1e9,
        cpu_full: 1e9,
    };
    // 5 samples in 5 s: too few for a p(99); 20 s of them is the stretch.
    assert!(!search.ready(&target.window(1.0, Duration::ZERO, Duration::from_secs(5))));
    assert!(search.ready(&target.window(1.0, Duration::ZERO, Duration::from_secs(20))));
    assert!(search.ready(&target.window(300.0, Duration::ZERO, Duration::from_secs(5))));
    assert!(!search.ready(&target.window(300.0, Duration::ZERO, Duration::from_secs(4))));
}
