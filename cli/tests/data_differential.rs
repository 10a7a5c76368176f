//! Shared data against the reference `k6 run` (k6 v1.1.0): `k6/data`'s
//! `SharedArray` runs its callback once per process and reads the same
//! way in every VU, and bad constructions fail with k6's errors and exit
//! code; `k6/experimental/fs` reads, seeks and fails as k6 does;
//! `k6/experimental/csv` parses and streams the same rows.

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

/// `k6/experimental/fs`: open in init, read/seek/stat in an iteration,
/// k6's rejections.
const FS: &str = r#"
import { open, SeekMode } from 'k6/experimental/fs';
const file = await open('hello.txt');
console.log(typeof file, Object.keys(file).join(), file.path.endsWith('/hello.txt'), SeekMode.Start, SeekMode.Current, SeekMode.End);
let missing = '';
try { await open('missing.txt'); } catch (e) { missing = e.name; }
export const options = { vus: 1, iterations: 1 };
export default async function () {
  const st = await file.stat();
  console.log(st.name, st.size, Object.keys(st).join());
  const buf = new Uint8Array(4);
  console.log(await file.read(buf), buf.join());
  const all = new Uint8Array(100);
  const n = await file.read(all);
  console.log(n, JSON.stringify(String.fromCharCode(...all.slice(0, n))), await file.read(all));
  console.log(await file.seek(0, SeekMode.Start), await file.seek(2, SeekMode.Current), await file.seek(-1, SeekMode.End), await file.seek(0, SeekMode.End));
  console.log(await file.read(all), all[0], missing);
  for (const bad of [() => file.seek(-1, SeekMode.Start), () => file.seek(1, SeekMode.End), () => file.seek(-100, SeekMode.Current),
    () => file.seek(100, SeekMode.Start), () => file.seek('1', 0), () => file.seek(1.5, 0), () => file.seek(undefined, 0),
    () => file.seek(0, null), () => file.seek(0, 3), () => file.read(), () => file.read(new ArrayBuffer(2)),
    () => open('hello.txt'), () => open(''), () => open()]) {
    try { await bad(); console.log('no error'); } catch (e) { console.log(`${e.name}: ${e.message}`, e instanceof Error); }
  }
}
"#;

/// `k6/experimental/csv`: `parse` and `Parser` with k6's options.
const CSV: &str = r#"
import { open } from 'k6/experimental/fs';
import csv from 'k6/experimental/csv';
const file = await open('data.csv');
const all = await csv.parse(file, { delimiter: ',' });
const again = await csv.parse(file);
const objects = await csv.parse(await open('data.csv'), { asObjects: true });
const skipped = await csv.parse(await open('data.csv'), { skipFirstLine: true });
const range = await csv.parse(await open('data.csv'), { fromLine: 1, toLine: 2 });
const semi = await csv.parse(await open('semi.csv'), { delimiter: ';' });
const rows = new csv.Parser(await open('data.csv'), { skipFirstLine: true });
const keyed = new csv.Parser(await open('data.csv'), { asObjects: true });
const ranged = new csv.Parser(await open('data.csv'), { fromLine: 1, toLine: 2 });
for (const bad of [{ fromLine: 2, toLine: 2 }, { asObjects: true, fromLine: 1 }]) {
  try { new csv.Parser(file, bad); } catch (e) { console.log(`${e.name}: ${e.message}`); }
}
const sorted = (o) => JSON.stringify(Object.fromEntries(Object.entries(o).sort()));
export const options = { vus: 1, iterations: 1 };
export default async function () {
  console.log(all.length, again.length, JSON.stringify(all[2]), Array.isArray(all), Object.isFrozen(all[0]), JSON.stringify(all));
  console.log(objects.length, JSON.stringify(objects[0]), JSON.stringify(objects[2]));
  console.log(JSON.stringify(skipped), JSON.stringify(range), JSON.stringify(semi));
  let r;
  while (!(r = await rows.next()).done) console.log('row', JSON.stringify(r));
  console.log('end', JSON.stringify(r), JSON.stringify(await rows.next()));
  while (!(r = await keyed.next()).done) console.log('keyed', r.done, sorted(r.value));
  while (!(r = await ranged.next()).done) console.log('ranged', JSON.stringify(r.value));
}
"#;

