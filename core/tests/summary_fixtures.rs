//! Differential tests against the reference k6: the fixtures under
//! `fixtures/summary/` are k6 v1.1.0's own output for `script.js`
//! (regenerate with `regen.sh`). The tests feed the samples that script
//! produces into a [`Registry`] and render k6r's summary.
//!
//! What varies between k6 runs (the test duration, `iteration_duration`,
//! `group_duration`) is not masked out but taken from the same run's
//! `--summary-export`, so every line can be compared: exactly where k6r is
//! exact, within the histogram's error for percentiles.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use k6r_core::metrics::{
    Builtin, Metric, MetricType, Registry, Sample, Tags, ValueType, EXPECTED_RESPONSE_SUBMETRIC,
};
use k6r_core::summary::{self, Options, RunFacts};
use k6r_core::threshold::Thresholds;
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/summary")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// The options of `script.js`.
fn thresholds_option() -> Value {
    json!({
        "my_counter": ["count>10", "rate>0"],
        "my_gauge": ["value<100"],
        "my_rate": ["rate>0.5"],
        "my_time": ["p(95)<50", "avg<100", {"threshold": "max<1000", "abortOnFail": false}],
        "my_time{kind:odd}": ["med>0"],
        "my_trend": ["min>-10"],
        "checks": ["rate>0.9"],
        "checks{check:always}": ["rate==1"],
    })
}

/// Ten values with k6's stats: exact count/min/max/avg, and med/p(90)/p(95)
/// under k6's interpolation when given (n = 10).
fn synthesize(stats: &Value) -> Vec<f64> {
    let g = |k: &str| stats[k].as_f64();
    let n = g("count").map_or(10, |c| c as usize);
    let avg = g("avg").unwrap();
    if let (None, Some(p99)) = (g("min"), g("p(99)")) {
        // n−1 values a and one a + d: avg = a + d/n, and p(99) = a + f·d
        // with f the fraction of 0.99·(n−1) (whose floor is n−2 for n ≤ 100).
        let i = 0.99 * (n - 1) as f64;
        let d = (p99 - avg) / (i.fract() - 1.0 / n as f64);
        let a = avg - d / n as f64;
        let mut v = vec![a; n];
        v[n - 1] = a + d;
        return v;
    }
    let (min, max) = (g("min").unwrap(), g("max").unwrap());
    if n == 1 {
        return vec![min];
    }
    let mut v = vec![0.0; n];
    v[0] = min;
    v[n - 1] = max;
    let total = avg * n as f64;
    match (g("med"), g("p(90)")) {
        (Some(med), Some(p90)) if n == 10 => {
            let v8 = (p90 - 0.1 * max) / 0.9;
            let rest = total - (min + 2.0 * med + v8 + max);
            let mut b = (med + v8) / 2.0;
            let mut a = (rest - 2.0 * b) / 3.0;
            if a > med {
                a = med;
                b = (rest - 3.0 * a) / 2.0;
            } else if a < min {
                a = min;
                b = (rest - 3.0 * a) / 2.0;
            }
            v = vec![min, a, a, a, med, med, b, b, v8, max];
        }
        _ => {
            let m = (total - min - max) / (n - 2) as f64;
            v[1..n - 1].iter_mut().for_each(|x| *x = m);
        }
    }
    v
}

struct Run {
    registry: Registry,
    thresholds: Thresholds,
    facts: RunFacts,
}

/// Replays `script.js` (1 VU, 10 iterations of scenario `main`) into a
/// registry, with the run-dependent parts taken from `export`'s metrics.
fn replay(metrics: &Value, breakdown: bool) -> Run {
    replay_in(metrics, breakdown, "main")
}

