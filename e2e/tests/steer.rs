//! Live scenario changes (k6r's `PATCH /v1/scenarios/{name}`), measured
//! at the target: on one `k6r-cli run -a` process and on a coordinator
//! with 2 agents, a new rate is what the target receives (within 2 %)
//! within 2 s of the PATCH, and a pause stops the requests (of every
//! agent) within 100 ms of its instant. Both summaries list the change.
//! A `factor` on a ramping-vus scenario moves the VUs that run to the
//! multiplied targets, and the change is a `k6r_scenario_change` sample
//! of the `--out` files, at its instant (and a gauge of a coordinator's
//! `/metrics`). An `extend` or `duration` of a ramping-vus scenario on a
//! cluster moves the end every agent lists. Before any change, `GET /v1/scenarios` on a cluster
//! answers what one process does: each scenario's executor, state, VUs
//! set, rate (a ramping one's following its stages) and duration.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use k6r_e2e::{bin, cli, cli_spawn, request, show, Cluster, Target};

/// A constant-arrival-rate scenario `s` of 100/s against `TARGET`.
const SCRIPT: &str = "import http from 'k6/http';\n\
export const options = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 100, \
timeUnit: '1s', duration: '60s', preAllocatedVUs: 20, maxVUs: 400 } } };\n\
export default function () { http.get(`${__ENV.TARGET}/json`); }\n";

/// A ramping-vus scenario `rv`: 2 VUs for 5 s, then 3 for a minute.
const RAMP: &str = "import http from 'k6/http';\nimport { sleep } from 'k6';\n\
export const options = { scenarios: { rv: { executor: 'ramping-vus', startVUs: 2, \
stages: [{ duration: '5s', target: 2 }, { duration: '0s', target: 3 }, \
{ duration: '60s', target: 3 }] } } };\n\
export default function () { http.get(`${__ENV.TARGET}/json`); sleep(0.05); }\n";

/// A scenario of each kind `/v1/scenarios` shows a setting of: a
/// constant rate `c`, a rate ramping from 10/s to 70/s over a minute `r`,
/// and constant VUs `v`.
const MIXED: &str = "import http from 'k6/http';\nimport { sleep } from 'k6';\n\
export const options = { scenarios: { \
c: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '60s', \
preAllocatedVUs: 4, maxVUs: 20 }, \
r: { executor: 'ramping-arrival-rate', startRate: 10, timeUnit: '1s', \
stages: [{ duration: '60s', target: 70 }], preAllocatedVUs: 4, maxVUs: 40 }, \
v: { executor: 'constant-vus', vus: 2, duration: '60s' } } };\n\
export default function () { http.get(`${__ENV.TARGET}/json`); sleep(0.05); }\n";

/// How long anything here may take.
const DEADLINE: Duration = Duration::from_secs(60);

/// When, after a PATCH of a rate, the tests start measuring the rate at
/// the target, and for how long: the new rate holds within 2 s.
const RATE_FROM: Duration = Duration::from_millis(1000);
const RATE_OVER: Duration = Duration::from_millis(900);

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

