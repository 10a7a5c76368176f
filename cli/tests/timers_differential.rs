//! The timer globals against the reference `k6 run` (k6 v1.1.0): the same
//! callbacks fire in the same order, in init code and iterations, and a
//! call ends only when no timer is left; a throwing callback ends the
//! iteration with k6's warnings for the timers it leaves, and a run in
//! which no iteration fully finished says so.

use std::path::Path;
use std::process::Command;

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

/// `level msg` of each log line (no time, no fields after the message).
fn lines(binary: &str, dir: &Path, script: &str) -> Vec<String> {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args(["run", "-q", "--no-summary", "-a", "", "script.js"])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "{binary}");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|line| {
            let level = line.split("level=").nth(1)?.split(' ').next()?;
            // logfmt: quoted when the message has spaces, else bare.
            let rest = line.split(" msg=").nth(1)?;
            let msg = match rest.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next()?,
                None => rest.split(' ').next()?,
            };
            // The first line of a stack trace only (columns differ).
            let msg = msg.split("\\n").next()?;
            Some(format!("{level} {msg}"))
        })
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