/// [`replay`] with the samples tagged with scenario `scenario`.
fn replay_in(metrics: &Value, breakdown: bool, scenario: &str) -> Run {
    let mut r = Registry::new();
    if breakdown {
        r = r.with_breakdown();
    }
    let decl = |r: &mut Registry, n, k, c| r.declare(n, k, c).unwrap();
    let custom = Custom {
        counter: decl(
            &mut r,
            "my_counter",
            MetricType::Counter,
            ValueType::Default,
        ),
        gauge: decl(&mut r, "my_gauge", MetricType::Gauge, ValueType::Default),
        rate: decl(&mut r, "my_rate", MetricType::Rate, ValueType::Default),
        time: decl(&mut r, "my_time", MetricType::Trend, ValueType::Time),
        trend: decl(&mut r, "my_trend", MetricType::Trend, ValueType::Default),
    };
    let mut thresholds =
        Thresholds::build(thresholds_option().as_object().unwrap(), &mut r).unwrap();
    r.submetric(EXPECTED_RESPONSE_SUBMETRIC).unwrap();
    r.add(&samples(&custom, metrics, scenario));
    let it = &metrics["iterations"];
    let secs = it["count"].as_f64().unwrap() / it["rate"].as_f64().unwrap();
    let facts = RunFacts {
        duration: Duration::from_secs_f64(secs),
        ..RunFacts::default()
    };
    thresholds.evaluate(&r, facts.duration, false);
    Run {
        registry: r,
        thresholds,
        facts,
    }
}

/// The script's custom metrics.
struct Custom {
    counter: Arc<Metric>,
    gauge: Arc<Metric>,
    rate: Arc<Metric>,
    time: Arc<Metric>,
    trend: Arc<Metric>,
}

/// The samples of the script's 10 iterations in scenario `scenario`, the
/// durations taken from `metrics`, one millisecond apart.
fn samples(custom: &Custom, metrics: &Value, scenario: &str) -> Vec<Sample> {
    let tags = |pairs: &[(&str, &str)]| -> Arc<Tags> { Arc::new(pairs.iter().copied().collect()) };
    let root = tags(&[("group", ""), ("scenario", scenario)]);
    let mut ms = 0u64;
    let mut samples = Vec::new();
    let mut push = |m: &Arc<Metric>, t: &Arc<Tags>, value: f64| {
        ms += 1;
        samples.push(Sample {
            metric: Arc::clone(m),
            tags: Arc::clone(t),
            time: UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms),
            value,
        });
    };
    let checks = Builtin::Checks.metric();
    let check = |name: &str, group: &str| {
        tags(&[("check", name), ("group", group), ("scenario", scenario)])
    };
    let iteration_durations = synthesize(&metrics["iteration_duration"]);
    let group_durations = synthesize(&metrics["group_duration"]);
    for i in 0..10 {
        let f = f64::from(i);
        push(&custom.counter, &root, f + 1.0);
        push(&custom.gauge, &root, if i % 2 == 0 { -f } else { 3.0 * f });
        push(&custom.rate, &root, f64::from(u8::from(i % 3 == 0)));
        let kind = tags(&[
            ("group", ""),
            ("scenario", scenario),
            ("kind", if i % 2 == 1 { "odd" } else { "even" }),
        ]);
        push(&custom.time, &kind, 1.25 * (f + 1.0) * (f + 1.0));
        push(&custom.time, &root, 0.0004 * (f + 1.0));
        push(&custom.trend, &root, f - 5.5);
        push(&custom.trend, &root, 1000.0 * f);
        push(&checks, &check("always", ""), 1.0);
        push(
            &checks,
            &check("sometimes fails", ""),
            f64::from(u8::from(i % 4 != 0)),
        );
        push(
            &checks,
            &check("in group", "::g1"),
            f64::from(u8::from(i < 7)),
        );
        push(&checks, &check("nested", "::g1::g2"), 1.0);
        let g2 = tags(&[("group", "::g1::g2"), ("scenario", scenario)]);
        let g1 = tags(&[("group", "::g1"), ("scenario", scenario)]);
        // group_duration: half of the values for g2, half for g1.
        push(
            &Builtin::GroupDuration.metric(),
            &g2,
            group_durations[2 * i as usize % group_durations.len()],
        );
        push(
            &Builtin::GroupDuration.metric(),
            &g1,
            group_durations[(2 * i as usize + 1) % group_durations.len()],
        );
        push(&Builtin::DataSent.metric(), &root, 0.0);
        push(&Builtin::DataReceived.metric(), &root, 0.0);
        push(
            &Builtin::IterationDuration.metric(),
            &root,
            iteration_durations[i as usize],
        );
        push(&Builtin::Iterations.metric(), &root, 1.0);
    }
    samples
}

