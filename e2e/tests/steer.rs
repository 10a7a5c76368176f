//! Live scenario changes (k6r's `PATCH /v1/scenarios/{name}`), measured
//! at the target: on one `k6r-cli run -a` process and on a coordinator
//! with 2 agents, a new rate is what the target receives (within 2 %)
//! within 2 s of the PATCH, and a pause stops the requests (of every
//! agent) within 100 ms of its instant. Both summaries list the change.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use k6r_e2e::{bin, cli, cli_spawn, request, show, Cluster, Target};

/// A constant-arrival-rate scenario `s` of 100/s against `TARGET`.
const SCRIPT: &str = "import http from 'k6/http';\n\
export const options = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 100, \
timeUnit: '1s', duration: '60s', preAllocatedVUs: 20, maxVUs: 400 } } };\n\
export default function () { http.get(`${__ENV.TARGET}/json`); }\n";

/// How long anything here may take.
const DEADLINE: Duration = Duration::from_secs(60);

/// A body of `PATCH /v1/scenarios/{name}`.
fn change(name: &str, attributes: &str) -> String {
    format!(r#"{{"data":{{"type":"scenarios","id":"{name}","attributes":{attributes}}}}}"#)
}

/// PATCHes scenario `name` at `addr`; the scenario's attributes after it.
pub fn patch(addr: SocketAddr, name: &str, attributes: &str) -> serde_json::Value {
    let (status, body) = request(
        addr,
        "PATCH",
        &format!("/v1/scenarios/{name}"),
        &change(name, attributes),
    )
    .expect("PATCH");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    v["data"]["attributes"].clone()
}

/// Waits until scenario `name` at `addr` is running.
pub fn until_running(addr: SocketAddr, name: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Ok((200, body)) = request(addr, "GET", &format!("/v1/scenarios/{name}"), "") {
            let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            if v["data"]["attributes"]["state"] == "running" {
                return;
            }
        }
        assert!(Instant::now() < deadline, "scenario {name} never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The requests per second the target receives over `window` from now
/// (its `/stats` does not count itself).
pub fn rate_over(target: &Target, window: Duration) -> f64 {
    let (before, from) = (target.requests(), Instant::now());
    std::thread::sleep(window);
    let (after, took) = (target.requests(), from.elapsed());
    (after - before) as f64 / took.as_secs_f64()
}

/// Requests the target receives over `window` from now.
pub fn requests_over(target: &Target, window: Duration) -> u64 {
    let before = target.requests();
    std::thread::sleep(window);
    target.requests() - before
}

/// `k6r-cli run -a 127.0.0.1:0` of `script` against `target`, and its
/// API's address (read from its `REST API listening` line).
fn serve(dir: &std::path::Path, target: &Target) -> (Child, SocketAddr) {
    std::fs::write(dir.join("script.js"), SCRIPT).unwrap();
    let env = format!("TARGET={}", target.url());
    let mut child = cli_spawn(
        dir,
        &[
            "run",
            "-a",
            "127.0.0.1:0",
            "-e",
            &env,
            "--quiet",
            "script.js",
        ],
    );
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("REST API listening") {
                let addr = line
                    .split_once("address=")
                    .map(|(_, a)| a.trim_matches('"').to_owned());
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(DEADLINE)
        .expect("a REST API listening line")
        .and_then(|a| a.parse().ok())
        .expect("an address");
    (child, addr)
}

#[test]
fn one_process_takes_a_new_rate_within_two_seconds_and_pauses_at_once() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let (child, addr) = serve(dir.path(), &target);
    until_running(addr, "s");

    let (status, body) = request(addr, "GET", "/v1/scenarios", "").unwrap();
    assert_eq!(status, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        listed["data"][0]["attributes"]["executor"],
        "constant-arrival-rate"
    );
    assert_eq!(listed["data"][0]["attributes"]["rate"], 100.0);

    let patched = Instant::now();
    let after = patch(addr, "s", r#"{"rate":400}"#);
    assert_eq!(after["rate"], 400.0, "{after}");
    assert_eq!(after["state"], "running");
    // The new rate holds from the change on: measured over [0.5 s, 1.5 s]
    // after the PATCH.
    std::thread::sleep(Duration::from_millis(500).saturating_sub(patched.elapsed()));
    let rate = rate_over(&target, Duration::from_secs(1));
    assert!(patched.elapsed() < Duration::from_secs(2));
    assert!((rate - 400.0).abs() <= 8.0, "{rate}/s, not 400/s ± 2 %");
    eprintln!("one process: {rate:.1}/s at the target over [0.5 s, 1.5 s] after the PATCH");

    let address = addr.to_string();
    let paused = cli(dir.path(), &["pause", "-a", &address, "--scenario", "s"]);
    assert_eq!(paused.status.code(), Some(0), "{}", show(&paused));
    assert!(String::from_utf8_lossy(&paused.stdout).contains("state: paused\n"));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(requests_over(&target, Duration::from_millis(500)), 0);
    let resumed = cli(dir.path(), &["resume", "-a", &address, "--scenario", "s"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", show(&resumed));
    assert!(String::from_utf8_lossy(&resumed.stdout).contains("state: running\n"));
    assert!(requests_over(&target, Duration::from_millis(300)) > 0);
    let refused = cli(
        dir.path(),
        &["scale", "-a", &address, "--scenario", "s", "--vus", "3"],
    );
    assert_eq!(refused.status.code(), Some(255), "{}", show(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("vus can't be changed for the constant-arrival-rate executor"));

    // Refusals name the field, in k6's error shape.
    let (status, body) = request(
        addr,
        "PATCH",
        "/v1/scenarios/s",
        &change("s", r#"{"vus":3}"#),
    )
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("vus can't be changed for the constant-arrival-rate executor"),
        "{body}"
    );
    let (status, _) = request(
        addr,
        "PATCH",
        "/v1/scenarios/nope",
        &change("nope", r#"{"rate":3}"#),
    )
    .unwrap();
    assert_eq!(status, 404);

    stop_and_check_summary(child, addr);
}

/// Stops the run through k6's API and checks its exit code and that its
/// summary lists the rate change.
fn stop_and_check_summary(child: Child, addr: SocketAddr) {
    let (status, body) = request(
        addr,
        "PATCH",
        "/v1/status",
        r#"{"data":{"type":"status","id":"default","attributes":{"stopped":true}}}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(103), "{stdout}");
    assert!(stdout.contains("LIVE CHANGES"), "{stdout}");
    assert!(
        stdout.contains("scenario s: rate 100/s → 400/s at "),
        "{stdout}"
    );
    assert!(stdout.contains("scenario s: paused at "), "{stdout}");
}

#[test]
fn a_cluster_of_two_agents_takes_a_new_rate_and_pauses_at_one_instant() {
    let target = Target::start();
    let mut command = std::process::Command::new(bin("k6r-coordinator"));
    command.args(["--change-delay", "300ms"]);
    let mut cluster = Cluster::coordinator(command, 2);
    cluster.add_agent("agent-1");
    cluster.add_agent("agent-2");
    cluster.wait_ready();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    let env = format!("TARGET={}", target.url());
    let url = cluster.url();
    let child = cli_spawn(
        dir.path(),
        &[
            "run",
            "--coordinator",
            &url,
            "-e",
            &env,
            "--quiet",
            "script.js",
        ],
    );
    let addr = cluster.addr;
    until_running(addr, "s");

    let patched = Instant::now();
    let after = patch(addr, "s", r#"{"rate":400}"#);
    eprintln!("cluster: the PATCH answered after {:?}", patched.elapsed());
    // Answered once both agents applied it, at the instant chosen ahead.
    assert!(
        patched.elapsed() >= Duration::from_millis(250),
        "{:?}",
        patched.elapsed()
    );
    assert_eq!(after["rate"], 400.0, "{after}");
    std::thread::sleep(Duration::from_millis(500).saturating_sub(patched.elapsed()));
    let rate = rate_over(&target, Duration::from_secs(1));
    assert!(patched.elapsed() < Duration::from_secs(2));
    assert!((rate - 400.0).abs() <= 8.0, "{rate}/s, not 400/s ± 2 %");
    eprintln!("cluster: {rate:.1}/s at the target over [0.5 s, 1.5 s] after the PATCH");

    let paused = patch(addr, "s", r#"{"paused":true}"#);
    assert_eq!(paused["state"], "paused");
    // The answer comes once every agent applied the pause at the common
    // instant: from 100 ms on, neither starts a request.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(requests_over(&target, Duration::from_millis(500)), 0);
    patch(addr, "s", r#"{"paused":false}"#);
    assert!(requests_over(&target, Duration::from_millis(300)) > 0);

    stop_and_check_summary(child, addr);
}
