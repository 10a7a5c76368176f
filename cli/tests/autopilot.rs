//! `k6r-cli run --autopilot SCENARIO --slo ...`: the knee of a real
//! nginx whose capacity its `limit_req` sets (answering 503 above it) is
//! found within 10 %, held, and reported (the summary, the report file);
//! a load generator saturated by its own work is reported as
//! "generator"; bad flags are refused naming the flag.

use std::path::Path;
use std::process::Command;

use k6r_testkit::nginx::{knee_flags, knee_report, RateLimited, KNEE_SCRIPT};
use serde_json::Value;

const K6R: &str = env!("CARGO_BIN_EXE_k6r-cli");

/// Runs `script` with `flags`; the exit code, stdout and stderr.
fn run(dir: &Path, script: &str, flags: &[&str]) -> (Option<i32>, String, String) {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let out = Command::new(K6R)
        .current_dir(dir)
        .args(["run", "-a", "", "--no-color"])
        .args(flags)
        .arg("script.js")
        .output()
        .expect("k6r-cli runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn finds_the_knee_of_a_rate_limited_nginx_within_ten_percent_and_holds_it() {
    let target = RateLimited::start(100);
    let dir = tempfile::tempdir().unwrap();
    let flags = knee_flags(&target.url(), "1s", "30s");
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run(dir.path(), KNEE_SCRIPT, &flags);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report = knee_report(&dir.path().join("report.json"), 100.0);
    assert_eq!(report["held_rate"], report["knee_rate"]);
    let windows = report["windows"].as_array().unwrap();
    let broke = windows
        .iter()
        .find(|w| w["outcome"].as_str().unwrap().starts_with("breached"))
        .expect("a window above the capacity");
    assert!(broke["rate"].as_f64().unwrap() >= 100.0, "{broke:#}");
    assert!(broke["error_rate"].as_f64().unwrap() >= 0.01, "{broke:#}");
    for key in ["rate", "p95", "error_rate", "dropped", "achieved", "cpu"] {
        assert!(windows.iter().all(|w| w.get(key).is_some()), "{key}");
    }
    // The last windows held the knee.
    let last = windows.last().unwrap();
    assert_eq!(
        (last["phase"].as_str(), last["outcome"].as_str()),
        (Some("hold"), Some("held"))
    );
    assert_eq!(last["rate"], report["knee_rate"]);
    // The summary says so.
    assert!(stdout.contains("  AUTOPILOT\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("    {}\n", report["verdict"].as_str().unwrap())),
        "{stdout}"
    );
}

#[test]
fn a_generator_saturated_by_its_own_work_is_reported_as_the_generator() {
    // Each iteration burns about 30 ms of CPU in JavaScript: two worker
    // threads give out long before any target would.
    let script = r#"
export const options = {
  scenarios: {
    burn: {
      executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '25s',
      preAllocatedVUs: 10, maxVUs: 100,
    },
  },
};
export default function () {
  const end = Date.now() + 30;
  let x = 0;
  while (Date.now() < end) { x += Math.sqrt(x + 1); }
}
"#;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        dir.path(),
        script,
        &[
            "--autopilot",
            "burn",
            "--slo",
            "iteration_duration: p(95)<5000",
            "--autopilot-window",
            "1s",
            "--autopilot-report",
            "report.json",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["limiting"], "generator", "{report:#}");
    let verdict = report["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with("limited by the load generator, not the target"),
        "{verdict}"
    );
    let last = report["windows"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|w| w["outcome"].as_str().unwrap().starts_with("generator"))
        .expect("a window that saturated the generator");
    // Saturated well below what a 30 ms iteration allows on 2 cores.
    assert!(last["rate"].as_f64().unwrap() <= 160.0, "{last:#}");
}

#[test]
fn bad_autopilot_flags_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
export const options = { scenarios: {
  rate: { executor: 'constant-arrival-rate', rate: 1, duration: '1s', preAllocatedVUs: 1 },
  vus: { executor: 'constant-vus', vus: 1, duration: '1s' },
} };
export default function () {}
"#;
    let cases: [(&[&str], &str); 6] = [
        (
            &["--slo", "http_req_failed: rate<0.01"],
            "--slo and --autopilot-report need --autopilot SCENARIO",
        ),
        (
            &["--autopilot", "rate"],
            "--autopilot needs at least one --slo",
        ),
        (
            &["--autopilot", "nope", "--slo", "checks: rate>0.9"],
            "--autopilot \"nope\": the test has no such scenario",
        ),
        (
            &["--autopilot", "vus", "--slo", "checks: rate>0.9"],
            "steers the rate of a constant-arrival-rate scenario, and this one is constant-vus",
        ),
        (
            &["--autopilot", "rate", "--slo", "p(95)<200"],
            "--slo \"p(95)<200\": no ':' between the metric and the expression",
        ),
        (
            &["--autopilot", "rate", "--slo", "nope: p(95)<200"],
            "--slo \"nope: p(95)<200\"",
        ),
    ];
    for (flags, message) in cases {
        let (code, stdout, stderr) = run(dir.path(), script, flags);
        assert_eq!(code, Some(104), "{flags:?}: {stdout}\n{stderr}");
        // The log line is logfmt: its quotes are escaped.
        let logged = stderr.replace("\\\"", "\"");
        assert!(logged.contains(message), "{flags:?}: {stderr}");
    }
}
