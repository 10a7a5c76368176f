//! shared-iterations, per-vu-iterations and constant-vus against the
//! observed k6 facts of §2.3.

mod common;

use common::{ms, run, Fake};
use serde_json::json;

fn constant(graceful_stop: &str) -> serde_json::Value {
    json!({"scenarios": {"s": {"executor": "constant-vus", "vus": 2, "duration": "1s",
        "gracefulStop": graceful_stop}}})
}

#[tokio::test(start_paused = true)]
async fn constant_vus_interrupts_at_graceful_stop() {
    let fake = Fake::new(ms(3000));
    let (report, _, took) = run(constant("1s"), &fake).await;
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (0, 2)
    );
    assert_eq!(took, ms(2000));
}

#[tokio::test(start_paused = true)]
async fn constant_vus_lets_iterations_finish_within_graceful_stop() {
    let fake = Fake::new(ms(3000));
    let (report, _, took) = run(constant("5s"), &fake).await;
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (2, 0)
    );
    assert_eq!(took, ms(3000));
}

#[tokio::test(start_paused = true)]
async fn constant_vus_without_graceful_stop_ends_at_duration() {
    let fake = Fake::new(ms(3000));
    let (report, _, took) = run(constant("0s"), &fake).await;
    assert_eq!(report.counters.interrupted, 2);
    assert_eq!(took, ms(1000));
}

#[tokio::test(start_paused = true)]
async fn constant_vus_loops_back_to_back() {
    let fake = Fake::new(ms(300));
    let options = json!({"vus": 3, "duration": "1s"});
    let (report, _, took) = run(options, &fake).await;
    // Each VU starts at 0, 300, 600, 900 ms; the last ones end at 1.2s.
    assert_eq!(report.counters.complete, 12);
    assert_eq!(took, ms(1200));
    let vus: Vec<u64> = fake.starts().iter().map(|s| s.vu.local).collect();
    assert_eq!(vus.iter().filter(|v| **v == 3).count(), 4);
}

#[tokio::test(start_paused = true)]
async fn shared_iterations_drops_the_unattempted_rest_once() {
    let fake = Fake::new(ms(300));
    let options = json!({"scenarios": {"si": {"executor": "shared-iterations", "vus": 2,
        "iterations": 20, "maxDuration": "1s", "gracefulStop": "0s"}}});
    let (report, recorder, took) = run(options, &fake).await;
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (6, 2)
    );
    assert_eq!(recorder.dropped(), [("si".to_string(), 12, None)]);
    assert_eq!(took, ms(1000));
}

#[tokio::test(start_paused = true)]
async fn shared_iterations_stops_when_the_counter_is_exhausted() {
    let fake = Fake::new(ms(100));
    let options = json!({"vus": 3, "iterations": 7});
    let (report, recorder, took) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 7);
    assert!(recorder.dropped().is_empty());
    assert_eq!(took, ms(300));
    let mut numbers: Vec<u64> = fake
        .starts()
        .iter()
        .map(|s| s.iteration.iteration_in_test)
        .collect();
    numbers.sort();
    assert_eq!(numbers, (0..7).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn shared_iterations_numbers_follow_the_resegmented_tuple() {
    // §3.6 example 2: vus 10, iterations 30, first third → 12 iterations.
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {"s": {"executor": "shared-iterations", "vus": 10,
        "iterations": 30}}, "executionSegment": "0:1/3",
        "executionSegmentSequence": "0,1/3,2/3,1"});
    let (report, _, _) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 12);
    let mut numbers: Vec<u64> = fake
        .starts()
        .iter()
        .map(|s| s.iteration.iteration_in_test)
        .collect();
    numbers.sort();
    assert_eq!(numbers, [0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28]);
    let mut vus: Vec<u64> = fake.starts().iter().map(|s| s.vu.global).collect();
    vus.sort();
    vus.dedup();
    assert_eq!(vus, [1, 4, 7, 10]);
}

#[tokio::test(start_paused = true)]
async fn per_vu_iterations_drops_per_vu() {
    let fake = Fake::new(ms(300));
    let options = json!({"scenarios": {"p": {"executor": "per-vu-iterations", "vus": 2,
        "iterations": 10, "maxDuration": "1s"}}});
    let (report, recorder, took) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 8);
    let mut dropped = recorder.dropped();
    dropped.sort();
    assert_eq!(
        dropped,
        [("p".to_string(), 6, Some(1)), ("p".to_string(), 6, Some(2))]
    );
    // The fourth iterations (started at 0.9s) finish within gracefulStop.
    assert_eq!(took, ms(1200));
}

#[tokio::test(start_paused = true)]
async fn per_vu_iterations_counts_per_vu_and_scenario() {
    let fake = Fake::new(ms(10));
    let options = json!({"scenarios": {"p": {"executor": "per-vu-iterations", "vus": 2,
        "iterations": 3}}});
    let (report, recorder, _) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 6);
    assert!(recorder.dropped().is_empty());
    for start in fake.starts() {
        assert_eq!(
            start.iteration.vu_iteration_in_scenario,
            start.iteration.vu_iteration_in_instance
        );
        assert!(start.iteration.vu_iteration_in_scenario < 3);
    }
}

#[tokio::test(start_paused = true)]
async fn min_iteration_duration_pads_short_iterations() {
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {"p": {"executor": "per-vu-iterations", "vus": 1,
        "iterations": 3}}});
    let config = k6r_engine::Config::default().with_min_iteration_duration(ms(500));
    let (engine, recorder) = common::engine_with(options, &fake, config);
    let started = tokio::time::Instant::now();
    let report = engine
        .run(tokio_util::sync::CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(report.counters.complete, 3);
    assert_eq!(started.elapsed(), ms(1500));
    let starts: Vec<_> = fake.starts().iter().map(|s| s.at).collect();
    assert_eq!(starts, [ms(0), ms(500), ms(1000)]);
    let durations: Vec<_> = recorder
        .events()
        .into_iter()
        .filter_map(|(_, e)| match e {
            k6r_engine::Event::IterationCompleted { duration, .. } => Some(duration),
            _ => None,
        })
        .collect();
    assert_eq!(durations, [ms(500); 3]);
}
