//! ramping-vus: VU start times, graceful and hard ramp-down, and the
//! trailing-zero quirk of §2.3.

mod common;

use std::time::Duration;

use common::{ms, run, Fake};
use k6r_engine::Event;
use serde_json::json;

/// The first iteration start of each local VU id.
fn first_starts(fake: &Fake) -> Vec<(u64, Duration)> {
    let mut firsts: Vec<(u64, Duration)> = Vec::new();
    for s in fake.starts() {
        if !firsts.iter().any(|(vu, _)| *vu == s.vu.local) {
            firsts.push((s.vu.local, s.at));
        }
    }
    firsts.sort();
    firsts
}

#[tokio::test(start_paused = true)]
async fn vus_start_on_the_ramp() {
    // §3.6 example 7 unsegmented: VU u starts at u × 0.5s; VU 6 would
    // start at the end and never runs.
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {"r": {"executor": "ramping-vus", "startVUs": 0,
        "gracefulRampDown": "0s", "stages": [{"duration": "3s", "target": 6}]}}});
    let (report, _, took) = run(options, &fake).await;
    assert_eq!(
        first_starts(&fake),
        [
            (1, ms(500)),
            (2, ms(1000)),
            (3, ms(1500)),
            (4, ms(2000)),
            (5, ms(2500))
        ]
    );
    assert_eq!(report.counters.interrupted, 0);
    assert_eq!(took, ms(3000));
}

#[tokio::test(start_paused = true)]
async fn segmented_ramp_starts_its_own_vus_at_global_times() {
    // §3.6 example 7, first third: global VU 1 at 0.5s, VU 4 at 2s.
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {"r": {"executor": "ramping-vus", "startVUs": 0,
        "gracefulRampDown": "0s", "stages": [{"duration": "3s", "target": 6}]}},
        "executionSegment": "0:1/3", "executionSegmentSequence": "0,1/3,2/3,1"});
    run(options, &fake).await;
    let mut firsts: Vec<(u64, Duration)> = Vec::new();
    for s in fake.starts() {
        if !firsts.iter().any(|(vu, _)| *vu == s.vu.global) {
            firsts.push((s.vu.global, s.at));
        }
    }
    assert_eq!(firsts, [(1, ms(500)), (4, ms(2000))]);
}

#[tokio::test(start_paused = true)]
async fn ramp_down_pauses_then_hard_stops_top_vus() {
    // raw (0,2) (1.5s,1) (2s,0); graceful (0,2) (2s,1) (2.5s,0).
    let fake = Fake::new(ms(3000));
    let options = json!({"scenarios": {"r": {"executor": "ramping-vus", "startVUs": 2,
        "gracefulRampDown": "500ms",
        "stages": [{"duration": "1s", "target": 2}, {"duration": "1s", "target": 0}]}}});
    let (report, recorder, took) = run(options, &fake).await;
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (0, 2)
    );
    let interrupted: Vec<(Duration, u64)> = recorder
        .events()
        .into_iter()
        .filter_map(|(at, e)| match e {
            Event::IterationInterrupted { vu, .. } => Some((at, vu.local)),
            _ => None,
        })
        .collect();
    assert_eq!(interrupted, [(ms(2000), 2), (ms(2500), 1)]);
    assert_eq!(took, ms(2500));
}

#[tokio::test(start_paused = true)]
async fn ramp_down_lets_short_iterations_finish() {
    let fake = Fake::new(ms(400));
    let options = json!({"scenarios": {"r": {"executor": "ramping-vus", "startVUs": 2,
        "stages": [{"duration": "1s", "target": 2}, {"duration": "1s", "target": 0}]}}});
    let (report, _, took) = run(options, &fake).await;
    assert_eq!(report.counters.interrupted, 0);
    // VU 2 is asked to stop at 1.5s: its iterations start 0, .4, .8, 1.2.
    let vu2 = fake.starts().iter().filter(|s| s.vu.local == 2).count();
    assert_eq!(vu2, 4);
    // VU 1 runs until 2s: 0 … 1.6, last ends at 2.0s.
    let vu1 = fake.starts().iter().filter(|s| s.vu.local == 1).count();
    assert_eq!(vu1, 5);
    assert_eq!(took, ms(2000));
}

fn quirk(graceful_ramp_down: &str) -> serde_json::Value {
    json!({"scenarios": {"r": {"executor": "ramping-vus", "startVUs": 2,
        "gracefulRampDown": graceful_ramp_down, "gracefulStop": "10s",
        "stages": [{"duration": "1s", "target": 2}, {"duration": "0s", "target": 0},
                   {"duration": "4s", "target": 0}]}}})
}

#[tokio::test(start_paused = true)]
async fn trailing_zero_stages_end_at_the_ramp_down() {
    let fake = Fake::new(ms(3000));
    let (report, _, took) = run(quirk("1s"), &fake).await;
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (0, 2)
    );
    assert_eq!(took, ms(2000));
}

#[tokio::test(start_paused = true)]
async fn trailing_zero_stages_with_long_ramp_down_complete() {
    let fake = Fake::new(ms(3000));
    let (report, _, took) = run(quirk("5s"), &fake).await;
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (2, 0)
    );
    assert_eq!(took, ms(3000));
}