/// The requests per second the target receives over `window` from now:
/// the median slope between its counts, read every 20 ms (Theil–Sen; its
/// `/stats` does not count itself). A count taken only at the window's
/// two ends moves with the delay of the requests there: on a loaded
/// machine a 20 ms stall at one end is 8 requests at 400/s, 2 % of a
/// second. The median of the slopes between every two readings is the
/// rate the requests keep, whatever a stall does to a few readings.
pub fn rate_over(target: &Target, window: Duration) -> f64 {
    let from = Instant::now();
    let mut readings: Vec<(f64, f64)> = Vec::new();
    loop {
        let asked = from.elapsed();
        let count = target.requests() as f64;
        // The count is of a moment during the call: its middle.
        let at = (asked + from.elapsed()).as_secs_f64() / 2.0;
        readings.push((at, count));
        if asked >= window {
            return median_slope(&readings);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The median of the slopes between every two of `points`.
fn median_slope(points: &[(f64, f64)]) -> f64 {
    let mut slopes: Vec<f64> = points
        .iter()
        .enumerate()
        .flat_map(|(i, (x0, y0))| {
            points[i + 1..]
                .iter()
                .filter(move |(x1, _)| x1 > x0)
                .map(move |(x1, y1)| (y1 - y0) / (x1 - x0))
        })
        .collect();
    slopes.sort_by(f64::total_cmp);
    slopes[slopes.len() / 2]
}

/// Requests the target receives over `window` from now.
pub fn requests_over(target: &Target, window: Duration) -> u64 {
    let before = target.requests();
    std::thread::sleep(window);
    target.requests() - before
}

/// `k6r-cli run -a 127.0.0.1:0 [flags] script.js` of `script` against
/// `target`, and its API's address (read from its `REST API listening`
/// line).
fn serve(
    dir: &std::path::Path,
    target: &Target,
    script: &str,
    flags: &[&str],
) -> (Child, SocketAddr) {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let env = format!("TARGET={}", target.url());
    let mut args = vec!["run", "-a", "127.0.0.1:0", "-e", &env, "--quiet"];
    args.extend_from_slice(flags);
    args.push("script.js");
    let mut child = cli_spawn(dir, &args);
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

/// A cluster of `command`'s coordinator and 2 agents, and `k6r-cli run
/// --coordinator URL script.js` of `script` against `target` on it.
fn submit(
    command: std::process::Command,
    dir: &std::path::Path,
    target: &Target,
    script: &str,
) -> (Cluster, Child) {
    let mut cluster = Cluster::coordinator(command, 2);
    cluster.add_agent("agent-1");
    cluster.add_agent("agent-2");
    cluster.wait_ready();
    std::fs::write(dir.join("script.js"), script).unwrap();
    let env = format!("TARGET={}", target.url());
    let url = cluster.url();
    let args = [
        "run",
        "--coordinator",
        &url,
        "-e",
        &env,
        "--quiet",
        "script.js",
    ];
    (cluster, cli_spawn(dir, &args))
}

#[test]
fn one_process_takes_a_new_rate_within_two_seconds_and_pauses_at_once() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let (child, addr) = serve(dir.path(), &target, SCRIPT, &[]);
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
    // The new rate holds within 2 s of the change: measured over
    // [1.0 s, 1.9 s] after the PATCH (before, a loaded machine may still
    // be starting the VUs the rate needs).
    std::thread::sleep(RATE_FROM.saturating_sub(patched.elapsed()));
    let rate = rate_over(&target, RATE_OVER);
    assert!(patched.elapsed() < Duration::from_secs(2));
    assert!((rate - 400.0).abs() <= 8.0, "{rate}/s, not 400/s ± 2 %");
    eprintln!("one process: {rate:.1}/s at the target over [1.0 s, 1.9 s] after the PATCH");

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

/// Stops the run through k6's API; its exit code is k6's for a stop
/// (103). Its summary.
fn stop(child: Child, addr: SocketAddr) -> String {
    let (status, body) = request(
        addr,
        "PATCH",
        "/v1/status",
        r#"{"data":{"type":"status","id":"default","attributes":{"stopped":true}}}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(103), "{stdout}");
    stdout
}

/// Stops the run and checks that its summary lists the rate change.
fn stop_and_check_summary(child: Child, addr: SocketAddr) {
    let stdout = stop(child, addr);
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
    let dir = tempfile::tempdir().unwrap();
    let (cluster, child) = submit(command, dir.path(), &target, SCRIPT);
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
    std::thread::sleep(RATE_FROM.saturating_sub(patched.elapsed()));
    let rate = rate_over(&target, RATE_OVER);
    assert!(patched.elapsed() < Duration::from_secs(2));
    assert!((rate - 400.0).abs() <= 8.0, "{rate}/s, not 400/s ± 2 %");
    eprintln!("cluster: {rate:.1}/s at the target over [1.0 s, 1.9 s] after the PATCH");
    // The cluster's output, the coordinator's /metrics, has the change
    // once the agents report it (the instant from the scenario's start).
    let deadline = Instant::now() + DEADLINE;
    let instant = loop {
        let (status, body) = request(addr, "GET", "/metrics", "").unwrap();
        assert_eq!(status, 200, "{body}");
        let value = body
            .lines()
            .find_map(|l| l.strip_prefix("k6_k6r_scenario_change "))
            .map(|v| v.trim().parse::<f64>().expect("a number"));
        if let Some(v) = value {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "no k6_k6r_scenario_change in {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(instant > 0.0 && instant < 60.0, "{instant}");

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

/// The `vus` attribute of `GET path` at `addr`.
fn vus_at(addr: SocketAddr, path: &str) -> u64 {
    let (status, body) = request(addr, "GET", path, "").expect("GET");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    v["data"]["attributes"]["vus"].as_u64().expect("vus")
}

#[test]
fn a_factor_multiplies_a_ramping_vus_ramp_and_the_outputs_carry_the_change() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--out", "json=out.json", "--out", "csv=out.csv"];
    let (child, addr) = serve(dir.path(), &target, RAMP, &flags);
    until_running(addr, "rv");

    let sent = SystemTime::now();
    let after = patch(addr, "rv", r#"{"factor":2}"#);
    let answered = SystemTime::now();
    assert_eq!(after["state"], "running", "{after}");
    // 2 → 4 over the rest of the first stage, then 3 × 2 = 6 from 5 s on.
    let deadline = Instant::now() + DEADLINE;
    while vus_at(addr, "/v1/scenarios/rv") != 6 {
        assert!(Instant::now() < deadline, "the VUs never reached 6");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(vus_at(addr, "/v1/status"), 6);
    let stdout = stop(child, addr);
    assert!(stdout.contains("scenario rv: factor ×2 at "), "{stdout}");
    assert!(!stdout.contains("k6r_scenario_change"), "{stdout}");

    // One JSON point, at the change's instant, tagged with its line.
    let json = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
    let points: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "Point" && v["metric"] == "k6r_scenario_change")
        .collect();
    assert_eq!(points.len(), 1, "{points:?}");
    let data = &points[0]["data"];
    assert_eq!(data["tags"]["scenario"], "rv");
    let line = data["tags"]["change"].as_str().unwrap();
    assert!(line.starts_with("scenario rv: factor ×2 at "), "{line}");
    assert!(stdout.contains(line), "{line} not in {stdout}");
    let time = humantime::parse_rfc3339_weak(data["time"].as_str().unwrap()).unwrap();
    assert!(sent <= time && time <= answered, "{data}");
    // Its value is the instant from the scenario's start, as the line
    // says to a tenth of a second.
    let seconds = data["value"].as_f64().unwrap();
    assert!(
        line.ends_with(&format!("at {}", tenths(seconds))),
        "{line} {seconds}"
    );

    // And one CSV row, in the same terms.
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("k6r_scenario_change,"))
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains(&format!("change={line}")), "{}", rows[0]);
    let unix: u64 = rows[0].split(',').nth(1).unwrap().parse().unwrap();
    let secs = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    assert!((secs(sent)..=secs(answered)).contains(&unix), "{}", rows[0]);
}

#[test]
fn a_cluster_extends_a_ramping_vus_scenario_and_lists_its_new_duration() {
    let target = Target::start();
    let command = std::process::Command::new(bin("k6r-coordinator"));
    let dir = tempfile::tempdir().unwrap();
    let (cluster, child) = submit(command, dir.path(), &target, RAMP);
    let addr = cluster.addr;
    until_running(addr, "rv");
    let (status, body) = request(addr, "GET", "/v1/scenarios/rv", "").expect("GET");
    assert_eq!(status, 200, "{body}");
    let before: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(before["data"]["attributes"]["duration"], "1m5s", "{body}");
    // Every agent moves its part's end; the listing shows the new one.
    let after = patch(addr, "rv", r#"{"extend":"30s"}"#);
    assert_eq!(after["duration"], "1m35s", "{after}");
    let after = patch(addr, "rv", r#"{"duration":"2m"}"#);
    assert_eq!(after["duration"], "2m0s", "{after}");
    let stdout = stop(child, addr);
    assert!(
        stdout.contains("scenario rv: extended by 30s at "),
        "{stdout}"
    );
}

/// `seconds` cut to tenths as k6's duration text: `1.2s`, `3s`.
fn tenths(seconds: f64) -> String {
    let tenths = (seconds * 1e9).round() as u64 / 100_000_000;
    match tenths % 10 {
        0 => format!("{}s", tenths / 10),
        t => format!("{}.{t}s", tenths / 10),
    }
}

/// `GET /v1/scenarios` at `addr` once every scenario runs and shows its
/// setting (a rate or VUs set): each scenario's attributes, by name.
fn scenarios_set(addr: SocketAddr) -> serde_json::Map<String, serde_json::Value> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let (status, body) = request(addr, "GET", "/v1/scenarios", "").expect("GET");
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let by_name: serde_json::Map<String, serde_json::Value> = v["data"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().unwrap().to_owned(),
                    s["attributes"].clone(),
                )
            })
            .collect();
        let set = by_name.values().all(|a| {
            a["state"] == "running" && (!a["rate"].is_null() || !a["vus-target"].is_null())
        });
        if set && by_name.len() == 3 {
            return by_name;
        }
        assert!(
            Instant::now() < deadline,
            "never all running and set: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The attributes that say what a scenario is set to (not how far it
/// got, nor a ramping rate, which moves).
fn settings(attributes: &serde_json::Value) -> serde_json::Value {
    let mut settings = attributes.clone();
    let map = settings.as_object_mut().unwrap();
    for moving in ["progress", "vus", "iterations", "dropped-iterations"] {
        map.remove(moving);
    }
    if map["executor"] == "ramping-arrival-rate" {
        map.remove("rate");
    }
    settings
}

/// The rate of ramping scenario `r` at `addr` rises, within its stage's
/// 10/s to 70/s.
fn ramping_rate_rises(addr: SocketAddr, first: f64) {
    assert!((10.0..70.0).contains(&first), "{first}");
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now = scenarios_set(addr)["r"]["rate"].as_f64().expect("a rate");
        if now > first {
            assert!(now < 70.0, "{now}");
            return;
        }
        assert!(Instant::now() < deadline, "the rate stayed at {first}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_cluster_lists_its_scenarios_settings_from_the_start_as_one_process_does() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let (child, addr) = serve(dir.path(), &target, MIXED, &[]);
    let one = scenarios_set(addr);
    ramping_rate_rises(addr, one["r"]["rate"].as_f64().expect("a rate"));
    stop(child, addr);

    let command = std::process::Command::new(bin("k6r-coordinator"));
    let dir = tempfile::tempdir().unwrap();
    let (cluster, child) = submit(command, dir.path(), &target, MIXED);
    let addr = cluster.addr;
    let many = scenarios_set(addr);
    ramping_rate_rises(addr, many["r"]["rate"].as_f64().expect("a rate"));
    stop(child, addr);

    assert_eq!(one["c"]["rate"], 20.0, "{one:?}");
    assert_eq!(one["v"]["vus-target"], 2, "{one:?}");
    for name in ["c", "r", "v"] {
        assert_eq!(
            settings(&one[name]),
            settings(&many[name]),
            "scenario {name}"
        );
    }
}
