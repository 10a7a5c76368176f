//! The plan against `k6 inspect --execution-requirements` figures and the
//! worked examples of the reference (§2.2, §3.6).

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::options::Options;
use crate::segment::{Segment, Sequence};

fn plan(value: serde_json::Value) -> TestPlan {
    let (mut options, _) = Options::from_json(&value).unwrap();
    options.derive_scenarios().unwrap();
    options.validate(None).unwrap();
    TestPlan::new(&options).unwrap()
}

/// `(totalDuration, maxVUs)` as k6 inspect prints them.
fn requirements(value: serde_json::Value) -> (String, u64) {
    let p = plan(value);
    (p.total_duration().to_string(), p.max_possible_vus())
}

fn thirds(value: serde_json::Value, segment: &str) -> serde_json::Value {
    let mut v = value;
    v["executionSegment"] = json!(segment);
    v["executionSegmentSequence"] = json!("0,1/3,2/3,1");
    v
}

#[test]
fn unsegmented_requirements_match_k6_inspect() {
    let cases = [
        (json!({"vus": 2, "duration": "10s"}), ("40s", 2)),
        (json!({"iterations": 6, "vus": 1}), ("10m30s", 1)),
        (json!({}), ("10m30s", 1)),
        (
            json!({"scenarios": {
            "a": {"executor": "shared-iterations"}, "b": {"executor": "per-vu-iterations"},
            "c": {"executor": "constant-vus", "duration": "1s"},
            "d": {"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 1}]},
            "e": {"executor": "constant-arrival-rate", "rate": 1, "duration": "1s", "preAllocatedVUs": 1},
            "f": {"executor": "ramping-arrival-rate", "stages": [{"duration": "1s", "target": 1}], "preAllocatedVUs": 1},
            "g": {"executor": "externally-controlled", "duration": "1s"}}}),
            ("10m30s", 6),
        ),
        (
            json!({"scenarios": {"s": {"executor": "ramping-vus", "startVUs": 0,
            "stages": [{"duration": "10s", "target": 10}, {"duration": "10s", "target": 0}]}}}),
            ("50s", 10),
        ),
        (
            json!({"scenarios": {"s": {"executor": "externally-controlled", "duration": 0, "vus": 2, "maxVUs": 5},
            "t": {"executor": "constant-vus", "duration": "2s", "startTime": "5s"}}}),
            ("37s", 6),
        ),
        (
            json!({"scenarios": {"s": {"executor": "externally-controlled", "duration": 0, "vus": 2, "maxVUs": 5}}}),
            ("0s", 5),
        ),
        (
            json!({"scenarios": {"s": {"executor": "ramping-vus", "startVUs": 2, "gracefulRampDown": "1s", "gracefulStop": "10s",
            "stages": [{"duration": "1s", "target": 2}, {"duration": "0s", "target": 0}, {"duration": "4s", "target": 0}]}}}),
            ("2s", 2),
        ),
        (
            json!({"scenarios": {"s": {"executor": "shared-iterations", "maxDuration": "5s"}}}),
            ("35s", 1),
        ),
    ];
    for (input, (duration, vus)) in cases {
        assert_eq!(
            requirements(input.clone()),
            (duration.to_string(), vus),
            "{input}"
        );
    }
}

#[test]
fn segmented_requirements_match_k6_inspect() {
    let a = json!({"scenarios": {
        "s": {"executor": "ramping-vus", "startTime": "2s",
              "stages": [{"duration": "10s", "target": 10}, {"duration": "10s", "target": 0}]},
        "t": {"executor": "constant-arrival-rate", "rate": 10, "duration": "5s", "preAllocatedVUs": 3, "maxVUs": 7}}});
    assert_eq!(requirements(thirds(a, "0:1/3")), ("52s".to_string(), 7));
    let ramp = json!({"scenarios": {"s": {"executor": "ramping-vus", "startVUs": 0,
        "stages": [{"duration": "10s", "target": 10}, {"duration": "10s", "target": 0}]}}});
    let totals: Vec<String> = ["0:1/3", "1/3:2/3", "2/3:1"]
        .iter()
        .map(|s| requirements(thirds(ramp.clone(), s)).0)
        .collect();
    assert_eq!(totals, ["50s", "49s", "48s"]);
    assert_eq!(requirements(thirds(ramp, "1/3:2/3")).1, 3);
    let si =
        json!({"scenarios": {"s": {"executor": "shared-iterations", "vus": 2, "iterations": 7}}});
    assert_eq!(requirements(thirds(si, "2/3:1")), ("0s".to_string(), 0));
    let cv = json!({"scenarios": {"s": {"executor": "constant-vus", "vus": 10, "duration": "1s"}}});
    let vus: Vec<u64> = ["0:1/3", "1/3:2/3", "2/3:1"]
        .iter()
        .map(|s| requirements(thirds(cv.clone(), s)).1)
        .collect();
    assert_eq!(vus, [4, 3, 3]);
}

fn work_of(value: serde_json::Value, segment: &str) -> ScenarioPlan {
    plan(thirds(value, segment)).scenarios()[0].clone()
}

#[test]
fn shared_iterations_split_by_vus() {
    // §3.6 example 2 and 4.
    let counts = |vus: i64, iterations: i64| -> Vec<u64> {
        ["0:1/3", "1/3:2/3", "2/3:1"]
            .iter()
            .map(|seg| {
                let v = json!({"scenarios": {"s": {"executor": "shared-iterations", "vus": vus, "iterations": iterations}}});
                match work_of(v, seg).work {
                    Work::SharedIterations { iterations, .. } => iterations,
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    };
    assert_eq!(counts(10, 30), [12, 9, 9]);
    assert_eq!(counts(3, 7), [3, 2, 2]);
    assert_eq!(counts(2, 7), [4, 3, 0]);
}

#[test]
fn per_vu_iterations_are_not_scaled() {
    let v =
        json!({"scenarios": {"s": {"executor": "per-vu-iterations", "vus": 5, "iterations": 2}}});
    let w: Vec<(u64, u64)> = ["0:1/3", "1/3:2/3", "2/3:1"]
        .iter()
        .map(|seg| match work_of(v.clone(), seg).work {
            Work::PerVuIterations {
                vus,
                iterations_per_vu,
                ..
            } => (vus, iterations_per_vu),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(w, [(2, 2), (2, 2), (1, 2)]);
}

#[test]
fn constant_arrival_rate_ticks_split_by_max_vus() {
    // §3.6 example 6: 100/s for 1s, maxVUs 20 → re-segmented 0,7/20,7/10,1.
    let v = json!({"scenarios": {"s": {"executor": "constant-arrival-rate", "rate": 100, "duration": "1s",
        "preAllocatedVUs": 20, "maxVUs": 20}}});
    let mut all = Vec::new();
    let mut counts = Vec::new();
    for seg in ["0:1/3", "1/3:2/3", "2/3:1"] {
        let p = work_of(v.clone(), seg);
        let Work::ConstantArrivalRate {
            schedule,
            pre_allocated_vus,
            ..
        } = &p.work
        else {
            panic!()
        };
        let ticks: Vec<Tick> = schedule.ticks().collect();
        if seg == "0:1/3" {
            let first: Vec<i64> = ticks.iter().take(8).map(|t| t.global).collect();
            assert_eq!(first, [0, 3, 6, 9, 12, 15, 18, 20]);
            assert_eq!(*pre_allocated_vus, 7);
        }
        counts.push(ticks.len());
        all.extend(ticks.iter().map(|t| t.global));
    }
    assert_eq!(counts, [36, 35, 30], "ticks 0..=100 split 7:7:6");
    all.sort_unstable();
    assert_eq!(all, (0..=100).collect::<Vec<i64>>());
}

#[test]
fn ramping_arrival_rate_events_split_2_1_1() {
    // §3.6 example 8: 0→10/s over 2s, maxVUs 4.
    let v = json!({"scenarios": {"s": {"executor": "ramping-arrival-rate", "preAllocatedVUs": 4, "maxVUs": 4,
        "stages": [{"duration": "2s", "target": 10}]}}});
    let events: Vec<Vec<i64>> = ["0:1/3", "1/3:2/3", "2/3:1"]
        .iter()
        .map(|seg| {
            let Work::RampingArrivalRate { schedule, .. } = work_of(v.clone(), seg).work else {
                panic!()
            };
            schedule.ticks().map(|t| t.global).collect()
        })
        .collect();
    assert_eq!(events, [vec![0, 2, 4, 6, 8], vec![1, 5, 9], vec![3, 7]]);
}

#[test]
fn ramping_vus_thirds_follow_global_vu_times() {
    // §3.6 example 7: 0→10 over 10s, 10→0 over 10s, raw steps per third.
    let v = json!({"scenarios": {"s": {"executor": "ramping-vus", "startVUs": 0, "gracefulRampDown": "0s",
        "stages": [{"duration": "10s", "target": 10}, {"duration": "10s", "target": 0}]}}});
    let expected: [&[(i64, u64)]; 3] = [
        &[
            (0, 0),
            (1, 1),
            (4, 2),
            (7, 3),
            (10, 4),
            (11, 3),
            (14, 2),
            (17, 1),
            (20, 0),
        ],
        &[(0, 0), (2, 1), (5, 2), (8, 3), (13, 2), (16, 1), (19, 0)],
        &[(0, 0), (3, 1), (6, 2), (9, 3), (12, 2), (15, 1), (18, 0)],
    ];
    for (seg, want) in ["0:1/3", "1/3:2/3", "2/3:1"].iter().zip(expected) {
        let Work::RampingVus { raw_steps, .. } = work_of(v.clone(), seg).work else {
            panic!()
        };
        let got: Vec<(i64, u64)> = raw_steps
            .iter()
            .map(|s| (s.offset.as_nanos() / 1_000_000_000, s.planned_vus))
            .collect();
        assert_eq!(got, want, "{seg}");
    }
}

#[test]
fn externally_controlled_is_scaled_silently() {
    let v = json!({"scenarios": {"s": {"executor": "externally-controlled", "vus": 3, "maxVUs": 6, "duration": "1s"}}});
    match work_of(v, "0:1/3").work {
        Work::ExternallyControlled {
            vus,
            max_vus,
            duration,
        } => {
            assert_eq!((vus, max_vus, duration), (1, 2, Some(Duration::SECOND)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pinned_scenarios_run_whole_beside_segmented_ones() {
    let v = thirds(
        json!({"scenarios": {
            "ext": {"executor": "externally-controlled", "vus": 2, "maxVUs": 10, "duration": "1s"},
            "cv": {"executor": "constant-vus", "vus": 6, "duration": "1s"},
        }}),
        "0:1/3",
    );
    let (mut options, _) = Options::from_json(&v).unwrap();
    options.derive_scenarios().unwrap();
    options.validate(None).unwrap();
    let plan = TestPlan::with_pinned(&options, &["ext".to_string()]).unwrap();
    let work = |name: &str| {
        plan.scenarios()
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .work
            .clone()
    };
    match work("ext") {
        Work::ExternallyControlled { vus, max_vus, .. } => assert_eq!((vus, max_vus), (2, 10)),
        other => panic!("{other:?}"),
    }
    match work("cv") {
        Work::ConstantVus { vus, .. } => assert_eq!(vus, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(plan.max_planned_vus(), 12, "maxVUs 10 of ext + 2 of cv");
    assert_eq!(plan.tuple().segment().to_string(), "0:1/3");
}

/// Random sequences: cut points with small denominators.
fn sequence() -> impl Strategy<Value = Vec<String>> {
    (1u32..=12, prop::collection::btree_set(1u32..12, 0..5)).prop_map(|(den, cuts)| {
        let den = den.max(2);
        let mut points = vec!["0".to_string()];
        points.extend(
            cuts.into_iter()
                .filter(|c| *c < den)
                .map(|c| format!("{c}/{den}")),
        );
        points.push("1".to_string());
        points
    })
}

fn options_for(executor: serde_json::Value, points: &[String], i: usize) -> Options {
    let (mut o, _) = Options::from_json(&json!({"scenarios": {"s": executor}})).unwrap();
    o.derive_scenarios().unwrap();
    o.execution_segment_sequence = Some(Sequence::parse(&points.join(",")).unwrap());
    o.execution_segment =
        Some(Segment::parse(&format!("{}:{}", points[i], points[i + 1])).unwrap());
    o
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn segments_add_up_to_the_whole(points in sequence(), vus in 1i64..40, extra in 0i64..60,
                                    rate in 1i64..50, stages in prop::collection::vec((0i64..4, 0i64..25), 1..4)) {
        let executors = [
            json!({"executor": "shared-iterations", "vus": vus, "iterations": vus + extra}),
            json!({"executor": "per-vu-iterations", "vus": vus, "iterations": 3}),
            json!({"executor": "constant-vus", "vus": vus, "duration": "2s"}),
            json!({"executor": "externally-controlled", "vus": vus, "maxVUs": vus + extra, "duration": "2s"}),
            json!({"executor": "constant-arrival-rate", "rate": rate, "duration": "2s", "preAllocatedVUs": vus, "maxVUs": vus + extra}),
            json!({"executor": "ramping-arrival-rate", "preAllocatedVUs": vus, "maxVUs": vus + extra,
                   "stages": stages.iter().map(|(d, t)| json!({"duration": format!("{d}s"), "target": t})).collect::<Vec<_>>()}),
            json!({"executor": "ramping-vus", "startVUs": vus % 7, "gracefulRampDown": "0s",
                   "stages": stages.iter().map(|(d, t)| json!({"duration": format!("{d}s"), "target": t})).collect::<Vec<_>>()}),
        ];
        for executor in executors {
            let whole = TestPlan::with_tuple(&options_for(executor.clone(), &["0".into(), "1".into()], 0), Tuple::full());
            let parts: Vec<TestPlan> = (0..points.len() - 1)
                .map(|i| TestPlan::new(&options_for(executor.clone(), &points, i)).unwrap())
                .collect();
            let sum = |f: &dyn Fn(&TestPlan) -> u64| parts.iter().map(f).sum::<u64>();
            prop_assert_eq!(sum(&|p| p.max_planned_vus()) >= whole.max_planned_vus(), true);
            match &whole.scenarios()[0].work {
                Work::SharedIterations { vus, iterations, .. } => {
                    let (v, i) = parts.iter().fold((0, 0), |acc, p| match &p.scenarios()[0].work {
                        Work::SharedIterations { vus, iterations, .. } => (acc.0 + vus, acc.1 + iterations),
                        _ => unreachable!(),
                    });
                    prop_assert_eq!((v, i), (*vus, *iterations));
                }
                Work::PerVuIterations { vus, .. } | Work::ConstantVus { vus, .. } => {
                    prop_assert_eq!(sum(&|p| p.max_planned_vus()), *vus);
                }
                Work::ExternallyControlled { vus, max_vus, .. } => {
                    let (v, m) = parts.iter().fold((0, 0), |acc, p| match &p.scenarios()[0].work {
                        Work::ExternallyControlled { vus, max_vus, .. } => (acc.0 + vus, acc.1 + max_vus),
                        _ => unreachable!(),
                    });
                    prop_assert_eq!((v, m), (*vus, *max_vus));
                }
                Work::ConstantArrivalRate { schedule, max_vus, .. } => {
                    let whole_ticks: Vec<(i64, Duration)> = schedule.ticks().map(|t| (t.global, t.offset)).collect();
                    let mut got: Vec<(i64, Duration)> = Vec::new();
                    let mut max_sum = 0;
                    for p in &parts {
                        let Work::ConstantArrivalRate { schedule, max_vus, .. } = &p.scenarios()[0].work else { unreachable!() };
                        got.extend(schedule.ticks().map(|t| (t.global, t.offset)));
                        max_sum += max_vus;
                    }
                    got.sort();
                    prop_assert_eq!(got, whole_ticks);
                    prop_assert_eq!(max_sum, *max_vus);
                }
                Work::RampingArrivalRate { schedule, .. } => {
                    let whole_ticks: Vec<(i64, Duration)> = schedule.ticks().map(|t| (t.global, t.offset)).collect();
                    let mut got: Vec<(i64, Duration)> = Vec::new();
                    for p in &parts {
                        let Work::RampingArrivalRate { schedule, .. } = &p.scenarios()[0].work else { unreachable!() };
                        got.extend(schedule.ticks().map(|t| (t.global, t.offset)));
                    }
                    got.sort();
                    prop_assert_eq!(got, whole_ticks);
                }
                Work::RampingVus { raw_steps, .. } => {
                    // At every step time of any part, the parts' planned VUs
                    // add up to the whole's.
                    let at = |steps: &[Step], t: Duration| steps.iter().take_while(|s| s.offset <= t).last().map_or(0, |s| s.planned_vus);
                    let part_steps: Vec<Vec<Step>> = parts.iter().map(|p| match &p.scenarios()[0].work {
                        Work::RampingVus { raw_steps, .. } => raw_steps.clone(),
                        _ => unreachable!(),
                    }).collect();
                    for t in raw_steps.iter().map(|s| s.offset).chain(part_steps.iter().flatten().map(|s| s.offset)) {
                        let total: u64 = part_steps.iter().map(|s| at(s, t)).sum();
                        prop_assert_eq!(total, at(raw_steps, t), "at {}", t);
                    }
                }
            }
        }
    }
}

/// Found by the generated cases of the differential test against k6:
/// the test's steps are summed after every scenario step, so a start at
/// the same instant as another scenario's counts before a zero-length
/// stage lowers it; and a test with no VUs in its segment lasts until its
/// first scenario starts.
#[test]
fn steps_at_one_instant_and_empty_segments_count_as_in_k6() {
    let overlapping = json!({"scenarios": {
        "s0": {"executor": "externally-controlled", "startTime": "3500ms", "vus": 0, "maxVUs": 2, "duration": "1s"},
        "s1": {"executor": "ramping-vus", "startTime": "3500ms", "gracefulStop": "1s", "startVUs": 4,
               "stages": [{"duration": "0s", "target": 1}, {"duration": "1s", "target": 3}], "gracefulRampDown": "0s"}}});
    assert_eq!(requirements(thirds(overlapping, "0:1/3")).1, 3);
    let empty = json!({"scenarios": {
        "s0": {"executor": "shared-iterations", "startTime": "3500ms", "vus": 1, "iterations": 5},
        "s1": {"executor": "shared-iterations", "startTime": "2s", "gracefulStop": "1s", "vus": 1, "iterations": 5}}});
    assert_eq!(requirements(thirds(empty, "1/3:2/3")), ("2s".to_owned(), 0));
}
