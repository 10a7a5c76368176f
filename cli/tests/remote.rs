//! `k6r-cli run --coordinator URL` against a fake coordinator (an axum
//! server on 127.0.0.1:0 in the test): what it sends, what it prints,
//! how it exits.

#[path = "remote/fake.rs"]
mod fake;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use k6r_api::OnAgentLoss;
use k6r_core::options::Options;

use fake::{Answer, Fake};

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
