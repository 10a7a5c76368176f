//! `k6r-cli run` serving k6's REST API, as a real process on
//! `-a 127.0.0.1:0` (it logs the address it got): the tutorial of the
//! externally-controlled executor walked with `k6r-cli`, the reference
//! `k6`'s own commands against it, `--paused`, `--linger`, `-a ""`, and a
//! busy explicit address (exit 106).

#[path = "run_live/api.rs"]
mod api;
#[path = "control_harness.rs"]
mod harness;
#[path = "run_live/process.rs"]
mod process;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use api::{all_metrics, close, iterations, ok, sample, status_yaml, until_sample};
use harness::{cli, raw, stop, until_status};
use process::{Run, DEADLINE, K6R};

/// The tutorial's script: only the executor and a duration.
const TUTORIAL: &str = "import { sleep } from 'k6';\n\
export const options = { scenarios: { contacts: { executor: 'externally-controlled', duration: '2m' } } };\n\
export default function () { sleep(0.05); }\n\
export function setup() { console.log('SETUP'); }\n\
export function teardown() { console.log('TEARDOWN'); }\n";

#[test]
fn tutorial_walked_with_k6r_cli() {
    let (mut run, addr) = Run::serve(TUTORIAL, &[]);
    // Waits with 0 VUs.
    until_status(addr, |s| s["status"] == 7);
    assert_eq!(
        cli(K6R, &["status"], addr),
        ok(status_yaml(7, false, 0, 0, true))
    );
    assert_eq!(iterations(addr), 0.0);

    assert_eq!(
        cli(K6R, &["scale", "--vus", "2", "--max", "10"], addr),
        ok(status_yaml(7, false, 2, 10, true))
    );
    until_sample(addr, "iterations", |s| s["count"].as_f64() > Some(0.0));

    assert_eq!(
        cli(K6R, &["pause"], addr),
        ok(status_yaml(7, true, 0, 10, true))
    );
    assert_eq!(
        cli(K6R, &["scale", "--vus", "5"], addr),
        ok(status_yaml(7, true, 0, 10, true))
    );
    assert_eq!(
        cli(K6R, &["resume"], addr),
        ok(status_yaml(7, false, 5, 10, true))
    );
    until_sample(addr, "vus", |s| s["value"] == 5);
    let before = iterations(addr);
    until_sample(addr, "iterations", |s| s["count"].as_f64() > Some(before));
    assert_eq!(
        cli(K6R, &["status"], addr),
        ok(status_yaml(7, false, 5, 10, true))
    );

    let stats = cli(K6R, &["stats"], addr);
    assert_eq!(stats.code, Some(0), "{stats:?}");
    assert!(
        stats.stdout.contains(
            "- name: vus\n  type:\n    type: gauge\n    valid: true\n  contains:\n    type: default\n    valid: true\n  tainted: \"\"\n  sample:\n    value: 5\n"
        ),
        "{}",
        stats.stdout
    );
    assert!(
        stats.stdout.contains(
            "- name: iterations\n  type:\n    type: counter\n    valid: true\n  contains:\n    type: default\n    valid: true\n  tainted: \"\"\n  sample:\n    count: "
        ),
        "{}",
        stats.stdout
    );
    assert!(
        stats.stdout.contains(
            "- name: iteration_duration\n  type:\n    type: trend\n    valid: true\n  contains:\n    type: time\n"
        ),
        "{}",
        stats.stdout
    );

    let stopped = stop(addr);
    assert_eq!(stopped.status, 200);
    assert!(
        stopped
            .body
            .contains(r#""paused":false,"vus":5,"vus-max":10,"stopped":true,"running":true"#),
        "{}",
        stopped.body
    );
    assert_eq!(run.wait(), 103, "{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains(r#"level=error msg="test run stopped from REST API""#),
        "{stderr}"
    );
    assert!(
        stderr.contains("msg=TEARDOWN"),
        "teardown still runs:\n{stderr}"
    );
}

#[test]
fn the_api_serves_the_runs_metrics_to_prometheus() {
    let (mut run, addr) = Run::serve(TUTORIAL, &[]);
    until_status(addr, |s| s["status"] == 7);
    assert_eq!(
        cli(K6R, &["scale", "--vus", "2", "--max", "2"], addr),
        ok(status_yaml(7, false, 2, 2, true))
    );
    until_sample(addr, "iterations", |s| s["count"].as_f64() > Some(0.0));
    let scraped = raw(addr, "GET", "/metrics", b"");
    assert_eq!(scraped.status, 200);
    assert_eq!(
        scraped.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let total = |name: &str| {
        scraped
            .body
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{}", scraped.body))
    };
    assert!(total("k6_iterations_total") > 0.0);
    assert_eq!(
        total("k6_iteration_duration_seconds_count"),
        total("k6_iterations_total"),
        "every complete iteration has a duration"
    );
    assert!(scraped.body.ends_with("# EOF\n"), "{}", scraped.body);
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103, "{}", run.stderr());
}

#[test]
fn k6s_own_commands_against_a_k6r_run() {
    let (mut run, addr) = Run::serve(TUTORIAL, &[]);
    until_status(addr, |s| s["status"] == 7);
    let k6 = |args: &[&str]| cli("k6", args, addr);
    assert_eq!(k6(&["status"]), ok(status_yaml(7, false, 0, 0, true)));
    assert_eq!(
        k6(&["scale", "-u", "1", "-m", "3"]),
        ok(status_yaml(7, false, 1, 3, true))
    );
    assert_eq!(k6(&["pause"]), ok(status_yaml(7, true, 0, 3, true)));
    let again = k6(&["pause"]);
    assert_eq!(
        (again.code, again.msg.as_str()),
        (Some(255), "Pause error: test execution was already paused")
    );
    assert_eq!(
        k6(&["scale", "-u", "2"]),
        ok(status_yaml(7, true, 0, 3, true))
    );
    assert_eq!(k6(&["resume"]), ok(status_yaml(7, false, 2, 3, true)));
    let too_many = k6(&["scale", "-u", "4"]);
    assert_eq!(
        (too_many.code, too_many.msg.as_str()),
        (
            Some(255),
            "Config update error: invalid configuration supplied: the number of active VUs (4) must be less than or equal to the number of maxVUs (3)"
        )
    );
    // k6 and k6r-cli print the same for the same state.
    assert_eq!(k6(&["status"]), cli(K6R, &["status"], addr));
    // The VU gauges are first sampled a second after VU init (as k6's).
    until_sample(addr, "vus_max", |s| !s.is_null());
    let stats = cli("k6", &["stats"], addr);
    assert_eq!(stats.code, Some(0), "{stats:?}");
    assert!(
        stats.stdout.contains("- name: vus_max\n"),
        "{}",
        stats.stdout
    );
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103);
}

