//! `--out json=...` and `--out csv=...` of `k6r-cli run` against the
//! reference `k6 run`: the same lines for the same deterministic script
//! (`Metric` before a metric's first `Point`, the same points per metric
//! with the same tag keys, k6's CSV columns), gzip for `.gz`, and
//! repeatable `--out`.

#[path = "../../runner/tests/common/target.rs"]
mod target;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use target::Target;

const SCRIPT: &str = r#"import http from 'k6/http';
import { check, group } from 'k6';
import { Trend } from 'k6/metrics';
const t = new Trend('my_trend', true);
export const options = {
  iterations: 6, vus: 2,
  thresholds: { my_trend: ['p(95)<1000'], 'http_req_duration{status:200}': ['max<5000'] },
};
export default function () {
  t.add(__ITER, { kind: 'k' });
  group('g', () => {
    check(http.get(`${__ENV.TARGET}/`), { ok: (r) => r.status === 200 });
  });
}
"#;

/// Metrics whose points follow the clock (emitted every second).
const CLOCKED: [&str; 2] = ["vus", "vus_max"];

/// Per metric: its `Metric` line's `data`, how many points, and the tag
/// keys its points carry.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    declaration: Value,
    points: usize,
    tag_keys: BTreeSet<Vec<String>>,
}

fn parse_json_lines(body: &str) -> BTreeMap<String, Seen> {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for line in body.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let metric = v["metric"].as_str().unwrap().to_owned();
        match v["type"].as_str() {
            Some("Metric") => {
                let entry = seen.entry(metric.clone()).or_default();
                assert_eq!(entry.points, 0, "{metric}: Metric line after a Point");
                let mut data = v["data"].clone();
                // k6 lists submetrics in no particular order.
                if let Some(list) = data["submetrics"].as_array_mut() {
                    list.sort_by_key(|s| s["name"].as_str().unwrap_or("").to_owned());
                }
                entry.declaration = data;
            }
            Some("Point") => {
                let entry = seen
                    .get_mut(&metric)
                    .unwrap_or_else(|| panic!("{metric}: Point before its Metric line"));
                entry.points += 1;
                let keys = v["data"]["tags"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect();
                entry.tag_keys.insert(keys);
                assert!(v["data"]["value"].is_number(), "{line}");
                let time = v["data"]["time"].as_str().unwrap();
                assert!(time.ends_with('Z') && time.len() >= 20, "{time}");
            }
            other => panic!("unknown line type {other:?}: {line}"),
        }
    }
    seen
}

fn run(binary: &str, dir: &Path, target: &Target, outs: &[&str]) {
    let env = format!("TARGET={}", target.url());
    let mut command = Command::new(binary);
    command
        .current_dir(dir)
        .args(["run", "-q", "--no-summary", "-e", &env]);
    for out in outs {
        command.args(["--out", out]);
    }
    let out = command.arg("script.js").output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{binary}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn csv_counts(body: &str) -> (String, BTreeMap<String, usize>) {
    let mut lines = body.lines();
    let header = lines.next().unwrap_or_default().to_owned();
    let mut counts = BTreeMap::new();
    for line in lines {
        let metric = line.split(',').next().unwrap().to_owned();
        *counts.entry(metric).or_insert(0) += 1;
    }
    (header, counts)
}

#[test]
fn json_and_csv_outputs_match_k6s() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    run("k6", dir.path(), &target, &["json=k6.json", "csv=k6.csv"]);
    run(
        env!("CARGO_BIN_EXE_k6r-cli"),
        dir.path(),
        &target,
        &["json=k6r.json", "csv=k6r.csv", "json=k6r.json.gz"],
    );
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();

    let mut theirs = parse_json_lines(&read("k6.json"));
    let mut ours = parse_json_lines(&read("k6r.json"));
    for m in CLOCKED {
        for seen in [theirs.get_mut(m), ours.get_mut(m)].into_iter().flatten() {
            seen.points = 0;
        }
    }
    let names = |m: &BTreeMap<String, Seen>| m.keys().cloned().collect::<Vec<_>>();
    let clocked = |m: &BTreeMap<String, Seen>| {
        let mut n = names(m);
        n.retain(|n| !CLOCKED.contains(&n.as_str()));
        n
    };
    assert_eq!(clocked(&ours), clocked(&theirs));
    for (name, seen) in &theirs {
        if let Some(mine) = ours.get(name) {
            assert_eq!(mine, seen, "{name}");
        }
    }

    let mut gz = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(dir.path().join("k6r.json.gz")).unwrap())
        .read_to_string(&mut gz)
        .unwrap();
    let zipped = parse_json_lines(&gz);
    assert_eq!(names(&zipped), names(&parse_json_lines(&read("k6r.json"))));
    assert_eq!(zipped["http_reqs"].points, 6);

    let (k6_header, mut k6_rows) = csv_counts(&read("k6.csv"));
    let (header, mut rows) = csv_counts(&read("k6r.csv"));
    assert_eq!(header, k6_header);
    for m in CLOCKED {
        k6_rows.remove(m);
        rows.remove(m);
    }
    assert_eq!(rows, k6_rows);
    // The same row, but for the time: columns, quoting, extra tags.
    let first_row = |f: &str| {
        let body = read(f);
        let row = body.lines().find(|l| l.starts_with("my_trend,")).unwrap();
        let mut cells: Vec<&str> = row.split(',').collect();
        cells.remove(1);
        cells.join(",")
    };
    assert_eq!(first_row("k6r.csv"), first_row("k6.csv"));
}

#[test]
fn an_unknown_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("script.js"),
        "export default function () {}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_k6r-cli"))
        .current_dir(dir.path())
        .args(["run", "-q", "--out", "influxdb=http://x", "script.js"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid output type 'influxdb'"));
}
