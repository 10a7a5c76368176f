//! Every script in `examples/` is valid: `k6r-cli inspect` accepts it with
//! the same execution requirements as the reference k6 (when it is on PATH).

use std::path::{Path, PathBuf};
use std::process::Command;

use k6r_e2e::{bin, cli};

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    scripts.sort();
    scripts
}

#[test]
fn every_executor_has_an_example_and_each_inspects_cleanly() {
    let scripts = examples();
    let mut executors = Vec::new();
    for script in &scripts {
        let out = cli(
            Path::new("."),
            &[
                "inspect",
                "--execution-requirements",
                script.to_str().unwrap(),
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {stdout}{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_str(&stdout).expect("inspect's JSON");
        for scenario in json["scenarios"]
            .as_object()
            .into_iter()
            .flat_map(|s| s.values())
        {
            executors.push(scenario["executor"].as_str().unwrap_or_default().to_owned());
        }
        let k6 = Command::new("k6")
            .args(["inspect", "--execution-requirements"])
            .arg(script)
            .output();
        if let Ok(k6) = k6 {
            let theirs: serde_json::Value =
                serde_json::from_slice(&k6.stdout).expect("k6 inspect's JSON");
            assert_eq!(json["maxVUs"], theirs["maxVUs"], "{}", script.display());
            assert_eq!(
                json["totalDuration"],
                theirs["totalDuration"],
                "{}",
                script.display()
            );
        }
    }
    for executor in [
        "shared-iterations",
        "per-vu-iterations",
        "constant-vus",
        "ramping-vus",
        "constant-arrival-rate",
        "ramping-arrival-rate",
        "externally-controlled",
    ] {
        assert!(
            executors.iter().any(|e| e == executor),
            "no example uses {executor}: {executors:?}"
        );
    }
    let _ = bin("k6r-cli");
}

#[test]
fn the_readme_single_machine_example_runs_and_passes_its_thresholds() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart.js");
    let out = cli(Path::new("."), &["run", "-q", script.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("✓ 'rate==1'"), "{stdout}");
}