/// A shown value back in its unit (ms for durations, plain numbers,
/// percentages).
fn parse_shown(s: &str) -> Option<f64> {
    let num = |t: &str| t.parse::<f64>().ok();
    for (suffix, scale) in [("ns", 1e-6), ("µs", 1e-3), ("ms", 1.0), ("%", 1.0)] {
        if let Some(t) = s.strip_suffix(suffix) {
            return num(t).map(|x| x * scale);
        }
    }
    if let Some(t) = s.strip_suffix('s') {
        let (rest, secs) = t.rsplit_once(['m', 'h']).map_or(("", t), |(a, b)| (a, b));
        let mut ms = num(secs)? * 1000.0;
        if let Some((h, m)) = rest.split_once('h') {
            ms += num(h)? * 3_600_000.0 + num(m)? * 60_000.0;
        } else if !rest.is_empty() {
            ms += num(rest)? * 60_000.0;
        }
        return Some(ms);
    }
    num(s)
}

/// Lines equal, or equal but for percentile values (`med=`, `p(N)=`) that
/// are within 1 % (plus the display's truncation), ignoring the column
/// padding that their widths change.
fn assert_same(expected: &str, actual: &str) {
    let (e_lines, a_lines): (Vec<_>, Vec<_>) =
        (expected.lines().collect(), actual.lines().collect());
    assert_eq!(
        e_lines.len(),
        a_lines.len(),
        "line count\n--- k6:\n{expected}\n--- k6r:\n{actual}"
    );
    for (n, (e, a)) in e_lines.iter().zip(&a_lines).enumerate() {
        if e == a {
            continue;
        }
        let (et, at): (Vec<_>, Vec<_>) = (
            e.split_whitespace().collect(),
            a.split_whitespace().collect(),
        );
        let ok = et.len() == at.len()
            && et.iter().zip(&at).all(|(x, y)| {
                if x == y {
                    return true;
                }
                let (Some((xk, xv)), Some((yk, yv))) = (x.split_once('='), y.split_once('='))
                else {
                    return false;
                };
                let percentile = xk == "med" || xk.starts_with("p(");
                match (percentile && xk == yk, parse_shown(xv), parse_shown(yv)) {
                    (true, Some(xv), Some(yv)) => (xv - yv).abs() <= 0.01 * xv.abs() + 0.011,
                    _ => false,
                }
            });
        assert!(ok, "line {}\n k6:  {e:?}\n k6r: {a:?}", n + 1);
    }
}

fn render(name: &str, opts: &Options, breakdown: bool) -> (String, String) {
    render_in(name, opts, breakdown, "main")
}

fn render_in(name: &str, opts: &Options, breakdown: bool, scenario: &str) -> (String, String) {
    let export = json_fixture(&format!("{name}.export.json"));
    let run = replay_in(&export["metrics"], breakdown, scenario);
    let text = summary::text::render(&run.registry, Some(&run.thresholds), opts, &run.facts);
    (fixture(&format!("{name}.txt")), text)
}

fn stats(s: &str) -> Vec<String> {
    s.split(',').map(str::to_owned).collect()
}

