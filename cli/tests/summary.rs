//! The end of `k6r-cli run` against the reference `k6 run` (v1.1.0, on
//! PATH via `scripts/test`): the `--summary-export` of one deterministic
//! script, the text summary side by side (with what varies masked, kept
//! as a fixture), thresholds and exit codes (99, abortOnFail, 104), and
//! `handleSummary`.

#[path = "../../runner/tests/common/target.rs"]
mod target;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use target::Target;

/// A script whose metrics do not depend on timing: 2 VUs × 5 iterations,
/// custom metrics of every type, checks in and out of a group, requests
/// that pass and fail, thresholds that pass and one that fails
/// (`my_rate`: 4 of 10).
const TYPICAL: &str = r#"import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

const counter = new Counter('my_counter');
const gauge = new Gauge('my_gauge');
const rate = new Rate('my_rate');
const trend = new Trend('my_trend');
const time = new Trend('my_time', true);

export const options = {
  scenarios: { main: { executor: 'per-vu-iterations', vus: 2, iterations: 5 } },
  thresholds: {
    my_counter: ['count==30'],
    my_gauge: ['value>0'],
    my_rate: ['rate>0.5'],
    my_trend: ['p(95)<100', 'avg>1'],
    'my_time{kind:odd}': ['max<1000'],
    checks: ['rate>0.5'],
    'checks{check:status is 200}': ['rate==1'],
    http_reqs: ['count==20'],
    http_req_failed: ['rate<0.6'],
  },
};

export default function () {
  const v = (__VU - 1) * 5 + __ITER;
  counter.add(3);
  gauge.add(7);
  rate.add(v % 3 === 0);
  trend.add(v * 10 + 0.5);
  time.add(v, { kind: v % 2 ? 'odd' : 'even' });
  group('g', () => {
    const r = http.get(`${__ENV.TARGET}/`);
    check(r, { 'status is 200': (r) => r.status === 200 });
  });
  const bad = http.get(`${__ENV.TARGET}/status/404`);
  check(bad, { 'is 404': (r) => r.status === 404, 'is 200': (r) => r.status === 200 });
  sleep(0.25);
}
"#;

/// Trends whose samples are the script's own numbers (not timings).
const EXACT_TRENDS: [&str; 3] = ["my_trend", "my_time", "my_time{kind:odd}"];

/// Metrics whose values depend on timing or on the client (`User-Agent`
/// length): only their presence is compared.
const VARYING: [&str; 4] = ["vus", "vus_max", "data_sent", "data_received"];

fn k6r() -> &'static str {
    env!("CARGO_BIN_EXE_k6r-cli")
}

fn run(binary: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .current_dir(dir)
        .arg("run")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{binary} runs: {e}"))
}

fn write(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), source).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_json(path: &Path) -> Value {
    let body = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&body).unwrap()
}

struct Both {
    k6: Output,
    k6r: Output,
    k6_export: Value,
    k6r_export: Value,
}

/// Runs `source` with both binaries (`-q`, `--summary-export`).
fn run_both(source: &str, extra: &[&str]) -> Both {
    let target = Target::start();
    let dir = write(source);
    let env = format!("TARGET={}", target.url().trim_end_matches('/'));
    let mut args = vec!["-q", "-e", &env];
    args.extend_from_slice(extra);
    let with_export = |file: &str| {
        let mut a = args.clone();
        a.extend(["--summary-export", file, "script.js"]);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let k6_args = with_export("k6.json");
    let k6r_args = with_export("k6r.json");
    let k6 = run("k6", dir.path(), &as_refs(&k6_args));
    let k6r = run(k6r(), dir.path(), &as_refs(&k6r_args));
    Both {
        k6_export: read_json(&dir.path().join("k6.json")),
        k6r_export: read_json(&dir.path().join("k6r.json")),
        k6,
        k6r,
    }
}

fn as_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()) + 1e-9
}

/// Every check of a `root_group` (export form): `(path, passes, fails)`.
fn checks(group: &Value, out: &mut Vec<(String, u64, u64)>) {
    if let Some(all) = group["checks"].as_object() {
        for c in all.values() {
            out.push((
                c["path"].as_str().unwrap_or("").to_owned(),
                c["passes"].as_u64().unwrap_or(0),
                c["fails"].as_u64().unwrap_or(0),
            ));
        }
    }
    if let Some(all) = group["groups"].as_object() {
        for g in all.values() {
            checks(g, out);
        }
    }
    out.sort();
}

