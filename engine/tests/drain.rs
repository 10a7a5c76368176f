//! A graceful stop (drain): no iteration starts after it in any scenario;
//! running ones get their scenario's gracefulStop, then are interrupted;
//! the report says `stopped`.

mod common;

use std::time::Duration;

use common::{engine, ms, Fake};
use k6r_engine::Report;
use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Runs `options`, draining `after` the start; the report and the run's
/// length.
async fn drained(options: serde_json::Value, fake: &Fake, after: Duration) -> (Report, Duration) {
    let (engine, _) = engine(options, fake);
    let drain = CancellationToken::new();
    let engine = engine.with_drain(drain.clone());
    let started = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        drain.cancel();
    });
    let report = engine.run(CancellationToken::new()).await.expect("run");
    (report, started.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_running_iteration_finishes_within_graceful_stop() {
    let fake = Fake::new(ms(2000));
    let options = json!({"scenarios": {"c": {"executor": "constant-vus", "vus": 2,
        "duration": "1m", "gracefulStop": "5s"}}});
    let (report, took) = drained(options, &fake, ms(500)).await;
    assert!(report.stopped);
    assert_eq!(report.aborted, None);
    assert_eq!(report.counters.complete, 2);
    assert_eq!(report.counters.interrupted, 0);
    // Nothing started after the drain; the engine ended with the iterations.
    assert_eq!(fake.starts().len(), 2);
    assert_eq!(took, ms(2000));
}

#[tokio::test(start_paused = true)]
async fn an_iteration_longer_than_graceful_stop_is_interrupted() {
    let fake = Fake::new(ms(2000));
    let options = json!({"scenarios": {"c": {"executor": "constant-vus", "vus": 1,
        "duration": "1m", "gracefulStop": "1s"}}});
    let (report, took) = drained(options, &fake, ms(500)).await;
    assert!(report.stopped);
    assert_eq!(report.counters.complete, 0);
    assert_eq!(report.counters.interrupted, 1);
    assert_eq!(fake.starts().len(), 1);
    assert_eq!(took, ms(1500));
}

#[tokio::test(start_paused = true)]
async fn iteration_executors_stop_starting_and_finish() {
    let fake = Fake::new(ms(2000));
    let options = json!({"scenarios": {
        "shared": {"executor": "shared-iterations", "vus": 1, "iterations": 10,
            "gracefulStop": "5s"},
        "per_vu": {"executor": "per-vu-iterations", "vus": 1, "iterations": 10,
            "gracefulStop": "5s"}}});
    let (report, took) = drained(options, &fake, ms(2500)).await;
    assert!(report.stopped);
    // Each VU ran its first iteration, started its second before the drain
    // and finished it; no third.
    assert_eq!(fake.starts_of("shared").len(), 2);
    assert_eq!(fake.starts_of("per_vu").len(), 2);
    assert_eq!(report.counters.complete, 4);
    assert_eq!(report.counters.interrupted, 0);
    assert_eq!(took, ms(4000));
}

#[tokio::test(start_paused = true)]
async fn ramping_vus_gets_graceful_stop_not_graceful_ramp_down() {
    let fake = Fake::new(ms(3000));
    let options = json!({"scenarios": {"r": {"executor": "ramping-vus", "startVUs": 2,
        "stages": [{"duration": "1m", "target": 2}],
        "gracefulRampDown": "0s", "gracefulStop": "5s"}}});
    let (report, took) = drained(options, &fake, ms(1000)).await;
    assert!(report.stopped);
    assert_eq!(fake.starts().len(), 2);
    assert_eq!(report.counters.complete, 2);
    assert_eq!(report.counters.interrupted, 0);
    assert_eq!(took, ms(3000));

    let fake = Fake::new(ms(3000));
    let options = json!({"scenarios": {"r": {"executor": "ramping-vus", "startVUs": 1,
        "stages": [{"duration": "1m", "target": 1}],
        "gracefulRampDown": "30s", "gracefulStop": "1s"}}});
    let (report, took) = drained(options, &fake, ms(1000)).await;
    assert_eq!(report.counters.complete, 0);
    assert_eq!(report.counters.interrupted, 1);
    assert_eq!(took, ms(2000));
}

#[tokio::test(start_paused = true)]
async fn arrival_rate_starts_no_tick_after_the_drain() {
    let fake = Fake::new(ms(2500));
    let options = json!({"scenarios": {"a": {"executor": "constant-arrival-rate",
        "rate": 1, "timeUnit": "1s", "duration": "1m", "preAllocatedVUs": 5,
        "gracefulStop": "5s"}}});
    let (report, took) = drained(options, &fake, ms(1500)).await;
    assert!(report.stopped);
    // Ticks at 0 s and 1 s started; none from 2 s on, none dropped.
    let starts: Vec<Duration> = fake.starts().iter().map(|s| s.at).collect();
    assert_eq!(starts, [ms(0), ms(1000)]);
    assert_eq!(report.counters.complete, 2);
    assert_eq!(report.counters.scenarios[0].dropped, 0);
    assert_eq!(took, ms(3500));
}

#[tokio::test(start_paused = true)]
async fn a_scenario_not_started_yet_never_starts() {
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {
        "now": {"executor": "constant-vus", "vus": 1, "duration": "10s"},
        "later": {"executor": "per-vu-iterations", "vus": 1, "iterations": 1,
            "startTime": "5s"}}});
    let (report, took) = drained(options, &fake, ms(1050)).await;
    assert!(report.stopped);
    assert!(fake.starts_of("later").is_empty());
    assert_eq!(fake.starts_of("now").len(), 11);
    assert_eq!(took, ms(1100));
}

#[tokio::test(start_paused = true)]
async fn externally_controlled_has_no_graceful_stop_and_is_interrupted() {
    let fake = Fake::new(ms(2000));
    let options = json!({"scenarios": {"ext": {"executor": "externally-controlled",
        "vus": 1, "maxVUs": 2, "duration": "1m"}}});
    let (report, took) = drained(options, &fake, ms(500)).await;
    assert!(report.stopped);
    assert_eq!(report.counters.complete, 0);
    assert_eq!(report.counters.interrupted, 1);
    assert_eq!(took, ms(500));
}
