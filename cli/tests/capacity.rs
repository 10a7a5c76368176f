//! A test that could need more VUs than the machine holds is refused
//! before any VU is made (exit 104, k6's code for an invalid
//! configuration), by `--max-vus` or by the machine's memory; k6 itself
//! starts initialising them until the machine gives out.

mod common;

use common::{log_lines, run_script_with};

fn refusal(script: &str, flags: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_script_with(env!("CARGO_BIN_EXE_k6r-cli"), dir.path(), script, flags);
    let message = log_lines(&ran.stderr)
        .into_iter()
        .find(|l| l.level == "error")
        .map(|l| l.msg)
        .unwrap_or_default();
    (ran.code, message)
}

#[test]
fn more_vus_than_max_vus_are_refused_before_the_start() {
    let script =
        "export const options = { vus: 10, duration: '10s' };\nexport default function () {}\n";
    let (code, message) = refusal(script, &["--no-summary", "--max-vus", "5"]);
    assert_eq!(code, Some(104));
    assert_eq!(
        message,
        "the test could need 10 VUs, more than this machine holds: at most 5 VUs (--max-vus)"
    );
    let (code, _) = refusal(
        script,
        &["--no-summary", "--max-vus", "10", "--duration", "1s"],
    );
    assert_eq!(code, Some(0));
}

#[test]
fn absurd_vus_are_refused_by_the_machines_memory() {
    let script =
        "export const options = { vus: 1e12, duration: '10s' };\nexport default function () {}\n";
    let (code, message) = refusal(script, &["--no-summary"]);
    assert_eq!(code, Some(104));
    assert!(
        message.starts_with(
            "the test could need 1000000000000 VUs, more than this machine holds: at most "
        ),
        "{message}"
    );
    assert!(
        message.contains("GiB of memory at 256 KiB per VU"),
        "{message}"
    );
}
