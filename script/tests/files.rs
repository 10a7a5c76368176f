//! A script served from memory (the shape of an archive) instead of disk.

mod common;

use std::sync::Arc;

use common::config;
use k6r_script::{inspect_with, Env, Error, MemoryFiles, MemoryLog, ModuleError, Script};
use serde_json::json;

#[test]
fn a_script_runs_from_memory_files() {
    let files = MemoryFiles::new()
        .with(
            "/archive/main.js",
            "import { vus } from './lib/vus.js';\n\
             const extra = JSON.parse(open('data/extra.json'));\n\
             export const options = { vus, tags: extra };\n\
             export default function () {}\n",
        )
        .with("/archive/lib/vus.js", "export const vus = 3;\n")
        .with("/archive/data/extra.json", r#"{"from": "memory"}"#);
    let script = Script::new(Arc::new(files), "/archive/main.js");
    assert_eq!(script.url(), "file:///archive/main.js");

    let log = Arc::new(MemoryLog::default());
    let inspection = inspect_with(&script, &Env::new(), &config(log)).unwrap();
    assert_eq!(
        inspection.options,
        json!({"vus": 3, "tags": {"from": "memory"}})
    );
    assert_eq!(inspection.exports, ["default"]);
}

#[test]
fn missing_memory_files_get_k6s_messages() {
    let files = MemoryFiles::new().with("/a/main.js", "import './gone.js';");
    let log = Arc::new(MemoryLog::default());

    let script = Script::new(Arc::new(files.clone()), "/a/main.js");
    let error = inspect_with(&script, &Env::new(), &config(log.clone())).unwrap_err();
    assert!(
        matches!(&error, Error::Import { error: ModuleError::NotFound { specifier, .. }, .. } if specifier == "./gone.js"),
        "{error:?}"
    );

    let script = Script::new(Arc::new(files), "/a/other.js");
    let error = inspect_with(&script, &Env::new(), &config(log)).unwrap_err();
    assert_eq!(error.exit_code(), 255);
    assert!(matches!(error, Error::Entry(ModuleError::NotFound { .. })));
}
