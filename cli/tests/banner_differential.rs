//! `k6r-cli run`'s execution description against the reference `k6 run`
//! (k6 v1.1.0): the `scenarios:` block of the banner, byte for byte, for
//! every executor, in the whole test and in an execution segment.

use std::path::Path;
use std::process::Command;

/// Every executor, short, with facts of each kind (exec, startTime,
/// gracefulStop, gracefulRampDown, a maxVUs range).
const SCRIPT: &str = "export const options = { scenarios: {\n\
  a_si: { executor: 'shared-iterations', vus: 2, iterations: 10, maxDuration: '5s' },\n\
  b_pvi: { executor: 'per-vu-iterations', vus: 2, iterations: 3, maxDuration: '5s', exec: 'other', startTime: '200ms', gracefulStop: '2s' },\n\
  c_cv: { executor: 'constant-vus', vus: 2, duration: '1s', gracefulStop: '0s' },\n\
  d_rv: { executor: 'ramping-vus', startVUs: 1, stages: [{ duration: '500ms', target: 3 }, { duration: '500ms', target: 0 }], gracefulRampDown: '1s' },\n\
  e_car: { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1, maxVUs: 2 },\n\
  f_rar: { executor: 'ramping-arrival-rate', startRate: 5, timeUnit: '2s', preAllocatedVUs: 1, maxVUs: 3, stages: [{ duration: '500ms', target: 7 }, { duration: '500ms', target: 0 }] },\n\
  g_ec: { executor: 'externally-controlled', vus: 1, maxVUs: 2, duration: '1s' },\n\
} };\n\
export default function () {}\n\
export function other() {}\n";

/// The banner's `scenarios:` block one binary printed: from its header
/// to the first empty line.
fn scenarios_block(binary: &str, dir: &Path, flags: &[&str]) -> String {
    let mut command = Command::new(binary);
    command.current_dir(dir).args(["run", "--no-summary"]);
    if binary == "k6" {
        command.arg("--no-usage-report");
    }
    let out = command
        .args(flags)
        .arg("script.js")
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{binary}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let block: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("     scenarios: "))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        !block.is_empty(),
        "{binary} printed no scenarios:\n{stdout}"
    );
    block.join("\n")
}

#[test]
fn the_execution_description_matches_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    for flags in [
        &[][..],
        &["--execution-segment", "1/3:2/3"][..],
        &[
            "--execution-segment",
            "0:1/4",
            "--execution-segment-sequence",
            "0,1/4,1/2,1",
        ][..],
    ] {
        let expected = scenarios_block("k6", dir.path(), flags);
        let got = scenarios_block(k6r, dir.path(), flags);
        assert_eq!(got, expected, "{flags:?}");
    }
}