#[test]
fn paused_until_resumed() {
    let (mut run, addr) = Run::serve(TUTORIAL, &["--paused"]);
    // The API is up while the VUs initialise: wait for them under load.
    until_status(addr, |s| s["status"] == 4);
    assert_eq!(
        cli(K6R, &["status"], addr),
        ok(status_yaml(4, true, 0, 0, false))
    );
    // A change staged before the start is answered at once.
    assert_eq!(
        cli(K6R, &["scale", "-u", "1", "-m", "2"], addr),
        ok(status_yaml(4, true, 0, 0, false))
    );
    assert!(!run.stderr().contains("SETUP"), "setup waits for resume");
    assert_eq!(cli(K6R, &["resume"], addr).code, Some(0));
    run.until_stderr("SETUP", |_| Some(()));
    until_status(addr, |s| s["status"] == 7 && s["vus"] == 1);
    assert_eq!(
        cli(K6R, &["status"], addr),
        ok(status_yaml(7, false, 1, 2, true))
    );
    until_sample(addr, "iterations", |s| s["count"].as_f64() > Some(0.0));
    assert_eq!(cli(K6R, &["stop"], addr).code, Some(0));
    assert_eq!(run.wait(), 103);
    assert!(run.stderr().contains("TEARDOWN"));
}

