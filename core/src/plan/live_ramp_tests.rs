use super::*;
use crate::options::Options;
use crate::plan::TestPlan;
use crate::segment::{Segment, Sequence};

const RAMP: &str = r#"{"scenarios": {"rv": {"executor": "ramping-vus", "startVUs": 2,
    "gracefulRampDown": "0s", "gracefulStop": "0s",
    "stages": [{"duration": "4s", "target": 2}, {"duration": "4s", "target": 6}]}}}"#;

/// The live ramp of `rv` in `options` on the instance of `tuple`.
fn ramp(options: &str, tuple: Tuple) -> LiveRamp {
    let value: serde_json::Value = serde_json::from_str(options).unwrap();
    let (mut options, _) = Options::from_json(&value).unwrap();
    options.derive_scenarios().unwrap();
    options.validate(None).unwrap();
    let plan = TestPlan::with_tuple(&options, tuple);
    LiveRamp::of(&plan.scenarios()[0]).unwrap()
}

fn at(ms: i64) -> Duration {
    Duration::from_millis(ms)
}

fn raw_at(live: &LiveRamp, ms: i64) -> u64 {
    Step::planned_at(live.raw_steps(), at(ms))
}

#[test]
fn a_factor_multiplies_the_targets_left_from_its_instant() {
    let mut live = ramp(RAMP, Tuple::full());
    live.scale(at(2000), 3.0);
    // Before 2 s as planned; the stage under way ramps 2 → 6 over its
    // 2 s left; the next one 6 → 18 over its 4 s.
    assert_eq!(raw_at(&live, 1999), 2);
    assert_eq!(raw_at(&live, 2499), 2);
    assert_eq!(raw_at(&live, 2500), 3);
    assert_eq!(raw_at(&live, 4000), 6);
    assert_eq!(raw_at(&live, 6000), 12);
    assert_eq!(raw_at(&live, 7999), 17);
    assert_eq!(live.whole_vus_at(at(7999)), 17);
    // The regular end stays, closed by a zero.
    assert_eq!(live.raw_steps().last(), Some(&Step::vus(at(8000), 0)));
    let most = live.graceful_steps().iter().map(|s| s.planned_vus).max();
    assert_eq!(most, Some(18));
}

#[test]
fn targets_are_rounded_to_whole_vus_and_changes_compose() {
    let mut live = ramp(RAMP, Tuple::full());
    // 2 × 1.25 = 2.5 → 3, 6 × 1.25 = 7.5 → 8 (halves away from zero).
    live.scale(at(1000), 1.25);
    assert_eq!(raw_at(&live, 4000), 3);
    assert_eq!(raw_at(&live, 7999), 7);
    // Halved at 5 s: from the 4 VUs then (3 → 8 over 4 s, a quarter in)
    // toward 8 × 0.5 = 4 by the end.
    assert_eq!(live.whole_vus_at(at(5000)), 4);
    live.scale(at(5000), 0.5);
    assert_eq!(raw_at(&live, 4999), 4);
    assert_eq!(raw_at(&live, 7999), 4);
    // Lowered under the VUs running: 4 → 1 over the 2 s left, the VU
    // above the target stopping at the stage's end (k6's ramp-down).
    live.scale(at(6000), 0.25);
    assert_eq!(raw_at(&live, 6000), 4);
    assert_eq!(raw_at(&live, 6667), 3);
    assert_eq!(raw_at(&live, 7334), 2);
    assert_eq!(raw_at(&live, 7999), 2);
}

#[test]
fn a_ramp_whose_stages_are_over_is_left_alone() {
    let mut live = ramp(RAMP, Tuple::full());
    let before = live.raw_steps().to_vec();
    live.scale(at(8000), 2.0);
    assert_eq!(live.raw_steps(), &before[..]);
}

