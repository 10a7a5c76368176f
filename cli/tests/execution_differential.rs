//! `k6/execution` against the reference k6 v1.1.0: the named exports are
//! live views (`import { vu } from 'k6/execution'`), tags and metadata
//! set through `exec.vu.tags` / `exec.vu.metrics` stay for the VU's life
//! and land on later samples (a threshold on a tagged submetric counts
//! them), bad values get k6's TypeErrors, and `exec.test.options` has
//! k6's fields and values.

mod common;

use std::path::Path;
use std::process::Command;

const NAMED: &str = r#"
import exec, { vu, scenario, instance, test } from 'k6/execution';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 2 } } };
export default function () {
  console.log(vu.idInTest, vu.iterationInScenario, scenario.name, scenario.executor, typeof test.abort,
    instance.vusInitialized, exec.vu.iterationInScenario === vu.iterationInScenario);
}
"#;

/// Tag order is random in k6 (a Go map), so objects are logged sorted.
const TAGS: &str = r#"
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
const counter = new Counter('tagged');
export const options = {
  iterations: 2,
  thresholds: { 'tagged{mytag:v1}': ['count==3'], 'tagged{num:5}': ['count==2'], 'tagged{scenario:other}': ['count==2'] },
};
const sorted = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return `${e.name}: ${e.message}`; } };
export default function () {
  console.log('start', sorted(exec.vu.tags), sorted(exec.vu.metrics.metadata));
  counter.add(1);
  exec.vu.tags.mytag = 'v1';
  exec.vu.tags.num = 5;
  exec.vu.tags.flag = true;
  console.log(attempt(() => { exec.vu.tags.obj = { a: 1 }; }));
  console.log(attempt(() => { exec.vu.metrics.metadata.arr = [1]; }));
  exec.vu.metrics.metadata.trace_id = 'abc';
  counter.add(1);
  delete exec.vu.tags.num;
  exec.vu.metrics.tags.scenario = 'other';
  console.log('end', sorted(exec.vu.tags), sorted(exec.vu.metrics.tags), sorted(exec.vu.metrics.metadata));
  delete exec.vu.metrics.metadata.trace_id;
}
"#;

const OPTIONS: &str = r#"
import exec from 'k6/execution';
export const options = { vus: 2, iterations: 2, userAgent: 'ua/1', hosts: { 'a.test': '127.0.0.1' }, tags: { t: 'x' } };
export default function () {
  if (exec.scenario.iterationInTest === 0) console.log(JSON.stringify(exec.test.options));
}
"#;

/// The exit code and console lines of `script` in `binary` (its summary
/// on: `handleSummary` runs).
fn run(binary: &str, dir: &Path, script: &str) -> (Option<i32>, Vec<String>) {
    let ran = common::run_script_with(binary, dir, script, &[]);
    (ran.code, common::console_messages(&ran.stderr))
}

#[test]
fn k6_execution_behaves_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    for script in [NAMED, TAGS, OPTIONS] {
        let expected = run("k6", dir.path(), script);
        assert_eq!(expected.0, Some(0), "k6: {expected:?}");
        assert!(!expected.1.is_empty(), "k6 logged nothing");
        assert_eq!(run(k6r, dir.path(), script), expected, "{script}");
    }
}

/// The iteration that calls `exec.test.abort()` counts as complete, and
/// the iterations never started are not reported as dropped.
const ABORT: &str = r#"
import exec from 'k6/execution';
export const options = { vus: 1, iterations: 6 };
export default function () {
  if (exec.scenario.iterationInTest === 2) exec.test.abort('enough');
}
export function handleSummary(data) {
  console.log(data.metrics.iterations.values.count, 'dropped_iterations' in data.metrics,
    data.metrics.iteration_duration.values.count === undefined);
  return {};
}
"#;

#[test]
fn an_aborting_iteration_counts_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let expected = run("k6", dir.path(), ABORT);
    assert_eq!(expected, (Some(108), vec!["3 false true".to_string()]));
    assert_eq!(run(k6r, dir.path(), ABORT), expected);
}

/// How an iteration's error is logged: an async function's rejection as
/// "Uncaught (in promise)", without a source. (A sync throw of a
/// primitive is not compared: goja keeps a stack for it, QuickJS none.)
#[test]
fn thrown_and_rejected_iterations_are_logged_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let errors = |binary: &str, body: &str| -> Vec<String> {
        let script = format!("export const options = {{ iterations: 1 }};\n{body}\n");
        std::fs::write(dir.path().join("throws.js"), script).unwrap();
        let out = Command::new(binary)
            .current_dir(dir.path())
            .args(["run", "-q", "--no-summary", "-a", "", "throws.js"])
            .output()
            .expect("binary runs");
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|line| line.contains("level=error"))
            .map(|line| line.split(" msg=").nth(1).unwrap_or_default().to_string())
            .collect()
    };
    for body in [
        "export default async function () { throw 'plain'; }",
        "export default async function () { await null; throw 'later'; }",
        "export default async function () { await Promise.reject(42); }",
    ] {
        let expected = errors("k6", body);
        assert_eq!(expected.len(), 1, "{body}: {expected:?}");
        assert_eq!(errors(k6r, body), expected, "{body}");
    }
}
