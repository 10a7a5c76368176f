//! `k6r-cli run`'s live progress as k6 shows it: plain blocks when stdout
//! is not a terminal, bars redrawn in place under a real terminal (a pty
//! made by util-linux `script`), nothing with `-q`.

use std::path::Path;
use std::process::{Command, Output};

const SCRIPT: &str = "export const options = { scenarios: {\n\
  a_si: { executor: 'shared-iterations', vus: 2, iterations: 4, maxDuration: '5s' },\n\
  c_cv: { executor: 'constant-vus', vus: 1, duration: '1s', gracefulStop: '0s' },\n\
} };\n\
export default function () {}\n";

fn dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    dir
}

fn k6r(dir: &Path, flags: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_k6r-cli"))
        .current_dir(dir)
        .arg("run")
        .args(flags)
        .arg("script.js")
        .output()
        .expect("k6r-cli runs")
}

#[test]
fn a_plain_stdout_gets_blocks_and_the_final_one_after_the_summary() {
    let dir = dir();
    let out = k6r(dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    // At least the periodic block of the first second, then the final one.
    let headers: Vec<usize> = stdout
        .match_indices("\nrunning (")
        .map(|(at, _)| at)
        .collect();
    assert!(headers.len() >= 2, "{stdout}");
    let summary = stdout.find("TOTAL RESULTS").expect("a summary");
    assert!(headers[headers.len() - 2] < summary && summary < headers[headers.len() - 1]);
    let last: Vec<&str> = stdout[headers[headers.len() - 1] + 1..].lines().collect();
    // 3 max VUs and 35s max duration fix the widths.
    assert!(
        last[0].starts_with("running (01.")
            && last[0].contains("s), 0/3 VUs, ")
            && last[0].ends_with(" complete and 0 interrupted iterations"),
        "{last:?}"
    );
    assert!(last[1].starts_with("a_si ✓ [ 100% ] 2 VUs  "), "{last:?}");
    assert!(last[1].ends_with("  4/4 shared iters"), "{last:?}");
    assert!(last[2].starts_with("c_cv ✓ [ 100% ] 1 VUs  1"), "{last:?}");
    assert_eq!(last.len(), 3, "{last:?}");
}

#[test]
fn quiet_shows_no_progress() {
    let dir = dir();
    let out = k6r(dir.path(), &["-q"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("running ("), "{stdout}");
    assert!(!stdout.contains("scenarios:"), "{stdout}");
    assert!(stdout.contains("TOTAL RESULTS"), "{stdout}");
}

/// What `k6r-cli run script.js FLAGS` writes under a pty (`script` runs
/// it under a new pty and copies what it writes; `timeout` bounds it).
fn under_a_pty(dir: &std::path::Path, flags: &str) -> String {
    let command = format!("'{}' run script.js {flags}", env!("CARGO_BIN_EXE_k6r-cli"));
    let out = Command::new("timeout")
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("K6_NO_COLOR")
        .args(["120", "script", "-qec", &command, "/dev/null"])
        .output()
        .expect("util-linux script runs");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{raw:?}");
    raw
}

#[test]
fn a_terminal_gets_bars_redrawn_in_place() {
    let dir = dir();
    let raw = under_a_pty(dir.path(), "");
    // Redrawn: lines cleared and the cursor moved up over the bars.
    assert!(raw.contains("\x1b[2K"), "{raw:?}");
    assert!(
        raw.match_indices("\x1b[").any(|(at, _)| raw[at + 2..]
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with('A')),
        "{raw:?}"
    );
    assert!(raw.matches("running (").count() >= 2, "{raw:?}");
    // The final state, after the summary: both done, full bars, in
    // k6's colours (a green mark, the empty part dimmed).
    let summary = raw.find("TOTAL RESULTS").expect("a summary");
    let done = "\x1b[32m✓\x1b[0m";
    let full = format!("[{}\x1b[2m\x1b[22m]", "=".repeat(38));
    let end = &raw[summary..];
    assert!(
        end.contains(&format!("a_si {done} {full} 2 VUs")),
        "{end:?}"
    );
    assert!(
        end.contains(&format!("c_cv {done} {full} 1 VUs")),
        "{end:?}"
    );
    // The banner's values in cyan.
    assert!(raw.contains("execution: \x1b[36mlocal\x1b[0m"), "{raw:?}");
}

#[test]
fn no_color_keeps_a_terminal_plain() {
    let dir = dir();
    let raw = under_a_pty(dir.path(), "--no-color");
    let summary = raw.find("TOTAL RESULTS").expect("a summary");
    let full = format!("[{}]", "=".repeat(38));
    assert!(
        raw[summary..].contains(&format!("a_si ✓ {full} 2 VUs")),
        "{raw:?}"
    );
    assert!(!raw.contains("\x1b[36m"), "{raw:?}");
    assert!(!raw.contains("\x1b[2m"), "{raw:?}");
}
