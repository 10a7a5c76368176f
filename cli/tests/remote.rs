//! `k6r-cli run --coordinator URL` against a fake coordinator (an axum
//! server on 127.0.0.1:0 in the test): what it sends, what it prints,
//! how it exits.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use k6r_api::{ErrorsBody, OnAgentLoss, RunAgent, RunOutcome, RunRequest, RunState, RunView};
use k6r_core::metrics::{Builtin, MetricType, Registry, Sample, Tags, ValueType};
use k6r_core::options::Options;

/// How the fake answers `POST /v1/runs`.
#[derive(Clone, Copy)]
enum Answer {
    /// 201, then one running view, then the finished one.
    Run,
    /// 409 with k6's error body.
    Conflict,
    /// 401.
    Unauthorized,
    /// 400 with k6's error body.
    BadRequest,
    /// 201, then running views until a stop, then the finished one.
    UntilStopped,
    /// 201, then running views forever.
    Forever,
    /// 201, then 404 for the run.
    UnknownRun,
}

#[derive(Default)]
struct Seen {
    requests: Vec<RunRequest>,
    auth: Vec<Option<String>>,
    polls: usize,
    stops: usize,
}

/// What the fake saw, and a bell rung on every change.
#[derive(Default)]
struct Log {
    seen: Mutex<Seen>,
    changed: Condvar,
}

impl Log {
    fn note<R>(&self, f: impl FnOnce(&mut Seen) -> R) -> R {
        let r = f(&mut self.seen.lock().unwrap());
        self.changed.notify_all();
        r
    }
}

struct Fake {
    url: String,
    seen: Arc<Log>,
    _runtime: tokio::runtime::Runtime,
}

impl Fake {
    fn start(answer: Answer) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let seen = Arc::new(Log::default());
        let app = Router::new()
            .route("/v1/runs", post(submit))
            .route("/v1/runs/{id}", get(view))
            .route("/v1/runs/{id}/stop", post(stop))
            .with_state((answer, Arc::clone(&seen)));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Fake {
            url,
            seen,
            _runtime: runtime,
        }
    }

    fn requests(&self) -> Vec<RunRequest> {
        self.seen.seen.lock().unwrap().requests.clone()
    }

    /// Waits (at most 30 s) until `what` holds.
    fn wait_for(&self, what: impl Fn(&Seen) -> bool) {
        let seen = self.seen.seen.lock().unwrap();
        let (_seen, timeout) = self
            .seen
            .changed
            .wait_timeout_while(seen, Duration::from_secs(30), |s| !what(s))
            .unwrap();
        assert!(!timeout.timed_out(), "the fake coordinator waited in vain");
    }
}

type Shared = (Answer, Arc<Log>);

async fn submit(
    State((answer, seen)): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
    let request: RunRequest = serde_json::from_slice(&body).expect("a RunRequest");
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_owned());
    seen.note(|seen| {
        seen.requests.push(request);
        seen.auth.push(auth);
    });
    let json = [(header::CONTENT_TYPE, "application/json")];
    match answer {
        Answer::Conflict => {
            let body = ErrorsBody::one(409, "a run is active", "run r0 is running");
            (
                StatusCode::CONFLICT,
                json,
                serde_json::to_string(&body).unwrap(),
            )
        }
        Answer::Unauthorized => (StatusCode::UNAUTHORIZED, json, String::new()),
        Answer::BadRequest => {
            // The coordinator's own error body.
            let body = r#"{"error":"invalid options: vus must be positive"}"#;
            (StatusCode::BAD_REQUEST, json, body.to_owned())
        }
        Answer::Run | Answer::UntilStopped | Answer::Forever | Answer::UnknownRun => {
            let view = run_view(RunState::Initializing, None);
            (
                StatusCode::CREATED,
                json,
                serde_json::to_string(&view).unwrap(),
            )
        }
    }
}

async fn view(
    State((answer, seen)): State<Shared>,
    UrlPath(id): UrlPath<String>,
) -> (StatusCode, String) {
    assert_eq!(id, "r1");
    let (polls, stops) = seen.note(|seen| {
        seen.polls += 1;
        (seen.polls, seen.stops)
    });
    if let Answer::UnknownRun = answer {
        let body = ErrorsBody::one(404, "no such run", &id);
        return (StatusCode::NOT_FOUND, serde_json::to_string(&body).unwrap());
    }
    let finished = match answer {
        Answer::UntilStopped => stops > 0,
        Answer::Forever => false,
        _ => polls >= 2,
    };
    let view = if finished {
        run_view(RunState::Finished, Some(outcome()))
    } else {
        run_view(RunState::Running, None)
    };
    (StatusCode::OK, serde_json::to_string(&view).unwrap())
}

