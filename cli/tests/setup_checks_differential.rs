//! Checks and custom metrics inside `setup()` and `teardown()` against
//! the reference `k6 run` (k6 v1.1.0): counted in the totals and under
//! the `::setup`/`::teardown` groups as k6 counts them, in the
//! summary's `root_group` and metric values (through `handleSummary`).

use std::process::Command;

const SCRIPT: &str = r#"
import { check, group } from 'k6';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
const counter = new Counter('my_counter');
const gauge = new Gauge('my_gauge');
const rate = new Rate('my_rate');
const trend = new Trend('my_trend');
export const options = {
  iterations: 2,
  thresholds: {
    'checks{group:::setup}': ['rate>0'],
    'checks{group:::teardown}': ['rate>0'],
    'my_counter{group:::setup}': ['count>0'],
    'my_counter{group:::teardown}': ['count>0'],
    'my_trend{group:::setup::inner}': ['max>0'],
  },
};
export function setup() {
  check(1, { 'setup ok': (v) => v === 1, 'setup bad': (v) => v === 2 });
  counter.add(5);
  gauge.add(3);
  rate.add(true);
  group('inner', () => { check(1, { 'nested': () => true }); trend.add(7); });
  return { a: 1 };
}
export default function (data) {
  check(data, { 'data ok': (d) => d.a === 1 });
  counter.add(1);
  rate.add(false);
}
export function teardown() {
  check(1, { 'teardown ok': () => true, 'teardown bad': () => false });
  counter.add(10);
  gauge.add(4);
  trend.add(9);
}
export function handleSummary(data) {
  const pick = (name, keys) => {
    const m = data.metrics[name];
    return m ? `${name} ${keys.map((k) => `${k}=${m.values[k]}`).join(' ')}` +
      (m.thresholds ? ' ' + JSON.stringify(m.thresholds) : '') : `${name} missing`;
  };
  const lines = [
    JSON.stringify(data.root_group),
    pick('checks', ['passes', 'fails']),
    pick('checks{group:::setup}', ['passes', 'fails']),
    pick('checks{group:::teardown}', ['passes', 'fails']),
    pick('my_counter', ['count']),
    pick('my_counter{group:::setup}', ['count']),
    pick('my_counter{group:::teardown}', ['count']),
    pick('my_gauge', ['value', 'min', 'max']),
    pick('my_rate', ['passes', 'fails']),
    pick('my_trend', ['count', 'min', 'max']),
    pick('my_trend{group:::setup::inner}', ['max', 'min']),
    pick('iterations', ['count']),
  ];
  return { stdout: lines.join('\n') + '\n' };
}
"#;

/// What `handleSummary` printed, with the keys of each JSON object of the
/// root group sorted (k6 orders them at random).
fn summary(binary: &str, dir: &std::path::Path) -> Vec<String> {
    std::fs::write(dir.join("script.js"), SCRIPT).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        .args(["run", "-q", "-a", "", "script.js"])
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{binary}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    if let Some(first) = lines.first_mut() {
        let tree: serde_json::Value = serde_json::from_str(first).expect("root_group JSON");
        *first = sorted(&tree).to_string();
    }
    lines
}

fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for key in keys {
                out.insert(key.clone(), sorted(&map[key]));
            }
            serde_json::Value::Object(out)
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(sorted).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn setup_and_teardown_checks_and_metrics_count_as_in_k6() {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let expected = summary("k6", dir.path());
    assert_eq!(expected.len(), 12, "{expected:?}");
    assert_eq!(summary(k6r, dir.path()), expected);
}
