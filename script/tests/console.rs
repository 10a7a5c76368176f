//! `console.*` lines: k6's logfmt shape, levels and value formatting.

mod common;

use std::sync::Arc;

use common::{config, fixture};
use k6r_script::{inspect_with, Env, Level, MemoryLog, Script};

fn console_lines(log: MemoryLog) -> Vec<String> {
    let log = Arc::new(log);
    let script = Script::from_path(&fixture("console.js")).unwrap();
    inspect_with(&script, &Env::new(), &config(log.clone())).unwrap();
    log.lines()
}

/// Drops the `time="..." ` prefix after checking its shape.
fn without_time(line: &str) -> &str {
    let rest = line.strip_prefix("time=\"").expect(line);
    let (time, rest) = rest.split_once("\" ").expect(line);
    // 2026-11-22T10:00:41Z
    assert_eq!(time.len(), 20, "{line}");
    assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T', "{line}");
    rest
}

#[test]
fn console_lines_have_k6s_logfmt_shape() {
    let lines = console_lines(MemoryLog::default());
    let lines: Vec<&str> = lines.iter().map(|line| without_time(line)).collect();
    assert_eq!(
        lines,
        [
            r#"level=info msg="log 1 {\"a\":1} [1,2]" source=console"#,
            r#"level=info msg="info null undefined quote\"d" source=console"#,
            r#"level=warning msg="warn true 1.5" source=console"#,
            r#"level=error msg="error null" source=console"#,
            r#"level=debug msg=debug source=console"#,
            r#"level=info source=console"#,
            r#"level=info msg="[object Object]" source=console"#,
            r#"level=info msg="{} sym 10" source=console"#,
        ]
    );
}

#[test]
fn debug_lines_are_dropped_unless_verbose() {
    let lines = console_lines(MemoryLog::new(Level::Info));
    assert_eq!(lines.len(), 7);
    assert!(lines.iter().all(|line| !line.contains("level=debug")));
}

#[test]
fn console_is_made_on_first_use_and_looks_like_k6s() {
    // What k6 v1.1.0 returns for the same code: a plain global before and
    // after its first use, and a write before any read replaces it.
    let script = Script::new(
        Arc::new(k6r_script::MemoryFiles::new().with(
            "/t/main.js",
            r#"
            const before = Object.getOwnPropertyDescriptor(globalThis, 'console');
            const listed = Object.keys(globalThis).includes('console');
            export function setup() {
                const saved = console;
                globalThis.console = 7;
                const replaced = console;
                globalThis.console = saved;
                const d = Object.getOwnPropertyDescriptor(globalThis, 'console');
                return [listed, before.enumerable, before.configurable, replaced,
                    d.writable, d.enumerable, d.configurable, typeof console.log, console === saved];
            }
            "#,
        )),
        "/t/main.js",
    );
    let (out, _) = common::setup_returns(&script);
    assert_eq!(
        out,
        serde_json::json!([true, true, true, 7, true, true, true, "function", true])
    );
}
