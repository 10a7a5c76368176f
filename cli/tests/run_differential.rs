//! `k6r-cli run` against the reference `k6 run` (k6 v1.1.0, installed by
//! `scripts/test`) on iteration-based executors: the same iterations,
//! with the same VU ids and iteration numbers (§2.6, §3.6), in the whole
//! test and in each execution segment.
//!
//! Each iteration logs its identifiers; the sets logged by both binaries
//! must be equal. Which VU runs which iteration of the scenario is a race
//! in both, so per-vu-iterations compares the VUs' own numbers and
//! shared-iterations the scenario's iteration numbers.

use std::path::Path;
use std::process::Command;

const LOG: &str = "import exec from 'k6/execution';\n\
    export default function () {\n\
      console.log('it ' + JSON.stringify(IDS));\n\
    }\n";

struct Case {
    name: &'static str,
    options: &'static str,
    /// The identifiers an iteration logs.
    ids: &'static str,
}

/// (`exec.scenario.iterationInTest` is left out here: which VU starts
/// which of the scenario's iterations is a race in k6 too.)
const PER_VU: &str = "[__VU, __ITER, exec.vu.idInTest, exec.vu.iterationInScenario]";
const SHARED: &str = "[exec.scenario.iterationInTest]";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "per-vu-iterations",
            options:
                "{ scenarios: { s: { executor: 'per-vu-iterations', vus: 5, iterations: 3 } } }",
            ids: PER_VU,
        },
        Case {
            name: "shared-iterations",
            options:
                "{ scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 17 } } }",
            ids: SHARED,
        },
        Case {
            name: "iterations-shortcut",
            options: "{ iterations: 7, vus: 3 }",
            ids: SHARED,
        },
    ]
}

const SEGMENTS: [Option<&str>; 4] = [None, Some("0:1/3"), Some("1/3:2/3"), Some("2/3:1")];

/// The sorted identifier lists one binary logged.
fn iterations(binary: &str, dir: &Path, segment: Option<&str>) -> Vec<String> {
    let mut command = Command::new(binary);
    command.current_dir(dir).args(["run", "-q", "--no-summary"]);
    if let Some(segment) = segment {
        command.args([
            "--execution-segment",
            segment,
            "--execution-segment-sequence",
            "0,1/3,2/3,1",
        ]);
    }
    let out = command.arg("script.js").output().expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{binary}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|line| line.split("msg=\"it ").nth(1))
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn iteration_counts_and_ids_match_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let mut failures = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let source = format!(
            "export const options = {};\n{}",
            case.options,
            LOG.replace("IDS", case.ids)
        );
        std::fs::write(dir.path().join("script.js"), source).unwrap();
        for segment in SEGMENTS {
            let expected = iterations("k6", dir.path(), segment);
            let got = iterations(k6r, dir.path(), segment);
            assert!(!expected.is_empty(), "{}: k6 logged nothing", case.name);
            if expected != got {
                failures.push(format!(
                    "{} {segment:?}:\n  k6:  {expected:?}\n  k6r: {got:?}",
                    case.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
