//! `k6r-cli run` as a user runs it: the binary, a script in a temporary
//! folder, a local target; exit codes and messages as k6's.

#[path = "../../runner/tests/common/target.rs"]
mod target;

use std::path::Path;
use std::process::{Command, Output};

use target::Target;

fn k6r(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_k6r-cli"))
        .current_dir(dir)
        .arg("run")
        .args(args)
        .output()
        .expect("k6r-cli runs")
}

fn write(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), source).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_run_prints_the_summary_and_exits_0() {
    let target = Target::start();
    let dir = write(
        "import http from 'k6/http';\nimport { check } from 'k6';\n\
         export default function () { check(http.get(__ENV.TARGET), { ok: (r) => r.status === 200 }); }\n",
    );
    let url = format!("TARGET={}", target.url());
    let out = k6r(dir.path(), &["-i", "5", "-u", "2", "-e", &url, "script.js"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name}.")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .split_once(": ")
            .map(|(_, v)| v.split_whitespace().next().unwrap_or("").to_owned())
            .unwrap()
    };
    assert_eq!(line("iterations"), "5", "{stdout}");
    assert_eq!(line("http_reqs"), "5", "{stdout}");
    assert_eq!(line("checks_succeeded"), "100.00%", "{stdout}");
    assert!(stdout.contains("  █ TOTAL RESULTS \n"), "{stdout}");
    assert!(
        stdout.contains("5 complete and 0 interrupted iterations"),
        "{stdout}"
    );
    assert_eq!(target.requests(), 5);
}

#[test]
fn a_syntax_error_names_file_line_and_column_and_exits_107() {
    let dir = write("export default function () {\n  let x = ;\n}\n");
    let out = k6r(dir.path(), &["script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(107), "{stderr}");
    assert!(stderr.contains("script.js:2:"), "{stderr}");
    assert!(stderr.contains("SyntaxError"), "{stderr}");
}

#[test]
fn abort_exits_108() {
    let dir = write(
        "import exec from 'k6/execution';\nexport default function () { exec.test.abort('stop now'); }\n",
    );
    let out = k6r(dir.path(), &["-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(108), "{stderr}");
    assert!(stderr.contains("test aborted: stop now"), "{stderr}");
}

#[test]
fn an_exception_in_setup_exits_107() {
    let dir = write(
        "export function setup() { throw new Error('setup broke'); }\nexport default function () {}\n",
    );
    let out = k6r(dir.path(), &["-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(107), "{stderr}");
    assert!(stderr.contains("Error: setup broke"), "{stderr}");
    assert!(stderr.contains("hint=\"script exception\""), "{stderr}");
}

#[test]
fn a_setup_timeout_exits_100() {
    let dir = write(
        "import { sleep } from 'k6';\nexport const options = { setupTimeout: '1s' };\n\
         export function setup() { sleep(30); }\nexport default function () {}\n",
    );
    let out = k6r(dir.path(), &["-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(100), "{stderr}");
    assert!(
        stderr.contains("setup() execution timed out after 1 seconds"),
        "{stderr}"
    );
}

#[test]
fn no_setup_and_no_teardown_skip_them() {
    let dir = write(
        "export function setup() { console.log('in setup'); return 1; }\n\
         export default function (data) { console.log('data ' + data); }\n\
         export function teardown() { console.log('in teardown'); }\n",
    );
    let out = k6r(
        dir.path(),
        &["-q", "--no-setup", "--no-teardown", "script.js"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("in setup") && !stderr.contains("in teardown"),
        "{stderr}"
    );
    assert!(stderr.contains("data undefined"), "{stderr}");
}

#[test]
fn env_flags_and_the_system_environment_reach_the_script() {
    let dir = write(
        "export default function () { console.log(`${__ENV.FROM_FLAG} ${__ENV.K6R_FROM_SYSTEM}`); }\n",
    );
    let run = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_k6r-cli"));
        command
            .current_dir(dir.path())
            .env("K6R_FROM_SYSTEM", "sys")
            .args(["run", "-q", "-e", "FROM_FLAG=flag"])
            .args(extra)
            .arg("script.js");
        text(&command.output().unwrap().stderr)
    };
    assert!(run(&[]).contains("msg=\"flag sys\""));
    assert!(run(&["--include-system-env-vars=false"]).contains("msg=\"flag undefined\""));
}

#[test]
fn a_duration_without_unit_is_a_flag_error() {
    let dir = write("export default function () {}\n");
    let out = k6r(dir.path(), &["-d", "1500", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(
        stderr.contains("invalid argument \\\"1500\\\" for \\\"-d, --duration\\\" flag"),
        "{stderr}"
    );
}

#[test]
fn invalid_options_exit_104() {
    let dir = write("export const options = { iterations: 2, stages: [{ duration: '1s', target: 1 }] };\nexport default function () {}\n");
    let out = k6r(dir.path(), &["script.js"]);
    assert_eq!(out.status.code(), Some(104), "{}", text(&out.stderr));
}

#[test]
fn test_fail_marks_the_run_failed_with_110() {
    let dir = write(
        "import exec from 'k6/execution';\nexport const options = { iterations: 2 };\n\
         export default function () { exec.test.fail('marking failed'); console.log('went on'); }\n",
    );
    let out = k6r(dir.path(), &["-q", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(110), "{stderr}");
    assert_eq!(
        stderr
            .matches("test marked as failed: marking failed")
            .count(),
        2,
        "{stderr}"
    );
    assert_eq!(stderr.matches("went on").count(), 2, "{stderr}");
    assert!(stderr.contains("test run was marked as failed"), "{stderr}");
}

#[test]
fn a_vu_whose_init_code_throws_fails_the_run_with_107() {
    let dir = write(
        "if (__VU === 2) { throw new Error('init broke'); }\nexport default function () {}\n",
    );
    let out = k6r(dir.path(), &["-q", "-u", "2", "-i", "2", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(107), "{stderr}");
    assert!(stderr.contains("init broke"), "{stderr}");
}

#[test]
fn stages_from_the_command_line_ramp_vus() {
    let dir = write("import { sleep } from 'k6';\nexport default function () { sleep(0.1); }\n");
    let out = k6r(dir.path(), &["-s", "1s:2,500ms:0", "script.js"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("    vus_max.") && l.ends_with(" max=2")),
        "{stdout}"
    );
    // The plain progress line, printed at least at the end.
    assert!(stdout.contains("running ("), "{stdout}");
}

#[test]
fn an_interrupt_stops_the_run_gracefully_with_105() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = write(
        "import { sleep } from 'k6';\nexport const options = { vus: 2, duration: '1m' };\n\
         export default function () { sleep(0.1); }\n\
         export function teardown() { console.log('teardown ran'); }\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_k6r-cli"))
        .current_dir(dir.path())
        .args(["run", "script.js"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first progress line: the scenarios are running.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 && !line.starts_with("running (") {
        line.clear();
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(105), "{stderr}");
    assert!(stderr.contains("teardown ran"), "{stderr}");
    assert!(
        stderr.contains("test run was aborted because k6 received a 'interrupt' signal"),
        "{stderr}"
    );
    assert!(rest.contains("iterations......"), "{rest}");
}

#[test]
fn run_tags_from_the_command_line_reach_the_script() {
    let dir = write(
        "import exec from 'k6/execution';\n\
         export default function () { console.log('tag ' + exec.vu.tags.team); }\n",
    );
    let out = k6r(dir.path(), &["-q", "--tag", "team=core", "script.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("msg=\"tag core\""), "{stderr}");
}
