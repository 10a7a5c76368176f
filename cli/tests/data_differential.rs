//! Shared data against the reference `k6 run` (k6 v1.1.0): `k6/data`'s
//! `SharedArray` runs its callback once per process and reads the same
//! way in every VU, and bad constructions fail with k6's errors and exit
//! code.

use std::path::Path;
use std::process::Command;

/// Several VUs over one array: the callback logs once (VU 0, before the
/// run), every VU reads the same items.
const MANY_VUS: &str = r#"
import { SharedArray } from 'k6/data';
import data from 'k6/data';
const users = new SharedArray('users', function () {
  console.log(`callback ran in VU ${__VU}`);
  const list = [];
  for (let i = 0; i < 50; i++) list.push({ id: i, name: `user${i}`, roles: i % 2 ? ['a'] : [] });
  return list;
});
const same = new SharedArray('users', () => { console.log('never'); return []; });
const other = new data.SharedArray('other', () => ['x', 2, null, true, { deep: { er: [1] } }]);
export const options = { vus: 4, iterations: 8 };
export default function () {
  const u = users[__ITER % users.length];
  console.log(`vu: ${users.length} ${same.length} ${JSON.stringify(users[49])} ${Object.isFrozen(u)} ${Object.isFrozen(users[1].roles)}`);
}
export function teardown() {
  const all = [];
  for (const item of other) all.push(JSON.stringify(item));
  console.log(all.join(' | '));
  console.log(Array.isArray(other), Object.keys(other).join(), other.map((v) => typeof v).join(), other.indexOf(2), other.includes('x'));
  console.log(other[5], other[-1], other['01'], other['1'], other[1.5], 0 in other, 5 in other, JSON.stringify(other));
  for (const write of [() => { other[0] = 1; }, () => { delete other[0]; }, () => { other.length = 0; }, () => other.push(1), () => { other[4].deep.er.push(2); }]) {
    try { write(); console.log('no error'); } catch (e) { console.log(`${e.name}`); }
  }
  try { new SharedArray('late', () => [1]); } catch (e) { console.log(`${e.name}: ${e.message}`); }
  console.log(String(other), other.slice(1, 3).length, [...other].length);
}
"#;

/// `(exit code, sorted "level message" lines)`: VUs log concurrently, so
/// the order across VUs is not compared; only the first line of a stack.
fn run(binary: &str, dir: &Path, script: &str) -> (Option<i32>, Vec<String>) {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args(["run", "-q", "--no-summary", "-a", "", "script.js"])
        .output()
        .expect("binary runs");
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|line| {
            let level = line.split("level=").nth(1)?.split(' ').next()?;
            let rest = line.split(" msg=").nth(1)?;
            let msg = match rest.strip_prefix('"') {
                Some(quoted) => unquote(quoted),
                None => rest.split(' ').next()?.to_owned(),
            };
            let msg = msg.split('\n').next()?;
            Some(format!("{level} {msg}"))
        })
        .collect();
    lines.sort();
    (out.status.code(), lines)
}

/// A logfmt quoted value up to its closing quote, unescaped.
fn unquote(quoted: &str) -> String {
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

#[test]
fn shared_arrays_behave_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let expected = run("k6", dir.path(), MANY_VUS);
    assert_eq!(expected.0, Some(0));
    let callbacks = expected
        .1
        .iter()
        .filter(|l| l.contains("callback ran"))
        .count();
    assert_eq!(callbacks, 1, "{:?}", expected.1);
    assert_eq!(run(k6r, dir.path(), MANY_VUS), expected);
}

#[test]
fn bad_shared_arrays_fail_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    for construction in [
        "new SharedArray()",
        "new SharedArray('')",
        "new SharedArray('n', 5)",
        "new SharedArray('n', () => 5)",
        "new SharedArray('n', () => ({ length: 2 }))",
        "new SharedArray('n', () => { throw new Error('callback failed'); })",
        "new SharedArray('n', () => [undefined, 1])[0]",
    ] {
        let script = format!(
            "import {{ SharedArray }} from 'k6/data';\n{construction};\nexport default function () {{}}\n"
        );
        let expected = run("k6", dir.path(), &script);
        assert_eq!(expected.0, Some(107), "{construction}: {expected:?}");
        assert_eq!(run(k6r, dir.path(), &script), expected, "{construction}");
    }
}