async fn stop(State((_, seen)): State<Shared>, UrlPath(id): UrlPath<String>) -> StatusCode {
    assert_eq!(id, "r1");
    seen.note(|seen| seen.stops += 1);
    StatusCode::OK
}

fn run_view(state: RunState, result: Option<RunOutcome>) -> RunView {
    let agent = |name: &str, segment: &str, lead: bool| RunAgent {
        id: format!("id-{name}"),
        name: name.to_owned(),
        segment: segment.to_owned(),
        pinned: Vec::new(),
        lead,
        state: "running".to_owned(),
        vus: 1,
        vus_max: 1,
        iterations: 3,
    };
    RunView {
        id: "r1".to_owned(),
        state,
        elapsed_ms: 1500,
        vus: 2,
        vus_max: 2,
        iterations: 6,
        interrupted: 0,
        agents: vec![agent("a", "0:1/2", true), agent("b", "1/2:1", false)],
        start_skew_ms: Some(3.5),
        result,
    }
}

/// A merged result: 7 iterations, 3 `my_counter`, checks 2/3, partial.
fn outcome() -> RunOutcome {
    let mut registry = Registry::new();
    let counter = registry
        .declare("my_counter", MetricType::Counter, ValueType::Default)
        .unwrap();
    let tags = Arc::new(Tags::new().with("scenario", "default"));
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    let mut samples: Vec<Sample> = (0..7)
        .map(|i| Sample {
            metric: Builtin::Iterations.metric(),
            tags: Arc::clone(&tags),
            time: at(i),
            value: 1.0,
        })
        .collect();
    samples.push(Sample {
        metric: counter,
        tags: Arc::clone(&tags),
        time: at(8),
        value: 3.0,
    });
    registry.add(&samples);
    RunOutcome {
        exit_code: 99,
        message: "thresholds on metrics 'my_counter' have been crossed".to_owned(),
        partial: true,
        lost_agents: vec!["b (1/2:1) at 1.5s".to_owned()],
        duration_ms: 2000,
        metrics: serde_json::to_value(registry.take_delta()).unwrap(),
        setup_data: Some(r#"{"token":"abc"}"#.to_owned()),
    }
}

const SCRIPT: &str = "import { Counter } from 'k6/metrics';\n\
    import { x } from './lib/x.js';\n\
    const bytes = open('./data.bin', 'b');\n\
    const counter = new Counter('my_counter');\n\
    console.log('init ran');\n\
    export const options = { iterations: 7, thresholds: { my_counter: ['count>100'] } };\n\
    export default function () { counter.add(x + bytes.byteLength); }\n";

const BINARY: [u8; 4] = [0, 159, 255, 10];

/// A script with a relative import, an `open()`ed binary file, and a file
/// nobody reads.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    std::fs::write(dir.path().join("lib/x.js"), "export const x = 1;\n").unwrap();
    std::fs::write(dir.path().join("data.bin"), BINARY).unwrap();
    std::fs::write(dir.path().join("unused.js"), "export const y = 2;\n").unwrap();
    dir
}

/// Runs `k6r-cli run` in `dir`; a hung CLI fails the test after 60 s.
fn k6r(dir: &Path, args: &[&str]) -> Output {
    finish(start(dir, args))
}

fn start(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_k6r-cli"))
        .current_dir(dir)
        .env_remove("K6R_COORDINATOR")
        .env_remove("K6R_TOKEN")
        .arg("run")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("k6r-cli starts")
}

/// Waits (at most 60 s) for `child` to end.
fn finish(child: Child) -> Output {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    rx.recv_timeout(Duration::from_secs(60))
        .expect("k6r-cli ends within 60 s")
        .expect("k6r-cli runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_archive_holds_the_entry_its_imports_and_opened_files_only() {
    let fake = Fake::start(Answer::Run);
    let dir = project();
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "-q", "script.js"]);
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    // Packing evaluates the init context a second time, silently.
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("init ran").count(), 1, "{stderr}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let archive = &requests[0].archive;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = |name: &str| {
        // The CLI takes the script's path as given (no symlinks followed).
        let given = std::path::absolute(dir.path().join(name)).unwrap();
        let canonical = root.join(name);
        let key = given.display().to_string();
        if archive.files.contains_key(&key) {
            key
        } else {
            canonical.display().to_string()
        }
    };
    assert_eq!(archive.entry, path("script.js"));
    let keys: BTreeSet<&String> = archive.files.keys().collect();
    let expected = [path("script.js"), path("lib/x.js"), path("data.bin")];
    assert_eq!(keys, expected.iter().collect(), "{keys:?}");
    let decode = |name: &str| STANDARD.decode(&archive.files[&path(name)]).unwrap();
    assert_eq!(decode("data.bin"), BINARY);
    assert_eq!(decode("script.js"), SCRIPT.as_bytes());
}

