//! `k6r-cli inspect` in-process: flags, output shape and exit codes.

use clap::Parser;
use serde_json::Value;

fn run(args: &[&str]) -> (i32, String, String) {
    let cli = k6r_cli::Cli::try_parse_from(args).expect("valid flags");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = k6r_cli::run(cli, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn write(dir: &tempfile::TempDir, name: &str, source: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, source).unwrap();
    path.display().to_string()
}

#[test]
fn prints_requirements_and_env_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        &dir,
        "s.js",
        "export const options = { vus: parseInt(__ENV.N || '1'), duration: '10s', thresholds: { x: ['p(95)<200'] } };\nexport default function () {}\n",
    );
    let (code, out, err) = run(&[
        "k6r-cli",
        "inspect",
        "--execution-requirements",
        "-e",
        "N=4",
        &script,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"p(95)\\u003c200\""),
        "Go's HTML-safe escaping: {out}"
    );
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["maxVUs"], 4);
    assert_eq!(json["totalDuration"], "40s");
    assert_eq!(json["scenarios"]["default"]["executor"], "constant-vus");
    // Without the flag: the options as given, no requirements.
    let (code, out, _) = run(&["k6r-cli", "inspect", &script]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert!(json.get("maxVUs").is_none());
    assert_eq!(json["scenarios"], Value::Null);
}

#[test]
fn invalid_config_exits_104_with_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        &dir,
        "bad.js",
        "export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2 } } };\nexport default function () {}\n",
    );
    let (code, out, err) = run(&["k6r-cli", "inspect", "--execution-requirements", &script]);
    assert_eq!(code, 104);
    assert!(out.is_empty());
    assert!(err.contains("level=error msg=\"There were problems with the specified script configuration:\\n\\t- scenario s has configuration errors: the duration is unspecified\""), "{err}");
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        &dir,
        "broken.js",
        "export default function () {\n  let x = ;\n}\n",
    );
    let (code, _, err) = run(&["k6r-cli", "inspect", &script]);
    assert_eq!(code, 107);
    assert!(err.contains("broken.js:2:"), "{err}");
    assert!(err.contains("hint=\"script exception\""), "{err}");
}

#[test]
fn warnings_go_to_stderr_and_do_not_fail() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        &dir,
        "w.js",
        "export const options = { vus: 5, foo: 1 };\nexport default function () {}\n",
    );
    let (code, _, err) = run(&["k6r-cli", "inspect", "--execution-requirements", &script]);
    assert_eq!(code, 0);
    assert!(err.contains("level=warning msg=\"There were unknown fields in the options exported in the script\" error=\"json: unknown field \\\"foo\\\"\""), "{err}");
    assert!(err.contains("`vus=5` option will be ignored"), "{err}");
}

#[test]
fn bad_env_flags_are_rejected_by_the_parser() {
    assert!(k6r_cli::Cli::try_parse_from(["k6r-cli", "inspect", "-e", "NOVALUE", "s.js"]).is_err());
    assert!(k6r_cli::Cli::try_parse_from(["k6r-cli", "inspect", "-e", "=x", "s.js"]).is_err());
}

#[test]
fn segment_flags_select_a_share_and_bad_ones_exit_255() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        &dir,
        "s.js",
        "export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 10 } } };\nexport default function () {}\n",
    );
    let max_vus = |segment: &str| {
        let (code, out, err) = run(&[
            "k6r-cli",
            "inspect",
            "--execution-requirements",
            "--execution-segment",
            segment,
            "--execution-segment-sequence",
            "0,1/3,2/3,1",
            &script,
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()["maxVUs"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        [max_vus("0:1/3"), max_vus("1/3:2/3"), max_vus("2/3:1")],
        [4, 3, 3]
    );
    let (code, out, err) = run(&["k6r-cli", "inspect", "--execution-segment", "abc", &script]);
    assert_eq!((code, out.as_str()), (255, ""));
    assert!(
        err.contains(
            "msg=\"'abc' is not a valid percentage, decimal, fraction or interval value\""
        ),
        "{err}"
    );
    let (code, _, err) = run(&[
        "k6r-cli",
        "inspect",
        "--execution-segment-sequence",
        "0",
        &script,
    ]);
    assert_eq!(code, 255);
    assert!(
        err.contains("at least 2 points are needed for an execution segment sequence, 1 given"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "k6r-cli",
        "inspect",
        "--execution-requirements",
        "--execution-segment",
        "1/3:1/2",
        "--execution-segment-sequence",
        "0,1/3,2/3,1",
        &script,
    ]);
    assert_eq!(code, 104);
    assert!(
        err.contains("provided segment 1/3:1/2 can't be found in sequence 0,1/3,2/3,1"),
        "{err}"
    );
}
