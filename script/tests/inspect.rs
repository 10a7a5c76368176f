//! Reading options and exports from real scripts on disk.

mod common;

use std::collections::BTreeMap;

use common::{fixture, inspect_fixture, tag};
use k6r_script::{inspect, Env};
use serde_json::json;

#[test]
fn options_come_through_two_levels_of_local_imports() {
    // Through the public entry point, from disk.
    let inspection = inspect(&fixture("imports/main.js"), &Env::new()).unwrap();
    assert_eq!(
        inspection.options,
        json!({
            "vus": 5,
            "stages": [
                {"duration": "10s", "target": 10},
                {"duration": "5s", "target": 0}
            ],
            "thresholds": {"http_req_duration": ["p(95)<500"]},
            "evaluations": 1
        })
    );
    assert_eq!(inspection.exports, ["default"]);
}

#[test]
fn a_relative_entry_path_works_from_the_current_directory() {
    // Integration tests run with the package directory as cwd.
    let inspection = inspect("tests/fixtures/no_options.js".as_ref(), &Env::new()).unwrap();
    assert_eq!(inspection.options, json!({}));
}

#[test]
fn import_cycles_follow_es_semantics() {
    let inspection = inspect_fixture("cycle/a.js", &Env::new()).ok();
    assert_eq!(
        inspection.options,
        json!({"tags": {"a": "a", "b": "ba", "bValue": "ba"}})
    );
}

#[test]
fn env_drives_options() {
    let with_vus = inspect_fixture("env.js", &Env::new().with("VUS", "12")).ok();
    assert_eq!(with_vus.options["vus"], json!(12));
    let without = inspect_fixture("env.js", &Env::new()).ok();
    assert_eq!(without.options["vus"], json!(1));
    // __VU is 0 in the inspection VU; __ITER does not exist in init code.
    assert_eq!(tag(&without, "vu"), "0");
    assert_eq!(tag(&without, "hasIter"), "undefined");
}

#[test]
fn env_is_a_plain_object_of_strings() {
    let env: Env = [("A", "1"), ("B", "two")].into_iter().collect();
    let mut expected = BTreeMap::new();
    expected.insert("A".to_owned(), "1".to_owned());
    expected.insert("B".to_owned(), "two".to_owned());
    assert_eq!(*env.0, expected);
}

#[test]
fn opened_json_builds_options() {
    let outcome = inspect_fixture("open/main.js", &Env::new());
    let lines = outcome.lines.clone();
    let inspection = outcome.ok();
    assert_eq!(inspection.options["vus"], json!(7));
    assert_eq!(inspection.options["duration"], json!("30s"));
    assert_eq!(tag(&inspection, "binary"), "true");
    assert_eq!(tag(&inspection, "byteLength"), "30");
    assert_eq!(tag(&inspection, "fromLib"), "hello from data");
    assert_eq!(tag(&inspection, "fromTop"), "hello from data");
    // lib/reader.js's open() resolved against main.js's directory: k6 warns.
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0]
        .contains("level=warning msg=\"open() was used and is currently relative to 'file:///"));
    assert!(lines[0].contains("/open/lib/reader.js'"));
}

#[test]
fn exports_list_only_functions() {
    let inspection = inspect_fixture("exports.js", &Env::new()).ok();
    assert_eq!(
        inspection.exports,
        [
            "Helper",
            "default",
            "handleSummary",
            "scenarioA",
            "setup",
            "teardown"
        ]
    );
    assert_eq!(inspection.options, json!({"vus": 1}));
}

#[test]
fn no_options_is_an_empty_object() {
    let inspection = inspect_fixture("no_options.js", &Env::new()).ok();
    assert_eq!(inspection.options, json!({}));
    assert_eq!(inspection.exports, ["default"]);
}

#[test]
fn top_level_await_is_driven_to_completion() {
    let inspection = inspect_fixture("tla.js", &Env::new()).ok();
    assert_eq!(inspection.options, json!({"vus": 4}));
}