/// `k6/secrets` over two file sources; what was read is redacted.
const SECRETS: &str = r#"
import secrets from 'k6/secrets';
console.log('init: some and x=y');
export const options = { vus: 1, iterations: 1 };
export default async function () {
  console.log(Object.keys(secrets).join(), typeof secrets.get('cool').then);
  const value = await secrets.get('cool');
  console.log(`got ${value}, then some`, value.length);
  console.log(await secrets.source('b').get('cool'), 'from-b');
  for (const attempt of [() => secrets.get('nope'), () => secrets.source('zzz').get('cool'), () => secrets.get()]) {
    try { await attempt(); console.log('no error'); } catch (e) { console.log(typeof e, e.name, String(e)); }
  }
  console.log('other x=y');
}
"#;

/// `k6/secrets` over `mock` sources: names, the default one, and log
/// redaction in one pass (the secret read first wins, a field's name is
/// redacted too).
const MOCK_SECRETS: &str = r#"
import secrets from 'k6/secrets';
export const options = { vus: 1, iterations: 1 };
export default async function () {
  for (const [source, key] of [[null, 'a'], ['', 'a'], ['mock', 'a'], ['other', 'a'], ['default', 'b']]) {
    try {
      const value = source === null ? await secrets.get(key) : await secrets.source(source).get(key);
      console.log(`${source}/${key}`, value.length);
    } catch (e) { console.log(`${source}/${key}`, String(e)); }
  }
  for (const key of ['b', 'c', 'd']) await secrets.get(key).catch(() => {});
  console.log('some something RED ***SECRET_REDACTED*** source');
}
"#;

/// `(exit code, stderr lines without their time)`: every field compared.
fn full_lines(
    binary: &str,
    dir: &Path,
    script: &str,
    flags: &[&str],
) -> (Option<i32>, Vec<String>) {
    let (code, stderr) = run_script(binary, dir, script, flags);
    let lines = stderr
        .lines()
        .map(|line| match line.split_once("\" ") {
            Some((time, rest)) if time.starts_with("time=\"") => rest.to_owned(),
            _ => line.to_owned(),
        })
        .collect();
    (code, lines)
}