#[test]
fn stopped_while_paused_runs_neither_setup_nor_teardown() {
    let (mut run, addr) = Run::serve(TUTORIAL, &["--paused"]);
    until_status(addr, |s| s["status"] == 4);
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103);
    let stderr = run.stderr();
    assert!(
        !stderr.contains("SETUP") && !stderr.contains("TEARDOWN"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"msg="test run stopped from REST API""#),
        "{stderr}"
    );
}

#[test]
fn linger_keeps_the_api_up_after_the_end() {
    let script = "export const options = { scenarios: { c: { executor: 'externally-controlled', vus: 1, maxVUs: 1, duration: '1s' } } };\n\
export default function () {}\n";
    let (mut run, addr) = Run::serve(script, &["--linger"]);
    until_status(addr, |s| s["status"] == 9 && s["running"] == false);
    let deadline = Instant::now() + DEADLINE;
    while !run
        .stdout()
        .contains("The test is done, but --linger was enabled")
    {
        assert!(Instant::now() < deadline, "{}", run.stdout());
        std::thread::sleep(Duration::from_millis(10));
    }
    // As in k6, a stop does not end lingering.
    assert!(stop(addr)
        .body
        .contains(r#""stopped":true,"running":false"#));
    assert_eq!(raw(addr, "GET", "/v1/status", b"").status, 200);
    assert!(run.child.try_wait().unwrap().is_none());
    run.interrupt();
    assert_eq!(run.wait(), 0, "{}", run.stderr());
}

#[test]
fn busy_explicit_address_exits_106() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for (args, env) in [
        (vec!["-a", addr.as_str()], vec![]),
        (vec![], vec![("K6R_ADDRESS", addr.as_str())]),
    ] {
        let mut run = Run::spawn(TUTORIAL, &args, &env);
        assert_eq!(run.wait(), 106, "{}", run.stderr());
        assert!(
            run.stderr().contains(&format!(
                r#"level=error msg="Error from API server" error="listen tcp {addr}: bind: address already in use""#
            )),
            "{}",
            run.stderr()
        );
        assert!(!run.stderr().contains("SETUP"));
    }
}

#[test]
fn empty_address_serves_nothing() {
    // `-a ""` wins over a (busy) K6R_ADDRESS: nothing is bound, the test
    // runs.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let script =
        "export const options = { vus: 1, iterations: 1 };\nexport default function () {}\n";
    let mut run = Run::spawn(script, &["-a", ""], &[("K6R_ADDRESS", addr.as_str())]);
    assert_eq!(run.wait(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("API"), "{}", run.stderr());
}

#[test]
fn setup_data_and_teardown_through_the_api() {
    let script = "import { sleep } from 'k6';\n\
export const options = { scenarios: { c: { executor: 'externally-controlled', duration: '2m' } } };\n\
export function setup() { return { hello: 'world', n: 1 }; }\n\
export default function () { sleep(0.05); }\n\
export function teardown(data) { console.log('TEARDOWN ' + data.hello); }\n";
    let (mut run, addr) = Run::serve(script, &[]);
    until_status(addr, |s| s["status"] == 7);
    let setup = raw(addr, "GET", "/v1/setup", b"");
    assert_eq!(setup.status, 200);
    assert_eq!(
        setup.body,
        r#"{"data":{"type":"setupData","id":"default","attributes":{"data":{"hello":"world","n":1}}}}"#
    );
    let teardown = raw(addr, "POST", "/v1/teardown", b"");
    assert_eq!((teardown.status, teardown.body.as_str()), (200, ""));
    run.until_stderr("TEARDOWN world", |_| Some(()));
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103);
    assert_eq!(run.stderr().matches("TEARDOWN world").count(), 2);
}

#[test]
fn metrics_api_reads_the_summary_registry() {
    let script = "import { sleep } from 'k6';\nimport { Trend } from 'k6/metrics';\n\
const t = new Trend('waits');\n\
export const options = { scenarios: { c: { executor: 'externally-controlled', vus: 1, maxVUs: 1, duration: '1s' } } };\n\
export default function () { t.add(__ITER % 7); sleep(0.01); }\n";
    let (mut run, addr) = Run::serve(script, &["--linger", "--summary-export", "s.json"]);
    // During the run: the same registry, growing.
    until_sample(addr, "iterations", |s| s["count"].as_f64() > Some(0.0));
    let during = iterations(addr);
    until_status(addr, |s| s["status"] == 9);
    let after = all_metrics(addr);
    run.interrupt();
    assert_eq!(run.wait(), 0, "{}", run.stderr());
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run._dir.path().join("s.json")).unwrap())
            .unwrap();
    let export = &export["metrics"];
    let count = export["iterations"]["count"].as_f64().unwrap();
    assert!(during > 0.0 && during <= count, "{during} vs {count}");
    for (name, keys) in [
        ("iterations", &["count", "rate"][..]),
        ("waits", &["avg", "min", "med", "max", "p(90)", "p(95)"][..]),
        ("iteration_duration", &["avg", "min", "max"][..]),
    ] {
        let live = &after[name]["sample"];
        for key in keys {
            assert!(
                close(&live[*key], &export[name][*key]),
                "{name}.{key}: /v1/metrics {live} vs export {}",
                export[name]
            );
        }
    }
}