#[test]
fn summary_export_matches_k6() {
    let both = run_both(TYPICAL, &[]);
    assert_eq!(
        both.k6r.status.code(),
        both.k6.status.code(),
        "k6r stderr: {}\nk6 stderr: {}",
        text(&both.k6r.stderr),
        text(&both.k6.stderr)
    );
    assert_eq!(both.k6.status.code(), Some(99));
    let line = "level=error msg=\"thresholds on metrics 'my_rate' have been crossed\"";
    assert!(
        text(&both.k6r.stderr).contains(line),
        "{}",
        text(&both.k6r.stderr)
    );

    let (k6, ours) = (&both.k6_export["metrics"], &both.k6r_export["metrics"]);
    let names = |m: &Value| {
        let mut v: Vec<String> = m.as_object().unwrap().keys().cloned().collect();
        v.sort();
        v
    };
    assert_eq!(names(ours), names(k6));
    let mut failures = Vec::new();
    for (name, theirs) in k6.as_object().unwrap() {
        let mine = &ours[name];
        assert_eq!(mine["thresholds"], theirs["thresholds"], "{name}");
        if VARYING.contains(&name.as_str()) {
            continue;
        }
        let exact_keys: &[&str] = if theirs.get("passes").is_some() {
            &["passes", "fails", "value"]
        } else if theirs.get("count").is_some() {
            &["count"]
        } else if theirs.get("avg").is_some() {
            if !EXACT_TRENDS.contains(&name.as_str()) {
                continue;
            }
            &["avg", "min", "max"]
        } else {
            &["value", "min", "max"]
        };
        for key in exact_keys {
            let (a, b) = (theirs[key].as_f64(), mine[key].as_f64());
            if !matches!((a, b), (Some(a), Some(b)) if close(a, b, 1e-12)) {
                failures.push(format!("{name}.{key}: k6 {a:?}, k6r {b:?}"));
            }
        }
        if EXACT_TRENDS.contains(&name.as_str()) {
            for key in ["med", "p(90)", "p(95)"] {
                let (a, b) = (theirs[key].as_f64().unwrap(), mine[key].as_f64().unwrap());
                if !close(a, b, 0.01) {
                    failures.push(format!("{name}.{key}: k6 {a}, k6r {b} (over 1 %)"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let (mut k6_checks, mut our_checks) = (Vec::new(), Vec::new());
    checks(&both.k6_export["root_group"], &mut k6_checks);
    checks(&both.k6r_export["root_group"], &mut our_checks);
    assert_eq!(our_checks, k6_checks);
    assert_eq!(k6_checks.len(), 3, "{k6_checks:?}");
}

/// The parts of a summary line that vary between runs, masked: trend
/// statistics, per-second rates, percentiles and medians in threshold
/// lines, and the values of the metrics in [`VARYING`]; runs of spaces
/// (column padding follows the values) become one.
fn mask(summary: &str) -> String {
    let mut out = Vec::new();
    for line in summary.lines() {
        let Some((head, values)) = line.split_once(": ") else {
            out.push(mask_threshold(line));
            continue;
        };
        let name = head.trim_start().split('.').next().unwrap_or("");
        let masked: Vec<String> = if VARYING.contains(&name) {
            vec!["~".to_owned()]
        } else {
            let trend = values.contains("avg=");
            values
                .split_whitespace()
                .map(|token| match token.split_once('=') {
                    Some((key, _)) if trend => format!("{key}=~"),
                    _ if token.ends_with("/s") => "~/s".to_owned(),
                    _ => token.to_owned(),
                })
                .collect()
        };
        out.push(format!("{head}: {}", masked.join(" ")));
    }
    out.join("\n")
}

fn mask_threshold(line: &str) -> String {
    let trimmed = line.trim_start();
    if !(trimmed.starts_with("✓ '") || trimmed.starts_with("✗ '")) {
        return line.trim_end().to_owned();
    }
    line.split(' ')
        .map(|token| match token.split_once('=') {
            Some((key, _)) if key.starts_with("p(") || key == "med" => format!("{key}=~"),
            _ => token.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/summary")
        .join(name)
}

#[test]
fn the_summary_reads_like_k6s() {
    let both = run_both(TYPICAL, &[]);
    let ours = mask(&text(&both.k6r.stdout));
    let theirs = mask(&text(&both.k6.stdout));
    let path = fixture("typical.txt");
    if std::env::var_os("K6R_BLESS").is_some() {
        std::fs::write(&path, format!("{theirs}\n")).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        theirs.trim_end(),
        kept.trim_end(),
        "k6's own summary no longer matches the fixture"
    );
    assert_eq!(ours.trim_end(), kept.trim_end(), "k6r:\n{ours}");
}

#[test]
fn summary_flags_shape_the_text_like_k6s() {
    let args = [
        "--summary-trend-stats",
        "avg,count,p(99)",
        "--summary-time-unit",
        "us",
    ];
    let both = run_both(TYPICAL, &args);
    let (ours, theirs) = (text(&both.k6r.stdout), text(&both.k6.stdout));
    let line = |s: &str, name: &str| {
        s.lines()
            .find(|l| l.starts_with(&format!("    {name}.")))
            .map(mask)
            .unwrap_or_default()
    };
    for name in ["my_trend", "my_time", "iteration_duration"] {
        assert_eq!(line(&ours, name), line(&theirs, name), "{ours}");
    }
    assert!(line(&ours, "my_time").contains("count=~"), "{ours}");
    let my_time = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("    my_time."))
            .unwrap_or_default()
            .to_owned()
    };
    // 4.5 ms in µs with two decimals, as k6 writes it.
    assert!(my_time(&ours).contains("avg=4500.00µs"), "{ours}");
    assert_eq!(both.k6r.status.code(), both.k6.status.code());
    assert_eq!(
        both.k6r_export["metrics"]["my_trend"]["count"],
        both.k6_export["metrics"]["my_trend"]["count"]
    );
}

#[test]
fn full_mode_adds_group_and_scenario_sections_like_k6() {
    let both = run_both(TYPICAL, &["--summary-mode", "full"]);
    let titles = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains('█'))
            .map(|l| l.trim().to_owned())
            .collect()
    };
    let (ours, theirs) = (text(&both.k6r.stdout), text(&both.k6.stdout));
    assert_eq!(titles(&ours), titles(&theirs), "{ours}");
    assert!(ours.contains("SCENARIO: main"), "{ours}");
}

const ABORT: &str = r#"import { sleep } from 'k6';
export const options = {
  vus: 1, duration: '20s',
  thresholds: { iterations: [{ threshold: 'count<3', abortOnFail: true }] },
};
export default function () { sleep(0.3); }
export function teardown() { console.log('teardown ran'); }
"#;

#[test]
fn abort_on_fail_stops_the_run_with_99_after_teardown_like_k6() {
    let both = run_both(ABORT, &[]);
    for (who, out, export) in [
        ("k6", &both.k6, &both.k6_export),
        ("k6r", &both.k6r, &both.k6r_export),
    ] {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(99), "{who}: {stderr}");
        assert!(stderr.contains("teardown ran"), "{who}: {stderr}");
        assert!(
            stderr.contains("msg=\"thresholds on metrics 'iterations' were crossed; at least one has abortOnFail enabled, stopping test prematurely\""),
            "{who}: {stderr}"
        );
        // Stopped at the first 2 s evaluation, far from the 20 s planned.
        let count = export["metrics"]["iterations"]["count"].as_u64().unwrap();
        assert!((3..=8).contains(&count), "{who}: {count} iterations");
        assert_eq!(
            export["metrics"]["iterations"]["thresholds"]["count<3"],
            Value::Bool(true),
            "{who}"
        );
    }
}

#[test]
fn delay_abort_eval_waits_before_aborting() {
    let source = ABORT.replace(
        "abortOnFail: true",
        "abortOnFail: true, delayAbortEval: '3s'",
    );
    let dir = write(&source);
    let out = run(
        k6r(),
        dir.path(),
        &["-q", "--summary-export", "x.json", "script.js"],
    );
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    let count = read_json(&dir.path().join("x.json"))["metrics"]["iterations"]["count"]
        .as_u64()
        .unwrap();
    // The 2 s evaluation fails but may not abort; the 4 s one does.
    assert!((10..=15).contains(&count), "{count} iterations");
}

#[test]
fn a_failed_threshold_does_not_hide_an_earlier_exit_reason() {
    let dir = write(
        "import exec from 'k6/execution';\n\
         export const options = { thresholds: { iterations: ['count<0'] } };\n\
         export default function () { exec.test.fail('x'); }\n",
    );
    for binary in ["k6", k6r()] {
        let out = run(binary, dir.path(), &["-q", "script.js"]);
        assert_eq!(out.status.code(), Some(110), "{binary}");
        assert!(!text(&out.stderr).contains("have been crossed"), "{binary}");
    }
}

#[test]
fn no_thresholds_skips_them() {
    let dir = write(
        "export const options = { thresholds: { iterations: ['count<0'] } };\n\
         export default function () {}\n",
    );
    for binary in ["k6", k6r()] {
        let out = run(binary, dir.path(), &["-q", "--no-thresholds", "script.js"]);
        assert_eq!(out.status.code(), Some(0), "{binary}");
        assert!(!text(&out.stdout).contains("THRESHOLDS"), "{binary}");
    }
}

#[test]
fn invalid_thresholds_exit_104_with_k6s_message() {
    let cases = [
        "{ nope: ['avg<1'] }",
        "{ my_counter: ['avg<1'] }",
        "{ my_counter: ['count<'] }",
        "{ 'my_counter{': ['count<1'] }",
        "{ my_counter: ['p95<1'] }",
    ];
    for thresholds in cases {
        let dir = write(&format!(
            "import {{ Counter }} from 'k6/metrics';\nconst c = new Counter('my_counter');\n\
             export const options = {{ thresholds: {thresholds} }};\n\
             export default function () {{ c.add(1); }}\n"
        ));
        let message = |out: &Output| {
            text(&out.stderr)
                .lines()
                .find(|l| l.contains("level=error"))
                .and_then(|l| l.split_once(" level=error "))
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or_default()
        };
        let k6 = run("k6", dir.path(), &["-q", "script.js"]);
        let ours = run(k6r(), dir.path(), &["-q", "script.js"]);
        assert_eq!(k6.status.code(), Some(104), "{thresholds}");
        assert_eq!(ours.status.code(), Some(104), "{thresholds}");
        assert_eq!(message(&ours), message(&k6), "{thresholds}");
        assert!(text(&ours.stdout).trim().is_empty() || !text(&ours.stdout).contains("TOTAL"));
    }
}

const HANDLE: &str = r#"import { Counter } from 'k6/metrics';
const c = new Counter('my_counter');
export function setup() { return { a: [1, true, null] }; }
export default function () { c.add(2); }
export function handleSummary(data) {
  return {
    stdout: 'custom ' + data.metrics.my_counter.values.count + ' '
      + data.metrics.my_counter.type + ' ' + data.options.summaryTrendStats.join(',') + '\n',
    'summary.txt': 'checks ' + JSON.stringify(data.root_group.checks)
      + ' setup ' + JSON.stringify(data.setup_data),
    'bytes.bin': new Uint8Array([1, 2, 3]).buffer,
  };
}
"#;

#[test]
fn handle_summary_writes_stdout_and_files_instead_of_the_summary() {
    let dir = write(HANDLE);
    for binary in ["k6", k6r()] {
        for f in ["summary.txt", "bytes.bin", "export.json"] {
            let _ = std::fs::remove_file(dir.path().join(f));
        }
        let out = run(
            binary,
            dir.path(),
            &[
                "-q",
                "-i",
                "3",
                "--summary-export",
                "export.json",
                "script.js",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{binary}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stdout).trim_start_matches('\n'),
            "custom 6 counter avg,min,med,max,p(90),p(95)\n",
            "{binary}"
        );
        let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
        assert_eq!(
            text(&read("summary.txt")),
            r#"checks [] setup {"a":[1,true,null]}"#,
            "{binary}"
        );
        assert_eq!(read("bytes.bin"), [1, 2, 3], "{binary}");
        // --summary-export is written too.
        assert_eq!(
            read_json(&dir.path().join("export.json"))["metrics"]["my_counter"]["count"],
            6,
            "{binary}"
        );
    }
}

#[test]
fn a_throwing_handle_summary_is_logged_and_the_default_summary_printed() {
    let dir = write(
        "export default function () {}\n\
         export function handleSummary() { throw new Error('boom'); }\n",
    );
    for binary in ["k6", k6r()] {
        let out = run(binary, dir.path(), &["-q", "script.js"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{binary}");
        assert!(
            stderr.contains("level=error msg=\"Error: boom"),
            "{binary}: {stderr}"
        );
        assert!(
            stderr.contains("hint=\"script exception\""),
            "{binary}: {stderr}"
        );
        assert!(text(&out.stdout).contains("█ TOTAL RESULTS"), "{binary}");
    }
}

#[test]
fn no_summary_skips_handle_summary_and_the_export() {
    let dir = write(HANDLE);
    let out = run(
        k6r(),
        dir.path(),
        &[
            "-q",
            "--no-summary",
            "--summary-export",
            "e.json",
            "script.js",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).trim().is_empty(), "{}", text(&out.stdout));
    assert!(!dir.path().join("e.json").exists());
    assert!(!dir.path().join("summary.txt").exists());
}