/// `binary run` of `script` (written to `dir`) with `flags`: its exit
/// code and stderr.
fn run_script(binary: &str, dir: &Path, script: &str, flags: &[&str]) -> (Option<i32>, String) {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args(["run", "-q", "--no-summary", "-a", ""])
        .args(flags)
        .arg("script.js")
        .output()
        .expect("binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `(exit code, sorted "level message" lines)`: VUs log concurrently, so
/// the order across VUs is not compared; only the first line of a stack.
fn run(binary: &str, dir: &Path, script: &str) -> (Option<i32>, Vec<String>) {
    run_with(binary, dir, script, &[])
}

/// [`run`] with extra flags.
fn run_with(binary: &str, dir: &Path, script: &str, flags: &[&str]) -> (Option<i32>, Vec<String>) {
    let (code, stderr) = run_script(binary, dir, script, flags);
    let mut lines: Vec<String> = stderr
        .lines()
        .filter_map(|line| {
            let level = line.split("level=").nth(1)?.split(' ').next()?;
            let rest = line.split(" msg=").nth(1)?;
            let msg = match rest.strip_prefix('"') {
                Some(quoted) => unquote(quoted),
                None => rest.split(' ').next()?.to_owned(),
            };
            let msg = msg.split('\n').next()?;
            // k6r logs an async iteration's rejection without k6's prefix
            // (for every module, not only these): not compared here.
            let msg = msg.strip_prefix("Uncaught (in promise) ").unwrap_or(msg);
            Some(format!("{level} {msg}"))
        })
        .collect();
    lines.sort();
    (code, lines)
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

/// Writes the data files the fs and csv scripts open.
fn data_files(dir: &Path) {
    std::fs::write(dir.join("hello.txt"), "hello world\nline2\n").unwrap();
    std::fs::write(
        dir.join("data.csv"),
        "name,age,city\nalice,30,Paris\nbob,25,\"New York, NY\"\ncarol,41,Berlin\n",
    )
    .unwrap();
    std::fs::write(dir.join("semi.csv"), "a;b\n1;2\n").unwrap();
}

#[test]
fn experimental_fs_behaves_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    data_files(dir.path());
    let expected = run("k6", dir.path(), FS);
    assert_eq!(expected.0, Some(0), "{expected:?}");
    assert!(expected.1.len() > 20, "{expected:?}");
    assert_eq!(run(k6r, dir.path(), FS), expected);
}

#[test]
fn experimental_csv_behaves_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    data_files(dir.path());
    let expected = run("k6", dir.path(), CSV);
    assert_eq!(expected.0, Some(0), "{expected:?}");
    assert!(expected.1.len() > 10, "{expected:?}");
    assert_eq!(run(k6r, dir.path(), CSV), expected);
}

#[test]
fn secrets_behave_as_in_k6() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "cool=some\nother=x=y\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "cool=from-b\n").unwrap();
    std::fs::write(dir.path().join("bad.txt"), "no equals sign\n").unwrap();
    let sources: [&[&str]; 5] = [
        &[
            "--secret-source",
            "file=name=a,filename=a.txt,default",
            "--secret-source",
            "file=name=b,filename=b.txt",
        ],
        &["--secret-source", "file=a.txt"],
        &[],
        &["--secret-source", "file=missing.txt"],
        &["--secret-source", "file=bad.txt"],
    ];
    same_for_each(&sources, |binary, flags| {
        run_with(binary, dir.path(), SECRETS, flags)
    });
}

/// Asserts that `run` of k6r logs something and the same as `run` of k6,
/// for each set of flags.
fn same_for_each(sets: &[&[&str]], run: impl Fn(&str, &[&str]) -> (Option<i32>, Vec<String>)) {
    for flags in sets {
        let expected = run("k6", flags);
        assert!(!expected.1.is_empty(), "{flags:?}");
        assert_eq!(
            run(env!("CARGO_BIN_EXE_k6r-cli"), flags),
            expected,
            "{flags:?}"
        );
    }
}

#[test]
fn mock_secret_sources_and_redaction_behave_as_in_k6() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "a=from-file\n").unwrap();
    // k6 renames a redacted field in a Go map it is iterating over, so it
    // may redact the new name again: no set here has both a secret that
    // is a field's name and one inside the mark.
    let sources: [&[&str]; 8] = [
        &["--secret-source", "mock=a=some,b=something,c=RED"],
        &["--secret-source", "mock=a=1,b=2,c=3,d=source"],
        &[
            "--secret-source",
            "mock=name=other,a=1",
            "--secret-source",
            "mock=default,name=x,a=some,b=something,c=RED",
        ],
        &[
            "--secret-source",
            "mock=name=other,a=1",
            "--secret-source",
            "file=a.txt",
        ],
        &[
            "--secret-source",
            "mock=a=1",
            "--secret-source",
            "file=a.txt",
        ],
        &[
            "--secret-source",
            "mock=name=p,default,a=1",
            "--secret-source",
            "mock=name=q,default,a=2",
        ],
        &["--secret-source", "mock=a=1,noequals"],
        &["--secret-source", "file=filename=a.txt,mode=0600"],
    ];
    same_for_each(&sources, |binary, flags| {
        full_lines(binary, dir.path(), MOCK_SECRETS, flags)
    });
}