#[test]
fn tainted_follows_the_thresholds() {
    let script = "import { sleep } from 'k6';\n\
export const options = { thresholds: { iterations: ['count<2'], vus: ['value<100'] },\n\
  scenarios: { c: { executor: 'externally-controlled', vus: 1, maxVUs: 1, duration: '3s' } } };\n\
export default function () { sleep(0.05); }\n";
    let (mut run, addr) = Run::serve(script, &["--linger"]);
    until_status(addr, |s| s["tainted"] == true);
    let check = |addr| {
        let m = all_metrics(addr);
        assert_eq!(m["iterations"]["tainted"], true, "{m:?}");
        assert_eq!(m["vus"]["tainted"], false, "{m:?}");
        assert_eq!(
            m["iteration_duration"]["tainted"],
            serde_json::Value::Null,
            "no thresholds: null"
        );
    };
    check(addr);
    // While the run lingers, after the final evaluation.
    until_status(addr, |s| s["status"] == 9 && s["tainted"] == true);
    check(addr);
    run.interrupt();
    assert_eq!(run.wait(), 99, "{}", run.stderr());
}

#[test]
fn put_setup_before_the_start_is_what_vus_receive() {
    let script = "import { Counter } from 'k6/metrics';\n\
const got = new Counter('got');\n\
export const options = { scenarios: { c: { executor: 'externally-controlled', vus: 1, maxVUs: 1, duration: '1m' } } };\n\
export default function (data) { if (data && data.put === true) { got.add(1); } }\n";
    let (mut run, addr) = Run::serve(script, &["--paused"]);
    until_status(addr, |s| s["status"] == 4);
    let put = raw(addr, "PUT", "/v1/setup", br#"{ "put" : true }"#);
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(cli(K6R, &["resume"], addr).code, Some(0));
    until_sample(addr, "got", |s| s["count"].as_f64() > Some(0.0));
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103);
}

