//! Which VUs an arrival-rate scenario hands its iterations to, against
//! the reference k6 v1.1.0: k6 cycles through its idle VUs, so when one
//! VU could run every iteration all of them still take turns (a script
//! routing by `exec.vu.idInTest % n` reaches every route).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = r#"
import exec from 'k6/execution';
export const options = {
  scenarios: {
    s: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '1s', preAllocatedVUs: 5, maxVUs: 5 },
  },
};
export default function () { console.log(`vu ${exec.vu.idInTest}`); }
"#;

/// How many iterations each VU ran.
fn iterations_per_vu(binary: &str, dir: &Path) -> BTreeMap<u64, u64> {
    std::fs::write(dir.join("script.js"), SCRIPT).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args(["run", "-q", "--no-summary", "-a", "", "script.js"])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "{binary}");
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        if let Some(id) = line.split("msg=\"vu ").nth(1) {
            let id: u64 = id.split('"').next().unwrap().parse().unwrap();
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
}

#[test]
fn arrival_rate_iterations_take_turns_on_every_vu_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let expected = iterations_per_vu("k6", dir.path());
    let found = iterations_per_vu(k6r, dir.path());
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "k6 {expected:?}, k6r {found:?}"
    );
    assert_eq!(found.len(), 5, "{found:?}");
    // Turns: no VU runs two iterations more than another.
    let (least, most) = (found.values().min(), found.values().max());
    assert!(most.unwrap() - least.unwrap() <= 1, "{found:?}");
}