#[test]
fn the_request_carries_options_env_exports_agents_weights_and_policy() {
    let fake = Fake::start(Answer::Run);
    let dir = project();
    let args = [
        "--coordinator",
        &fake.url,
        "--agents",
        "2",
        "--weight",
        "a=3",
        "--weight",
        "b=1",
        "--on-agent-loss",
        "continue",
        "--summary-mode",
        "full",
        "--include-system-env-vars=false",
        "-e",
        "GREETING=hi",
        "-q",
        "script.js",
    ];
    let out = k6r(dir.path(), &args);
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    let request = &fake.requests()[0];
    assert_eq!(request.agents, Some(2));
    assert_eq!(request.weights.get("a"), Some(&3));
    assert_eq!(request.weights.get("b"), Some(&1));
    assert_eq!(request.on_agent_loss, OnAgentLoss::Continue);
    assert!(request.breakdown);
    assert_eq!(
        request.env.iter().collect::<Vec<_>>(),
        [(&"GREETING".to_owned(), &"hi".to_owned())]
    );
    assert_eq!(request.exports, ["default"]);
    assert!(request.options["thresholds"]["my_counter"].is_array());
    let default = &request.options["scenarios"]["default"];
    assert_eq!(
        default["executor"], "shared-iterations",
        "{}",
        request.options
    );
    assert_eq!(default["iterations"], 7, "{}", request.options);
    // What was sent reads back, derives and validates as it is.
    let (mut options, warnings) = Options::from_json(&request.options).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    options.derive_scenarios().unwrap();
    options.validate(Some(&request.exports)).unwrap();
    assert_eq!(options.scenarios.unwrap().len(), 1);
}

#[test]
fn the_summary_comes_from_the_merged_metrics_and_the_run_exit_code_is_kept() {
    let fake = Fake::start(Answer::Run);
    let dir = project();
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "script.js"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(99), "{stdout}\n{stderr}");
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name}.")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_owned()
    };
    assert!(line("iterations").contains(": 7"), "{stdout}");
    assert!(line("my_counter").contains(": 3"), "{stdout}");
    // The thresholds are evaluated on the merged metrics for display.
    assert!(stdout.contains("✗ 'count>100' count=3"), "{stdout}");
    assert!(stdout.contains("execution: cluster"), "{stdout}");
    assert!(
        stdout.contains("6 complete and 0 interrupted iterations [running, 2 agents]"),
        "{stdout}"
    );
    assert!(stdout.contains("start skew: 3.5ms"), "{stdout}");
    assert!(
        stderr.contains("partial result: lost agent(s) b (1/2:1) at 1.5s"),
        "{stderr}"
    );
    assert!(stderr.contains("have been crossed"), "{stderr}");
}

#[test]
fn summary_export_is_written_from_the_merged_metrics() {
    let fake = Fake::start(Answer::Run);
    let dir = project();
    let args = [
        "--coordinator",
        &fake.url,
        "-q",
        "--summary-export",
        "summary.json",
        "script.js",
    ];
    let out = k6r(dir.path(), &args);
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    let export = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    let export: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(export["metrics"]["iterations"]["count"], 7, "{export}");
    assert_eq!(export["metrics"]["my_counter"]["count"], 3, "{export}");
}

