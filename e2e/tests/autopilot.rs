//! The autopilot on a cluster: `k6r-cli run --coordinator URL
//! --autopilot SCENARIO --slo ...` has the coordinator steer the rate of
//! a scenario split over 2 agents to the knee of a real nginx whose
//! `limit_req` sets its capacity (found within 10 %), with the agents'
//! CPU watched; the report is in the run's view, in the summary and in
//! the report file.

use k6r_e2e::{show, Cluster};
use k6r_testkit::nginx::{knee_flags, knee_report, RateLimited, KNEE_SCRIPT};

#[test]
fn a_cluster_of_two_agents_finds_the_knee_of_a_rate_limited_nginx() {
    let target = RateLimited::start(100);
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), KNEE_SCRIPT).unwrap();
    let flags = knee_flags(&target.url(), "2s", "45s");
    let mut args = vec!["--no-color"];
    args.extend(flags.iter().map(String::as_str));
    let (out, _) = cluster.run_script(dir.path(), &args);
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
