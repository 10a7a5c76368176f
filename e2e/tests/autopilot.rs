//! The autopilot on a cluster: `k6r-cli run --coordinator URL
//! --autopilot SCENARIO --slo ...` has the coordinator steer the rate of
//! a scenario split over 2 agents to the knee of a real nginx whose
//! `limit_req` sets its capacity (found within 10 %), with the agents'
//! CPU watched; the report is in the run's view, in the summary and in
//! the report file.

use k6r_e2e::{show, Cluster};
use k6r_testkit::nginx::{knee_report, RateLimited};

/// The README's worked example: a constant-arrival-rate scenario `probe`
/// from 50/s, against `TARGET`, for `DURATION`.
const PROBE: &str = include_str!("../../examples/autopilot.js");

#[test]
fn a_cluster_of_two_agents_finds_the_knee_of_a_rate_limited_nginx() {
    let target = RateLimited::start(100);
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), PROBE).unwrap();
    let env = format!("TARGET={}", target.url());
    let (out, _) = cluster.run_script(
        dir.path(),
        &[
            "--no-color",
            "--autopilot",
            "probe",
            "--slo",
            "http_req_failed: rate<0.01",
            "--slo",
            "http_req_duration: p(95)<500",
            "--autopilot-window",
            "2s",
            "--autopilot-report",
            "report.json",
            "-e",
            &env,
            "-e",
            "DURATION=45s",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let report = knee_report(&dir.path().join("report.json"), 100.0);
    // Both agents' CPU was read: every window has a figure.
    let windows = report["windows"].as_array().unwrap();
    assert!(
        windows.iter().all(|w| w["cpu"].as_f64().is_some()),
        "{report:#}"
    );
    // The run's view carries the same report.
    let view = cluster.last_run();
    assert_eq!(view["autopilot"], report, "{view:#}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  AUTOPILOT\n"), "{stdout}");
}