#[test]
fn handle_summary_runs_on_the_merged_metrics_with_the_setup_data() {
    let fake = Fake::start(Answer::Run);
    let dir = project();
    let source = format!(
        "{SCRIPT}export function handleSummary(data) {{\n\
           return {{ stdout: `iterations=${{data.metrics.iterations.values.count}} \
           setup=${{JSON.stringify(data.setup_data)}}\n` }};\n}}\n"
    );
    std::fs::write(dir.path().join("script.js"), source).unwrap();
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "-q", "script.js"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    assert!(
        stdout.contains(r#"iterations=7 setup={"token":"abc"}"#),
        "{stdout}"
    );
    assert!(!stdout.contains("TOTAL RESULTS"), "{stdout}");
    assert!(fake.requests()[0]
        .exports
        .contains(&"handleSummary".to_owned()));
}

#[test]
fn a_conflict_prints_the_server_text_and_fails() {
    let fake = Fake::start(Answer::Conflict);
    let dir = project();
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(
        stderr.contains("a run is active: run r0 is running"),
        "{stderr}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn the_token_is_sent_as_a_bearer_header() {
    let fake = Fake::start(Answer::Run);
    let dir = project();
    let args = [
        "--coordinator",
        &fake.url,
        "--token",
        "s3cret",
        "-q",
        "script.js",
    ];
    let out = k6r(dir.path(), &args);
    assert_eq!(out.status.code(), Some(99), "{}", text(&out.stderr));
    let auth = fake.seen.seen.lock().unwrap().auth.clone();
    assert_eq!(auth, [Some("Bearer s3cret".to_owned())]);
}

#[test]
fn a_bad_script_fails_as_locally_and_sends_nothing() {
    let fake = Fake::start(Answer::Run);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("syntax.js"),
        "export default function () { let x = ; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("threshold.js"),
        "export const options = { thresholds: { nope: ['count>1'] } };\nexport default function () {}\n",
    )
    .unwrap();
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "syntax.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(107), "{stderr}");
    assert!(stderr.contains("SyntaxError"), "{stderr}");
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "threshold.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(104), "{stderr}");
    let local = k6r(dir.path(), &["-a", "", "threshold.js"]);
    assert_eq!(local.status.code(), Some(104));
    assert!(fake.requests().is_empty());
}

#[test]
fn an_unreachable_coordinator_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = project();
    let out = k6r(dir.path(), &["--coordinator", &url, "-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(
        stderr.contains(&format!("can't reach the coordinator at {url}")),
        "{stderr}"
    );
    // One line of its own (the script's init says one more).
    let own = stderr.lines().filter(|l| !l.contains("source=console"));
    assert_eq!(own.count(), 1, "{stderr}");
}

#[test]
fn a_refused_token_is_named() {
    let fake = Fake::start(Answer::Unauthorized);
    let dir = project();
    let args = [
        "--coordinator",
        &fake.url,
        "--token",
        "bad",
        "-q",
        "script.js",
    ];
    let out = k6r(dir.path(), &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(stderr.contains("refused the token"), "{stderr}");
}

#[test]
fn a_bad_request_prints_the_server_text_and_exits_104() {
    let fake = Fake::start(Answer::BadRequest);
    let dir = project();
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(104), "{stderr}");
    assert!(
        stderr.contains("invalid options: vus must be positive"),
        "{stderr}"
    );
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn ctrl_c_stops_the_run_and_the_summary_still_comes() {
    let fake = Fake::start(Answer::UntilStopped);
    let dir = project();
    let child = start(dir.path(), &["--coordinator", &fake.url, "script.js"]);
    // Two polls: the CLI is following, its ctrl-c handler is in place.
    fake.wait_for(|s| s.polls >= 2);
    interrupt(&child);
    let out = finish(child);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(99), "{stdout}\n{stderr}");
    assert_eq!(fake.seen.seen.lock().unwrap().stops, 1);
    assert!(
        stderr.contains("stopping the run on the cluster"),
        "{stderr}"
    );
    assert!(stdout.contains("TOTAL RESULTS"), "{stdout}");
}

#[test]
fn a_second_ctrl_c_exits_105_at_once() {
    let fake = Fake::start(Answer::Forever);
    let dir = project();
    let child = start(dir.path(), &["--coordinator", &fake.url, "-q", "script.js"]);
    fake.wait_for(|s| s.polls >= 2);
    interrupt(&child);
    fake.wait_for(|s| s.stops >= 1);
    interrupt(&child);
    let out = finish(child);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(105), "{stderr}");
}

#[test]
fn a_coordinator_gone_mid_run_is_given_up_on() {
    let fake = Fake::start(Answer::Forever);
    let dir = project();
    let child = start(dir.path(), &["--coordinator", &fake.url, "-q", "script.js"]);
    fake.wait_for(|s| s.polls >= 1);
    drop(fake);
    let out = finish(child);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(stderr.contains("gave up on run r1"), "{stderr}");
}

#[test]
fn flags_of_a_local_run_only_are_refused_before_anything_is_sent() {
    let fake = Fake::start(Answer::Run);
    let dir = project();
    for flag in [["--out", "json=x.json"], ["--execution-segment", "0:1/2"]] {
        let mut args = vec!["--coordinator", &fake.url];
        args.extend(flag);
        args.push("script.js");
        let out = k6r(dir.path(), &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(255), "{stderr}");
        assert!(
            stderr.contains(&format!("{} can't be used with --coordinator", flag[0])),
            "{stderr}"
        );
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn a_refused_poll_ends_the_command_at_once() {
    let fake = Fake::start(Answer::UnknownRun);
    let dir = project();
    let out = k6r(dir.path(), &["--coordinator", &fake.url, "-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(stderr.contains("no such run: r1"), "{stderr}");
    assert_eq!(fake.seen.seen.lock().unwrap().polls, 1);
}
