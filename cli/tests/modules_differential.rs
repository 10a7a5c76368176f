//! Module forms against the reference `k6 run` (k6 v1.1.0): CommonJS and
//! UMD files, `require()`, a CommonJS entry script, and the errors of
//! modules that can't be loaded (removed modules, missing files): the
//! same console lines, the same exit code, the same error message.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a run printed: its exit code, the `level msg` of each console
/// line, and the first line of its error message (without k6's `GoError: `
/// prefix: k6r reports a module that can't be loaded without it).
#[derive(Debug, PartialEq)]
struct Run {
    code: Option<i32>,
    lines: Vec<String>,
    error: Option<String>,
}

fn run(binary: &str, dir: &Path, script: &str, envs: &[(&str, &str)]) -> Run {
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args(["run", "-q", "--no-summary", "-a", "", script])
        .envs(envs.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    let mut lines = Vec::new();
    let mut error = None;
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        let Some(level) = line
            .split("level=")
            .nth(1)
            .and_then(|l| l.split(' ').next())
        else {
            continue;
        };
        let Some(msg) = line.split(" msg=").nth(1).map(unquote) else {
            continue;
        };
        let first = msg.split('\n').next().unwrap_or_default().to_owned();
        if level == "error" && line.contains("hint=") {
            error = Some(first.trim_start_matches("GoError: ").to_owned());
        } else {
            lines.push(format!("{level} {first}"));
        }
    }
    Run {
        code: out.status.code(),
        lines,
        error,
    }
}

/// A logfmt value: bare up to a space, or quoted with `\` escapes.
fn unquote(rest: &str) -> String {
    let Some(quoted) = rest.strip_prefix('"') else {
        return rest.split(' ').next().unwrap_or_default().to_owned();
    };
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => break,
            },
            '"' => break,
            c => out.push(c),
        }
    }
    out
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../script/tests/fixtures/commonjs")
}

fn same_as_k6(dir: &Path, script: &str) -> Run {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let expected = run("k6", dir, script, &[]);
    let ours = run(k6r, dir, script, &[]);
    assert_eq!(ours, expected, "{script}: k6r (left) vs k6 (right)");
    ours
}

#[test]
fn commonjs_umd_and_require_run_as_in_k6() {
    let dir = fixtures();
    let main = same_as_k6(&dir, "main.js");
    assert_eq!(main.code, Some(0));
    assert!(main
        .lines
        .iter()
        .any(|l| l.starts_with("info umd object 5")));
    assert!(main
        .lines
        .iter()
        .any(|l| l.contains("the \"require\" function is only available in the init stage")));

    let entry = same_as_k6(&dir, "entry.js");
    assert_eq!(entry.lines, ["info cjs entry 8 true"]);

    let missing = same_as_k6(&dir, "missing.js");
    assert_eq!(missing.code, Some(107));
    assert!(missing
        .error
        .is_some_and(|e| e.starts_with("The moduleSpecifier \"./lib/nope.js\" couldn't be found")));
}

#[test]
fn removed_modules_fail_with_k6s_migration_hint() {
    let dir = tempfile::tempdir().unwrap();
    for module in [
        "k6/experimental/browser",
        "k6/experimental/grpc",
        "k6/experimental/timers",
        "k6/experimental/tracing",
        "k6/experimental/webcrypto",
    ] {
        let source = format!("import x from '{module}';\nexport default function () {{}}\n");
        std::fs::write(dir.path().join("removed.js"), source).unwrap();
        let ours = same_as_k6(dir.path(), "removed.js");
        assert_eq!(ours.code, Some(107), "{module}");
        assert!(
            ours.error.as_deref().is_some_and(|e| e.starts_with(module)),
            "{module}: {ours:?}"
        );
    }
}
