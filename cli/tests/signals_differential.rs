//! SIGTERM and SIGINT against the reference `k6 run` (k6 v1.1.0): k6
//! treats both alike. The first stops the test gracefully (teardown and
//! the summary still come, exit 105, "received a 'terminated' signal");
//! a second one aborts at once (exit 105, "Aborting k6 in response to
//! signal", no summary). Each signal is sent when the script has logged
//! that it reached the point the case is about, not after a guessed delay.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{log_lines, LogLine};

const SCRIPT: &str = r#"
import { sleep } from 'k6';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '30s' } } };
export default function () {
  if (__VU === 1 && __ITER === 0) console.log('running');
  sleep(0.1);
}
export function teardown() {
  console.log('teardown ran');
  sleep(Number(__ENV.TEARDOWN_SLEEP || 0));
  console.log('teardown ended');
}
"#;

/// How one interrupted run ended.
#[derive(Debug, PartialEq)]
struct Ending {
    code: Option<i32>,
    /// The console messages and the error lines, in order.
    lines: Vec<String>,
    /// Whether the end-of-test summary was printed.
    summary: bool,
}

/// Runs `binary` on [`SCRIPT`] and sends `signals`, each once the script
/// logged the message paired with it.
fn interrupted(binary: &str, dir: &Path, env: &[&str], signals: &[(&str, &str)]) -> Ending {
    std::fs::write(dir.join("script.js"), SCRIPT).unwrap();
    let mut command = Command::new(binary);
    command.current_dir(dir).args(["run", "-a", ""]);
    for e in env {
        command.args(["-e", e]);
    }
    let mut child = command
        .arg("script.js")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let stdout = child.stdout.take().unwrap();
    let reading = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut text).unwrap();
        text
    });
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    for (after, signal) in signals {
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("{binary} never logged {after:?}: {log:?}"));
            let seen = log_lines(&line).first().is_some_and(|l| l.msg == *after);
            log.push(line);
            if seen {
                break;
            }
        }
        let status = Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let code = child.wait().unwrap().code();
    log.extend(lines.iter());
    let stdout = reading.join().unwrap();
    let lines = log_lines(&log.join("\n"))
        .into_iter()
        .filter(|l| l.is_console() || l.level == "error")
        .map(|l: LogLine| match l.field("sig") {
            Some(sig) => format!("{} sig={sig}", l.level_and_msg()),
            None => l.level_and_msg(),
        })
        .collect();
    Ending {
        code,
        lines,
        summary: stdout.contains("TOTAL RESULTS"),
    }
}

fn same_as_k6(env: &[&str], signals: &[(&str, &str)]) -> Ending {
    let dir = tempfile::tempdir().unwrap();
    let expected = interrupted("k6", dir.path(), env, signals);
    let actual = interrupted(env!("CARGO_BIN_EXE_k6r-cli"), dir.path(), env, signals);
    assert_eq!(actual, expected);
    actual
}

#[test]
fn sigterm_stops_the_test_like_ctrl_c_with_teardown_and_summary() {
    for (signal, name) in [("TERM", "terminated"), ("INT", "interrupt")] {
        let ending = same_as_k6(&[], &[("running", signal)]);
        assert_eq!(ending.code, Some(105));
        assert!(ending.summary);
        assert_eq!(
            ending.lines,
            [
                "info running".to_string(),
                "info teardown ran".to_string(),
                "info teardown ended".to_string(),
                format!("error test run was aborted because k6 received a '{name}' signal"),
            ]
        );
    }
}

#[test]
fn a_second_signal_aborts_at_once_without_a_summary() {
    let ending = same_as_k6(
        &["TEARDOWN_SLEEP=5"],
        &[("running", "INT"), ("teardown ran", "TERM")],
    );
    assert_eq!(ending.code, Some(105));
    assert!(!ending.summary);
    assert_eq!(
        ending.lines,
        [
            "info running",
            "info teardown ran",
            "error Aborting k6 in response to signal sig=terminated"
        ]
    );
}
