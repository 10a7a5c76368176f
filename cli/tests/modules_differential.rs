//! Module forms against the reference `k6 run` (k6 v1.1.0): CommonJS and
//! UMD files, `require()`, a CommonJS entry script, remote modules served
//! over HTTPS by the test (its CA trusted through `SSL_CERT_FILE` by both),
//! and the errors of modules that can't be loaded (removed modules,
//! missing files, unreachable or refused URLs): the same console lines,
//! the same exit code, the same error message.

#[path = "../../script/tests/common/https.rs"]
#[allow(dead_code)]
mod https;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;

use https::{Ca, Server};

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
    same_as_k6_with(dir, script, &[])
}

fn same_as_k6_with(dir: &Path, script: &str, envs: &[(&str, &str)]) -> Run {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let expected = run("k6", dir, script, envs);
    let ours = run(k6r, dir, script, envs);
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

const REMOTE_LIB: &str = "export const v = 'remote v';\nexport { w } from './w.js';\n";
const REMOTE_W: &str = "export const w = 'remote w';\n";
const REMOTE_CJS: &str =
    "module.exports = { c: 'remote cjs', up: require('./w.js').w, self: this === module.exports };\n";

#[test]
fn remote_modules_load_as_in_k6_once_per_process() {
    let ca = Ca::new("k6r differential CA");
    let server = Server::start(
        &ca,
        &[
            ("/lib/m.js", REMOTE_LIB),
            ("/lib/w.js", REMOTE_W),
            ("/lib/c.js", REMOTE_CJS),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "import {{ v, w }} from '{m}';\n\
         import c from '{c}';\n\
         const again = require('{c}');\n\
         console.log(v, w, c.c, c.up, c.self, c === again);\n\
         export const options = {{ vus: 2, iterations: 2 }};\n\
         export default function () {{}}\n",
        m = server.url("/lib/m.js"),
        c = server.url("/lib/c.js"),
    );
    std::fs::write(dir.path().join("remote.js"), script).unwrap();
    let ca_file = ca.pem_file.to_string_lossy().into_owned();
    let envs = [("SSL_CERT_FILE", ca_file.as_str())];

    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let expected = run("k6", dir.path(), "remote.js", &envs);
    let k6_requests = server.requests();
    server.requests.lock().unwrap().clear();
    let ours = run(k6r, dir.path(), "remote.js", &envs);
    let our_requests = server.requests();
    assert_eq!(ours, expected, "k6r (left) vs k6 (right)");
    assert_eq!(ours.code, Some(0));
    // The options' init plus one per VU: three inits, one line each.
    assert_eq!(
        ours.lines,
        ["info remote v remote w remote cjs remote w true true"; 3]
    );
    // Each URL once per process, with k6's query parameter.
    let sorted = |mut requests: Vec<String>| {
        requests.sort();
        requests
    };
    assert_eq!(
        sorted(our_requests),
        ["/lib/c.js?_k6=1", "/lib/m.js?_k6=1", "/lib/w.js?_k6=1"]
    );
    assert_eq!(
        sorted(k6_requests),
        ["/lib/c.js?_k6=1", "/lib/m.js?_k6=1", "/lib/w.js?_k6=1"]
    );
}

#[test]
fn remote_modules_that_cant_be_had_fail_as_in_k6() {
    let ca = Ca::new("k6r differential CA");
    let server = Server::start(&ca, &[("/lib/w.js", REMOTE_W)]);
    let stranger = Server::start(&Ca::new("stranger CA"), &[("/lib/w.js", REMOTE_W)]);
    let ca_file = ca.pem_file.to_string_lossy().into_owned();
    let envs = [("SSL_CERT_FILE", ca_file.as_str())];
    let dir = tempfile::tempdir().unwrap();
    let missing = server.url("/lib/nope.js");
    let refused = "https://127.0.0.1:1/x.js";
    for (name, body) in [
        ("refused", format!("import x from '{refused}';")),
        (
            "refused_require",
            format!("const x = require('{refused}');"),
        ),
        ("missing", format!("import x from '{missing}';")),
        (
            "http",
            "import x from 'http://127.0.0.1:1/x.js';".to_owned(),
        ),
    ] {
        let file = format!("{name}.js");
        let source = format!("{body}\nexport default function () {{}}\n");
        std::fs::write(dir.path().join(&file), source).unwrap();
        let ours = same_as_k6_with(dir.path(), &file, &envs);
        assert_eq!(ours.code, Some(107), "{name}");
        assert!(ours.error.is_some(), "{name}");
    }

    // A certificate no trusted CA issued: the same message up to the
    // cause, which is the TLS library's own words.
    let url = stranger.url("/lib/w.js");
    std::fs::write(
        dir.path().join("untrusted.js"),
        format!("import {{ w }} from '{url}';\nexport default function () {{}}\n"),
    )
    .unwrap();
    let k6 = run("k6", dir.path(), "untrusted.js", &envs);
    let ours = run(
        env!("CARGO_BIN_EXE_k6r-cli"),
        dir.path(),
        "untrusted.js",
        &envs,
    );
    assert_eq!((ours.code, k6.code), (Some(107), Some(107)));
    let prefix = format!(
        "The moduleSpecifier \"{url}\" couldn't be retrieved from the resolved url \"{url}\". Error : \"Get \"{url}\": "
    );
    for error in [&k6.error, &ours.error] {
        assert!(
            error.as_deref().is_some_and(|e| e.starts_with(&prefix)),
            "{error:?}"
        );
    }
    assert!(stranger.requests().is_empty());
}

#[test]
fn typescript_runs_as_in_k6() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../script/tests/fixtures/typescript");
    let ours = same_as_k6(&dir, "main.ts");
    assert_eq!(ours.code, Some(0));
    assert_eq!(
        ours.lines,
        [
            "info {\"x\":4,\"y\":6} 5 Green 42 helped ts",
            "info {\"x\":4,\"y\":6} 5 Green 42 helped ts",
            "info iteration 2"
        ]
    );

    // Bad TypeScript: the same file, line and column; the words after
    // them are each parser's own.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("bad.ts"),
        "let x: = 1;\nexport default function () {}\n",
    )
    .unwrap();
    let k6 = run("k6", tmp.path(), "bad.ts", &[]);
    let ours = run(env!("CARGO_BIN_EXE_k6r-cli"), tmp.path(), "bad.ts", &[]);
    assert_eq!((ours.code, k6.code), (Some(107), Some(107)));
    let prefix = "bad.ts: Line 1:7 ";
    for error in [&k6.error, &ours.error] {
        assert!(
            error.as_deref().is_some_and(|e| e.contains(prefix)),
            "{error:?}"
        );
    }
}

