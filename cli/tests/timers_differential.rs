//! The timer globals against the reference `k6 run` (k6 v1.1.0): the same
//! callbacks fire in the same order, in init code and iterations, and a
//! call ends only when no timer is left; a throwing callback ends the
//! iteration with k6's warnings for the timers it leaves, and a run in
//! which no iteration fully finished says so.

mod common;

use std::path::Path;

const ORDER: &str = r#"
export const options = { iterations: 1 };
setTimeout(() => console.log('init timer fired'), 20);
export default function () {
  const t0 = Date.now();
  const id = setTimeout((a, b) => console.log('fired', a, b, Date.now() - t0 >= 100), 100, 'x', 2);
  console.log('id', typeof id, id);
  let n = 0;
  const iv = setInterval(() => { n++; console.log('tick', n); if (n === 3) clearInterval(iv); }, 10);
  clearTimeout(setTimeout(() => console.log('never'), 5));
  setTimeout(() => console.log('zero'));
  console.log('end of function');
}
export function teardown() {
  setTimeout(() => console.log('teardown timer'), 10);
}
"#;

const THROWS: &str = r#"
export const options = { iterations: 2 };
export default function () {
  setTimeout(() => { throw new Error('boom in timer'); }, 10);
  setTimeout(() => console.log('never'), 500);
}
"#;

/// An interval that never ends: the iteration is interrupted at the end
/// of `gracefulStop`, so no iteration fully finished (k6 warns of both).
const ENDLESS: &str = r#"
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '1s', gracefulStop: '100ms' } } };
export default async function () {
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log('awaited');
  setInterval(() => {}, 20);
}
"#;

/// `level msg` of each log line (a stack trace's first line only: the
/// columns differ).
fn lines(binary: &str, dir: &Path, script: &str) -> Vec<String> {
    let ran = common::run_script(binary, dir, script);
    assert_eq!(ran.code, Some(0), "{binary}: {}", ran.stderr);
    common::log_lines(&ran.stderr)
        .iter()
        .map(|line| format!("{} {}", line.level, line.msg.lines().next().unwrap_or("")))
        .collect()
}

#[test]
fn timers_fire_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    for script in [ORDER, THROWS, ENDLESS] {
        let expected = lines("k6", dir.path(), script);
        assert!(!expected.is_empty(), "k6 logged nothing");
        assert_eq!(lines(k6r, dir.path(), script), expected);
    }
}