#[test]
fn instances_take_their_share_of_the_changed_ramp_as_at_start() {
    let seq = Sequence::parse("0,1/3,2/3,1").unwrap();
    let mut whole = ramp(RAMP, Tuple::full());
    whole.scale(at(1500), 2.5);
    let mut parts: Vec<LiveRamp> = seq
        .segments()
        .iter()
        .map(|s: &Segment| ramp(RAMP, Tuple::new(Some(s), Some(&seq)).unwrap()))
        .collect();
    whole.extend_to(at(11_000));
    for part in &mut parts {
        part.scale(at(1500), 2.5);
        part.extend_to(at(11_000));
    }
    for ms in (0..11_050).step_by(50) {
        let sum: u64 = parts.iter().map(|p| raw_at(p, ms)).sum();
        assert_eq!(sum, raw_at(&whole, ms), "at {ms} ms");
    }
    assert_eq!(raw_at(&whole, 7999), 14);
}

#[test]
fn an_extend_holds_the_last_target_to_the_new_end() {
    let mut live = ramp(RAMP, Tuple::full());
    assert_eq!(live.end(), at(8000));
    live.extend_to(at(12_000));
    assert_eq!(live.end(), at(12_000));
    assert_eq!(raw_at(&live, 7999), 5);
    assert_eq!(raw_at(&live, 8000), 6);
    assert_eq!(raw_at(&live, 11_999), 6);
    assert_eq!(live.whole_vus_at(at(11_999)), 6);
    assert_eq!(live.raw_steps().last(), Some(&Step::vus(at(12_000), 0)));
    assert_eq!(
        live.graceful_steps().last(),
        Some(&Step::vus(at(12_000), 0))
    );
    // Not later than the end: nothing moves.
    let before = live.raw_steps().to_vec();
    live.extend_to(at(9000));
    assert_eq!(live.raw_steps(), &before[..]);
    assert_eq!(live.end(), at(12_000));
}

#[test]
fn an_extended_ramp_closes_as_a_plan_with_a_held_stage() {
    // gracefulRampDown and gracefulStop count from the new end as they
    // did from the old one: the same steps as a plan whose last target
    // is held for the added time.
    let stages = |held: &str| {
        format!(
            r#"{{"scenarios": {{"rv": {{"executor": "ramping-vus", "startVUs": 0,
            "gracefulRampDown": "2s", "gracefulStop": "3s",
            "stages": [{{"duration": "4s", "target": 6}}, {{"duration": "4s", "target": 2}}{held}]}}}}}}"#
        )
    };
    let mut live = ramp(&stages(""), Tuple::full());
    live.extend_to(at(11_000));
    let planned = ramp(
        &stages(r#", {"duration": "3s", "target": 2}"#),
        Tuple::full(),
    );
    assert_eq!(live.raw_steps(), planned.raw_steps());
    assert_eq!(live.graceful_steps(), planned.graceful_steps());
    assert_eq!(live.raw_steps().last(), Some(&Step::vus(at(11_000), 0)));
    assert_eq!(
        live.graceful_steps().last(),
        Some(&Step::vus(at(14_000), 0))
    );
}

#[test]
fn a_factor_then_an_extend_holds_the_scaled_target() {
    let mut live = ramp(RAMP, Tuple::full());
    live.scale(at(2000), 3.0);
    live.extend_to(at(12_000));
    assert_eq!(raw_at(&live, 7999), 17);
    assert_eq!(raw_at(&live, 11_999), 18);
    assert_eq!(live.raw_steps().last(), Some(&Step::vus(at(12_000), 0)));
}

#[test]
fn a_factor_after_an_extend_scales_the_held_time_as_a_stage() {
    let mut live = ramp(RAMP, Tuple::full());
    live.extend_to(at(12_000));
    // 6 held from 8 s; ×2 at 10 s: 6 → 12 over the 2 s left.
    live.scale(at(10_000), 2.0);
    assert_eq!(raw_at(&live, 9999), 6);
    assert_eq!(raw_at(&live, 10_333), 6);
    assert_eq!(raw_at(&live, 10_334), 7);
    assert_eq!(raw_at(&live, 11_999), 11);
    assert_eq!(live.end(), at(12_000));
    assert_eq!(live.raw_steps().last(), Some(&Step::vus(at(12_000), 0)));
}