/// The frames of the exception a run logged (`source=stacktrace`), with
/// goja's program counters dropped and, when `columns` is false, the
/// columns too (goja and QuickJS point at different tokens of a line).
fn frames(binary: &str, dir: &Path, script: &str, columns: bool) -> Vec<String> {
    let out = Command::new(binary)
        .current_dir(dir)
        .args(["run", "-q", "--no-summary", "-a", "", script])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|line| line.contains("source=stacktrace"))
        .unwrap_or_else(|| panic!("{binary} logged no exception: {stderr}"));
    let msg = unquote(line.split(" msg=").nth(1).unwrap_or_default());
    msg.lines()
        .filter_map(|frame| frame.strip_prefix("\tat "))
        .map(|frame| {
            // goja's `(pc)` after the column, inside the frame's parentheses.
            let (location, close) = match frame.strip_suffix(')') {
                Some(inner) if frame.contains(" (") => (inner, ")"),
                _ => (frame, ""),
            };
            let location = match location.rfind('(') {
                Some(at)
                    if location[at + 1..]
                        .trim_end_matches(')')
                        .parse::<u32>()
                        .is_ok() =>
                {
                    &location[..at]
                }
                _ => location,
            };
            match location.rsplit_once(':') {
                Some((rest, _)) if !columns => format!("{rest}{close}"),
                _ => format!("{location}{close}"),
            }
        })
        .collect()
}

#[test]
fn stack_frames_map_back_through_source_maps_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.ts"),
        "import { fail } from './lib.ts';\n\ninterface Options {\n    name: string;\n}\n\n\
         export default function (): void {\n    const options: Options = { name: 'x' };\n    fail(options.name);\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lib.ts"),
        "type Reason = string;\n\nexport function fail(reason: Reason): never {\n    // why\n    \
         throw new Error('failed: ' + reason);\n}\n",
    )
    .unwrap();
    // TypeScript: the lines of the .ts files (oxc's code has others).
    let expected = frames("k6", dir.path(), "main.ts", false);
    let url = |file: &str| {
        format!(
            "file://{}/{file}",
            dir.path().canonicalize().unwrap().display()
        )
    };
    assert_eq!(
        expected,
        [
            format!("fail ({}:5)", url("lib.ts")),
            format!("default ({}:9)", url("main.ts"))
        ]
    );
    assert_eq!(frames(k6r, dir.path(), "main.ts", false), expected);

    // A bundle with an inline map whose source is a URL: shown as written,
    // with k6's 0-based mapped columns (each line's tokens are coarse
    // enough for goja and QuickJS to land on the same one).
    let map = r#"{"version":3,"sources":["webpack:///./src.ts"],"names":[],"mappings":"AAIA,wBACI;AAGJ,6BACI"}"#;
    std::fs::write(
        dir.path().join("bundle.js"),
        format!(
            "function coolThrow(s) {{ throw new Error('cool ' + s); }}\n\
             export default function () {{ coolThrow('x'); }}\n\
             //# sourceMappingURL=data:application/json;base64,{}\n",
            base64::engine::general_purpose::STANDARD.encode(map)
        ),
    )
    .unwrap();
    let expected = frames("k6", dir.path(), "bundle.js", true);
    assert_eq!(
        expected,
        [
            "coolThrow (webpack:///./src.ts:6:4)",
            "default (webpack:///./src.ts:10:4)"
        ]
    );
    assert_eq!(frames(k6r, dir.path(), "bundle.js", true), expected);
}