#[test]
fn compact_summary_matches_k6_byte_for_byte_on_exact_stats() {
    let opts = Options::new(Some(&stats("avg,min,max,count")), None, None).unwrap();
    let (k6, k6r) = render("compact_exact", &opts, false);
    // Only the THRESHOLDS line of p(95) comes from the histogram.
    assert_same(&k6, &k6r);
    let differing: Vec<_> = k6
        .lines()
        .zip(k6r.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert!(differing.len() <= 1, "{differing:?}");
}

#[test]
fn full_summary_matches_k6() {
    let opts = Options::new(Some(&stats("avg,min,max,count")), None, Some("full")).unwrap();
    let (k6, k6r) = render("full_exact", &opts, true);
    assert_same(&k6, &k6r);
}

#[test]
fn full_summary_of_the_default_scenario_has_top_level_groups() {
    let opts = Options::new(Some(&stats("avg,min,max,count")), None, Some("full")).unwrap();
    let (k6, k6r) = render_in("full_default", &opts, true, "default");
    assert!(
        k6r.contains("\n  █ GROUP: g1 \n") && !k6r.contains("SCENARIO"),
        "{k6r}"
    );
    assert_same(&k6, &k6r);
}

#[test]
fn default_summary_matches_k6_within_the_histogram_error() {
    let (k6, k6r) = render("compact", &Options::default(), false);
    assert_same(&k6, &k6r);
}

#[test]
fn time_unit_and_custom_stats_match_k6() {
    let opts = Options::new(Some(&stats("avg,p(99),count")), Some("ms"), None).unwrap();
    let (k6, k6r) = render("units", &opts, false);
    assert_same(&k6, &k6r);
}

/// Numbers equal up to float noise, or (for percentiles of trends) within
/// the histogram's 1 %.
fn close(key: &str, k6: &Value, k6r: &Value, percentile_ok: bool) -> bool {
    let (Some(a), Some(b)) = (k6.as_f64(), k6r.as_f64()) else {
        return k6 == k6r;
    };
    let percentile = key == "med" || key.starts_with("p(");
    let tol = if percentile { 0.01 } else { 1e-9 };
    if percentile && !percentile_ok {
        return true;
    }
    (a - b).abs() <= tol * a.abs().max(1e-9)
}

/// Compares two `metrics` maps: same metrics, same keys, thresholds equal,
/// values close. `values_of` picks a metric's value map.
fn assert_metrics(k6: &Value, k6r: &Value, values_of: fn(&Value) -> &Value) {
    let (k6, k6r) = (k6.as_object().unwrap(), k6r.as_object().unwrap());
    let mut a: Vec<_> = k6.keys().collect();
    let mut b: Vec<_> = k6r.keys().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "metric names");
    for (name, m) in k6 {
        let ours = &k6r[name];
        assert_eq!(m["thresholds"], ours["thresholds"], "{name} thresholds");
        assert_eq!(m["type"], ours["type"], "{name} type");
        assert_eq!(m["contains"], ours["contains"], "{name} contains");
        let (va, vb) = (
            values_of(m).as_object().unwrap(),
            values_of(ours).as_object().unwrap(),
        );
        // group_duration's samples are synthesized from min/max/avg only.
        let percentile_ok = name != "group_duration";
        for (k, v) in va {
            if k == "thresholds" {
                continue;
            }
            assert!(
                close(k, v, &vb[k], percentile_ok),
                "{name}.{k}: k6 {v} vs k6r {}",
                vb[k]
            );
        }
        assert_eq!(va.len(), vb.len(), "{name} keys");
    }
}

#[test]
fn summary_export_matches_k6() {
    let export = json_fixture("compact.export.json");
    let run = replay(&export["metrics"], false);
    let ours = summary::export::summary_export(
        &run.registry,
        Some(&run.thresholds),
        &Options::default(),
        &run.facts,
    );
    assert_eq!(ours["root_group"], export["root_group"]);
    assert_metrics(&export["metrics"], &ours["metrics"], |m| m);
    // k6's 4-space layout round-trips.
    let text = summary::export::to_json_string(&ours);
    assert!(text.starts_with("{\n    \""), "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), ours);
}

#[test]
fn handle_summary_data_matches_k6() {
    let data = json_fixture("handle_summary_data.json");
    let stats: serde_json::Map<String, Value> = data["metrics"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, m)| (k.clone(), m["values"].clone()))
        .collect();
    let mut run = replay(&Value::Object(stats), false);
    run.facts.duration =
        Duration::from_secs_f64(data["state"]["testRunDurationMs"].as_f64().unwrap() / 1000.0);
    let ours = summary::data::handle_summary_data(
        &run.registry,
        Some(&run.thresholds),
        &Options::default(),
        &run.facts,
    );
    assert_eq!(ours["root_group"], data["root_group"]);
    assert_eq!(ours["options"], data["options"]);
    assert_eq!(ours["state"]["isStdOutTTY"], data["state"]["isStdOutTTY"]);
    assert!(close(
        "ms",
        &data["state"]["testRunDurationMs"],
        &ours["state"]["testRunDurationMs"],
        true
    ));
    assert_eq!(ours.get("setup_data"), None);
    assert_metrics(&data["metrics"], &ours["metrics"], |m| &m["values"]);
}
