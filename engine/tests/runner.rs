//! The runner: startTime, the shared pool across scenarios, ids, stop and
//! abort.

mod common;

use std::time::Duration;

use common::{engine, ms, run, Fake};
use k6r_engine::AbortReason;
use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[tokio::test(start_paused = true)]
async fn scenarios_start_at_their_start_time() {
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {
        "a": {"executor": "per-vu-iterations", "vus": 1, "iterations": 1},
        "b": {"executor": "per-vu-iterations", "vus": 1, "iterations": 1, "startTime": "2s"}}});
    let (report, _, took) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 2);
    assert_eq!(fake.starts_of("a")[0].at, ms(0));
    assert_eq!(fake.starts_of("b")[0].at, ms(2000));
    assert_eq!(took, ms(2100));
}

#[tokio::test(start_paused = true)]
async fn later_scenarios_reuse_the_pool() {
    let fake = Fake::new(ms(100)).with("b", ms(50));
    let options = json!({"scenarios": {
        "a": {"executor": "constant-vus", "vus": 2, "duration": "1s", "gracefulStop": "0s"},
        "b": {"executor": "per-vu-iterations", "vus": 2, "iterations": 2, "startTime": "1s"}}});
    let (report, _, _) = run(options, &fake).await;
    // Only the two planned VUs exist; b runs on the VUs a returned.
    let inits = fake.shared.inits.lock().unwrap().clone();
    let ids: Vec<(u64, u64)> = inits.iter().map(|(_, id)| (id.local, id.global)).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&(1, 1)) && ids.contains(&(2, 2)));
    assert_eq!(report.counters.initialized_vus, 2);
    let b = fake.starts_of("b");
    assert_eq!(b.len(), 4);
    // __ITER carries on from scenario a; iterationInScenario restarts.
    for s in &b {
        assert!(s.at >= ms(1000));
        assert!(s.iteration.vu_iteration_in_instance >= 10);
        assert!(s.iteration.vu_iteration_in_scenario < 2);
    }
    assert_eq!(report.counters.scenarios[1].complete, 4);
}

#[tokio::test(start_paused = true)]
async fn vu_ids_follow_the_segment() {
    // §3.6 example 1: 10 VUs in thirds, middle third → global 2, 5, 8.
    let fake = Fake::new(ms(10));
    let options = json!({"scenarios": {"p": {"executor": "per-vu-iterations", "vus": 10,
        "iterations": 1}}, "executionSegment": "1/3:2/3",
        "executionSegmentSequence": "0,1/3,2/3,1"});
    run(options, &fake).await;
    let mut ids: Vec<(u64, u64)> = fake
        .shared
        .inits
        .lock()
        .unwrap()
        .iter()
        .map(|(_, id)| (id.local, id.global))
        .collect();
    ids.sort();
    assert_eq!(ids, [(1, 2), (2, 5), (3, 8)]);
}

#[tokio::test(start_paused = true)]
async fn stop_interrupts_and_starts_nothing_new() {
    let fake = Fake::new(ms(300));
    let options = json!({"scenarios": {
        "a": {"executor": "constant-vus", "vus": 2, "duration": "10s"},
        "b": {"executor": "constant-vus", "vus": 1, "duration": "1s", "startTime": "5s"}}});
    let (engine, _) = engine(options, &fake);
    let stop = CancellationToken::new();
    let started = Instant::now();
    let run = tokio::spawn(engine.run(stop.clone()));
    tokio::time::sleep(ms(1000)).await;
    stop.cancel();
    let report = run.await.unwrap().unwrap();
    assert_eq!(started.elapsed(), ms(1000));
    // Iterations at 0, .3, .6 complete; the ones started at .9 are cut.
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (6, 2)
    );
    assert!(report.stopped);
    assert!(fake.starts_of("b").is_empty());
}

#[tokio::test(start_paused = true)]
async fn script_abort_stops_the_test() {
    let mut fake = Fake::new(ms(300));
    fake.abort_in = Some("b".to_string());
    let options = json!({"scenarios": {
        "a": {"executor": "constant-vus", "vus": 1, "duration": "10s"},
        "b": {"executor": "per-vu-iterations", "vus": 1, "iterations": 1, "startTime": "1s"}}});
    let (report, _, took) = run(options, &fake).await;
    assert_eq!(
        report.aborted,
        Some(AbortReason::Script("stop here".to_string()))
    );
    assert!(!report.stopped);
    assert_eq!(took, ms(1000));
    // a's iteration running at 0.9s is interrupted by the abort.
    assert_eq!(report.counters.scenarios[0].interrupted, 1);
}

#[tokio::test(start_paused = true)]
async fn planned_vus_initialise_concurrently_before_the_start() {
    let mut fake = Fake::new(ms(100));
    fake.init_delay = ms(500);
    let options = json!({"vus": 5, "iterations": 5});
    let (report, recorder, took) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 5);
    // All five inits run side by side; the test clock starts after them.
    assert_eq!(took, ms(600));
    assert_eq!(fake.starts()[0].at, ms(500));
    assert_eq!(recorder.max_initialized(), 5);
    let _: Duration = report.duration;
    assert_eq!(report.duration, ms(100));
}
