//! TypeScript entry scripts and imports (`.ts`): types stripped, enums and
//! parameter properties turned into JavaScript, as k6 v1 runs them (the
//! same fixture runs against k6 in `cli/tests/modules_differential.rs`).

mod common;

use std::sync::Arc;

use common::{config, inspect_fixture};
use k6r_script::{inspect_with, Env, Error, MemoryFiles, MemoryLog, Script};

#[test]
fn a_typescript_entry_and_its_typescript_imports_run() {
    let outcome = inspect_fixture("typescript/main.ts", &Env::new());
    let lines = outcome.lines.join("\n");
    let inspection = outcome.ok();
    assert_eq!(inspection.options, serde_json::json!({"iterations": 1}));
    assert_eq!(inspection.exports, ["default"]);
    assert!(
        lines.contains(r#"{\"x\":4,\"y\":6} 5 Green 42 helped ts"#),
        "{lines}"
    );
}

#[test]
fn typescript_that_does_not_parse_names_file_line_and_column() {
    let files = MemoryFiles::new()
        .with(
            "/t/main.js",
            "import './lib.ts'; export default function () {}",
        )
        .with("/t/lib.ts", "// types\nlet x: = 1;\n");
    let script = Script::new(Arc::new(files), "/t/main.js");
    let error = inspect_with(
        &script,
        &Env::new(),
        &config(Arc::new(MemoryLog::default())),
    )
    .unwrap_err();
    assert_eq!(error.exit_code(), 107);
    let Error::Exception(exception) = &error else {
        panic!("{error:?}");
    };
    assert!(
        exception.message.starts_with("file:///t/lib.ts: Line 2:7 "),
        "{}",
        exception.message
    );
}

#[test]
fn a_javascript_file_is_not_touched_by_typescript() {
    // `enum` is reserved in JavaScript: left to QuickJS, a .js file with
    // TypeScript in it is a syntax error, as in k6.
    let files = MemoryFiles::new().with(
        "/t/main.js",
        "enum Color { Red }\nexport default function () {}",
    );
    let script = Script::new(Arc::new(files), "/t/main.js");
    let error = inspect_with(
        &script,
        &Env::new(),
        &config(Arc::new(MemoryLog::default())),
    )
    .unwrap_err();
    assert!(matches!(error, Error::Syntax { line: 1, .. }), "{error:?}");
}