#[test]
fn put_setup_reaches_vus_that_have_not_started() {
    // setup() returned {v:1}; a PUT after it, before any VU ran, wins.
    let script = "import { Counter } from 'k6/metrics';\n\
const two = new Counter('two');\n\
export const options = { scenarios: { c: { executor: 'externally-controlled', vus: 0, maxVUs: 1, duration: '1m' } } };\n\
export function setup() { return { v: 1 }; }\n\
export default function (data) { if (data.v === 2) { two.add(1); } }\n";
    let (mut run, addr) = Run::serve(script, &[]);
    until_status(addr, |s| s["status"] == 7);
    assert_eq!(raw(addr, "PUT", "/v1/setup", br#"{"v":2}"#).status, 200);
    assert_eq!(cli(K6R, &["scale", "-u", "1"], addr).code, Some(0));
    until_sample(addr, "two", |s| s["count"].as_f64() > Some(0.0));
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103);
}

#[test]
fn paused_time_is_left_out_of_the_test_run_duration() {
    // k6 (observed): a 2s scenario paused for 3s runs 2s of test time;
    // the summary's rates divide by that.
    let script = "import { sleep } from 'k6';\n\
export const options = { scenarios: { c: { executor: 'externally-controlled', vus: 1, maxVUs: 1, duration: '2s' } } };\n\
export default function () { sleep(0.02); }\n";
    let (mut run, addr) = Run::serve(script, &["--summary-export", "s.json"]);
    until_sample(addr, "iterations", |s| s["count"].as_f64() > Some(0.0));
    assert_eq!(cli(K6R, &["pause"], addr).code, Some(0));
    let paused_at = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    until_status(addr, |s| s["status"] == 7 && s["paused"] == true);
    assert_eq!(cli(K6R, &["resume"], addr).code, Some(0));
    assert_eq!(run.wait(), 0, "{}", run.stderr());
    assert!(paused_at.elapsed() >= Duration::from_secs(3));
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run._dir.path().join("s.json")).unwrap())
            .unwrap();
    let it = &export["metrics"]["iterations"];
    let seconds = it["count"].as_f64().unwrap() / it["rate"].as_f64().unwrap();
    assert!(
        (2.0..4.0).contains(&seconds),
        "test-run duration {seconds}s: 2s of running, the 3s pause left out"
    );
}

#[test]
fn raising_vus_max_does_not_stall_running_vus_for_the_init_time() {
    // Each VU's init blocks its worker for 25 ms; 40 new VUs on the one
    // worker are a second of init. The running VU must keep iterating
    // between inits (before the fix it waited out most of them).
    let script = "import { sleep } from 'k6';\nimport { Trend } from 'k6/metrics';\n\
const gap = new Trend('gap', true);\n\
const t0 = Date.now(); while (Date.now() - t0 < 25) {}\n\
export const options = { scenarios: { c: { executor: 'externally-controlled', vus: 1, maxVUs: 1, duration: '1m' } } };\n\
let last = 0;\n\
export default function () { const now = Date.now(); if (last) { gap.add(Math.max(0, now - last - 10)); } last = now; sleep(0.01); }\n";
    let (mut run, addr) = Run::serve(script, &["--workers", "1"]);
    until_sample(addr, "gap", |s| s["max"].as_f64().is_some());
    let patch = raw(
        addr,
        "PATCH",
        "/v1/status",
        br#"{"data":{"attributes":{"vus-max":41}}}"#,
    );
    assert_eq!(patch.status, 200, "{}", patch.body);
    // The `vus_max` gauge (ticked every second) counts initialised VUs.
    until_sample(addr, "vus_max", |s| s["value"].as_f64() >= Some(41.0));
    let before = iterations(addr);
    until_sample(addr, "iterations", |s| {
        s["count"].as_f64() > Some(before + 5.0)
    });
    let max = sample(addr, "gap")["max"].as_f64().unwrap();
    // Measured: 62-78 ms with the fix (debug build), 680 ms before it.
    assert!(max < 300.0, "the running VU was {max} ms late");
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103);
}

/// `vus-max` beyond what the machine holds (`--max-vus` here) is refused
/// at once with a `Config update error`, not initialised until the
/// machine gives out; within it, the change goes through.
#[test]
fn scaling_past_max_vus_is_refused() {
    let (mut run, addr) = Run::serve(TUTORIAL, &["--max-vus", "8"]);
    until_status(addr, |s| s["status"] == 7);
    let refused = cli(
        K6R,
        &["scale", "--vus", "2", "--max", "1000000000000"],
        addr,
    );
    assert_ne!(refused.code, Some(0), "{refused:?}");
    assert!(
        refused
            .msg
            .contains("the number of maxVUs (1000000000000) must be at most 8"),
        "{refused:?}"
    );
    assert_eq!(
        cli(K6R, &["scale", "--vus", "2", "--max", "8"], addr),
        ok(status_yaml(7, false, 2, 8, true))
    );
    assert_eq!(stop(addr).status, 200);
    assert_eq!(run.wait(), 103, "{}", run.stderr());
}
