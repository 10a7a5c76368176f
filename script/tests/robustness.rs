//! Hostile or odd scripts: no panic, no hang, a clear error.

mod common;

use std::sync::Arc;

use common::{config, fixture};
use k6r_script::{
    inspect_with, ConvertError, Env, Error, Inspection, MemoryFiles, MemoryLog, ModuleError, Script,
};
use serde_json::json;

fn run_source(
    source: &str,
    tweak: impl FnOnce(k6r_script::Config) -> k6r_script::Config,
) -> Result<Inspection, Error> {
    let files = MemoryFiles::new()
        .with("/t/main.js", source)
        .with("/t/lib.js", "export const value = 'lib';\n");
    let script = Script::new(Arc::new(files), "/t/main.js");
    let config = tweak(config(Arc::new(MemoryLog::default())));
    inspect_with(&script, &Env::new(), &config)
}

fn run(source: &str) -> Result<Inspection, Error> {
    run_source(source, |config| config)
}

#[test]
fn running_out_of_memory_is_an_exception() {
    let source = "const hog = []; while (true) hog.push(new Array(100000).fill(1));";
    let error = run_source(source, |config| config.with_memory_limit(Some(32 << 20))).unwrap_err();
    assert_eq!(error.exit_code(), 107);
    assert!(error.to_string().contains("out of memory"), "{error}");
}

#[test]
fn deeply_nested_options_are_refused() {
    let source = "let o = {}; for (let i = 0; i < 1000; i++) o = { o }; export const options = o;";
    let error = run(source).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Options(ConvertError::TooDeep { max: 256, .. })
        ),
        "{error:?}"
    );
}

#[test]
fn throwing_getters_in_options_are_exceptions() {
    let source = "export const options = { get vus() { throw new Error('nope'); } };";
    let error = run(source).unwrap_err();
    assert_eq!(error.exit_code(), 107);
    assert!(error.to_string().starts_with("Error: nope"), "{error}");

    let proxy =
        "export const options = new Proxy({}, { ownKeys() { throw new TypeError('keys'); } });";
    let error = run(proxy).unwrap_err();
    assert!(error.to_string().starts_with("TypeError: keys"), "{error}");
}

#[test]
fn to_json_and_dates_follow_json_stringify() {
    let source = "export const options = { when: new Date(0), custom: { toJSON() { return 'x'; } }, list: [1, undefined], n: -0, f: 1.5 };";
    let inspection = run(source).unwrap();
    assert_eq!(
        inspection.options,
        json!({"when": "1970-01-01T00:00:00.000Z", "custom": "x", "list": [1, null], "n": 0, "f": 1.5})
    );
}

#[test]
fn dynamic_imports_resolve_like_static_ones() {
    let source = "const { value } = await import('./lib.js');\n\
                  let missing = 'none';\n\
                  try { await import('./gone.js'); } catch (e) { missing = e.name; }\n\
                  export const options = { tags: { value, missing } };";
    let inspection = run(source).unwrap();
    assert_eq!(
        inspection.options,
        json!({"tags": {"value": "lib", "missing": "GoError"}})
    );
}

#[test]
fn console_survives_deep_and_hostile_values() {
    let source = "let o = {}; for (let i = 0; i < 100000; i++) o = { o };\n\
                  console.log(o);\n\
                  console.log({ toJSON() { throw new Error('x'); } });\n\
                  export default function () {}";
    assert!(run(source).is_ok());
}

#[test]
fn a_directory_is_not_a_module() {
    let log = Arc::new(MemoryLog::default());
    let script = Script::from_path(&fixture("errors/imports_directory.js")).unwrap();
    let error = inspect_with(&script, &Env::new(), &config(log.clone())).unwrap_err();
    assert_eq!(error.exit_code(), 107);
    assert!(
        matches!(&error, Error::Import { error: ModuleError::Unreadable { specifier, .. }, .. } if specifier == "./nested"),
        "{error:?}"
    );

    let script = Script::from_path(&fixture("imports")).unwrap();
    let error = inspect_with(&script, &Env::new(), &config(log)).unwrap_err();
    assert_eq!(error.exit_code(), 255);
    assert!(
        matches!(error, Error::Entry(ModuleError::Unreadable { .. })),
        "{error:?}"
    );
}

#[test]
fn binary_garbage_is_a_syntax_error() {
    let error = run("\u{0}\u{1}\u{2}export const options = {};\u{ffff}").unwrap_err();
    assert_eq!(error.exit_code(), 107);
}

#[test]
fn a_rejected_top_level_await_is_an_exception() {
    let error = run("await Promise.reject(new RangeError('later'));").unwrap_err();
    assert!(
        error.to_string().starts_with("RangeError: later"),
        "{error}"
    );
}
