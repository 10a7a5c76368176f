//! externally-controlled: the control handle scales, pauses, resumes,
//! raises vus-max and stops; concurrent calls are applied one at a time.

mod common;

use std::time::Duration;

use common::{engine, ms, Fake};
use k6r_engine::{ControlError, Event, Report};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio::time::{sleep, sleep_until, Instant};
use tokio_util::sync::CancellationToken;

fn options(vus: u64, max_vus: u64, duration: &str) -> serde_json::Value {
    json!({"scenarios": {"ext": {"executor": "externally-controlled", "vus": vus,
        "maxVUs": max_vus, "duration": duration}}})
}

fn interrupted_at(recorder: &common::Recorder) -> Vec<(Duration, u64)> {
    recorder
        .events()
        .into_iter()
        .filter_map(|(at, e)| match e {
            Event::IterationInterrupted { vu, .. } => Some((at, vu.local)),
            _ => None,
        })
        .collect()
}

type Run = JoinHandle<Result<Report, k6r_engine::Error>>;

fn start(
    value: serde_json::Value,
    fake: &Fake,
) -> (k6r_engine::ControlHandle, common::Recorder, Run, Instant) {
    let (engine, recorder) = engine(value, fake);
    let control = engine.first_control().expect("externally-controlled");
    let started = Instant::now();
    let run = tokio::spawn(engine.run(CancellationToken::new()));
    (control, recorder, run, started)
}

#[tokio::test(start_paused = true)]
async fn ends_at_its_duration_with_everything_interrupted() {
    let fake = Fake::new(ms(3000));
    let (_, recorder, run, started) = start(options(2, 3, "1s"), &fake);
    let report = run.await.unwrap().unwrap();
    assert_eq!(started.elapsed(), ms(1000));
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (0, 2)
    );
    assert_eq!(interrupted_at(&recorder).len(), 2);
    assert_eq!(report.counters.initialized_vus, 3);
}

#[tokio::test(start_paused = true)]
async fn scaling_up_starts_vus_and_down_hard_stops_the_top_ones() {
    let fake = Fake::new(ms(1000));
    let (control, recorder, run, started) = start(options(2, 5, "10s"), &fake);
    sleep_until(started + ms(500)).await;
    let status = control.set_vus(4).await.unwrap();
    assert_eq!((status.vus, status.max_vus), (4, 5));
    sleep_until(started + ms(2500)).await;
    let status = control.set_vus(1).await.unwrap();
    assert_eq!(status.vus, 1);
    sleep_until(started + ms(3200)).await;
    control.stop().await.unwrap();
    run.await.unwrap().unwrap();
    let first: Vec<(u64, Duration)> = [3, 4]
        .iter()
        .map(|vu| {
            let s = fake
                .starts()
                .into_iter()
                .find(|s| s.vu.local == *vu)
                .unwrap();
            (*vu, s.at)
        })
        .collect();
    assert_eq!(first, [(3, ms(500)), (4, ms(500))]);
    let mut cut = interrupted_at(&recorder);
    cut.sort();
    // VUs 2-4 are cut at 2.5s; VU 1 by the stop at 3.2s.
    assert_eq!(
        cut,
        [(ms(2500), 2), (ms(2500), 3), (ms(2500), 4), (ms(3200), 1)]
    );
    assert_eq!(fake.starts().iter().filter(|s| s.vu.local == 5).count(), 0);
}

#[tokio::test(start_paused = true)]
async fn pause_lets_iterations_finish_and_resume_restarts() {
    let fake = Fake::new(ms(1000));
    let (control, recorder, run, started) = start(options(2, 2, "5s"), &fake);
    sleep_until(started + ms(500)).await;
    let status = control.pause().await.unwrap();
    assert!(status.paused);
    assert_eq!(control.pause().await, Err(ControlError::AlreadyPaused));
    sleep_until(started + ms(3000)).await;
    // The running iterations finished at 1s; none started since.
    assert!(fake.starts().iter().all(|s| s.at < ms(1000)));
    assert_eq!(
        recorder
            .events()
            .iter()
            .filter(|(_, e)| matches!(e, Event::IterationCompleted { .. }))
            .count(),
        2
    );
    // Changes while paused are stored, nothing runs.
    assert_eq!(control.set_vus(1).await.unwrap().vus, 1);
    sleep_until(started + ms(3500)).await;
    assert!(control.resume().await.unwrap().vus == 1);
    assert_eq!(control.resume().await, Err(ControlError::NotPaused));
    let report = run.await.unwrap().unwrap();
    // Paused time (0.5-3.5s) does not count toward the 5s (k6): the end
    // moves to 8s. 2 complete before the pause; VU 1 then runs 3.5-7.5s
    // (4 complete) and 7.5-8s (cut).
    assert_eq!(report.counters.complete, 6);
    assert_eq!(interrupted_at(&recorder), [(ms(8000), 1)]);
    assert_eq!(started.elapsed(), ms(8000));
}

#[tokio::test(start_paused = true)]
async fn raising_vus_max_initialises_in_the_background() {
    let mut fake = Fake::new(ms(200));
    fake.init_delay = ms(1000);
    let (control, _, run, started) = start(options(2, 2, "4s"), &fake);
    // The planned VUs take 1s to initialise before the start.
    sleep_until(started + ms(1500)).await;
    let status = control.update(Some(4), Some(4)).await.unwrap();
    assert_eq!(
        (status.vus, status.max_vus, status.initialized_vus),
        (4, 4, 2)
    );
    sleep_until(started + ms(2600)).await;
    assert_eq!(control.status().await.unwrap().initialized_vus, 4);
    let report = run.await.unwrap().unwrap();
    // VU 1 never stalled while the new ones initialised.
    let vu1: Vec<Duration> = fake
        .starts()
        .iter()
        .filter(|s| s.vu.local == 1)
        .map(|s| s.at)
        .collect();
    assert!(vu1.contains(&ms(1600)) && vu1.contains(&ms(2400)));
    let vu3 = fake.starts().into_iter().find(|s| s.vu.local == 3).unwrap();
    assert_eq!(vu3.at, ms(2500));
    assert_eq!(report.counters.initialized_vus, 4);
}

#[tokio::test(start_paused = true)]
async fn invalid_updates_are_refused_with_k6_messages() {
    let fake = Fake::new(ms(100));
    let (control, _, run, _) = start(options(1, 5, "1s"), &fake);
    let err = control.set_vus(6).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration supplied: the number of active VUs (6) must be less than or equal to the number of maxVUs (5)"
    );
    let err = control.update(Some(1), Some(4)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the new number of max VUs cannot be lower than the starting number of max VUs (5)"
    );
    assert_eq!(control.update(Some(6), Some(8)).await.unwrap().vus, 6);
    assert_eq!(
        control.set_max_vus(4).await.unwrap_err().to_string(),
        "invalid configuration supplied: the number of active VUs (6) must be less than or equal to the number of maxVUs (4)"
    );
    assert!(control.set_vus(5).await.is_ok());
    assert_eq!(control.set_max_vus(5).await.unwrap().max_vus, 5);
    run.await.unwrap().unwrap();
    assert!(matches!(
        control.status().await,
        Err(ControlError::Ended { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn stop_ends_a_scenario_without_duration() {
    let fake = Fake::new(ms(400));
    let (control, _, run, started) = start(options(2, 2, "0s"), &fake);
    sleep(ms(1000)).await;
    let status = control.stop().await.unwrap();
    assert!(status.stopped);
    let report = run.await.unwrap().unwrap();
    assert_eq!(started.elapsed(), ms(1000));
    assert_eq!(
        (report.counters.complete, report.counters.interrupted),
        (4, 2)
    );
    assert_eq!(report.counters.active_vus, 0);
}

#[tokio::test(start_paused = true)]
async fn a_hundred_concurrent_calls_are_all_applied() {
    let fake = Fake::new(ms(100));
    let (control, _, run, _) = start(options(1, 10, "0s"), &fake);
    let calls: Vec<_> = (0..100u64)
        .map(|i| {
            let control = control.clone();
            tokio::spawn(async move { (i, control.set_vus(i % 10 + 1).await) })
        })
        .collect();
    for call in calls {
        let (i, result) = call.await.unwrap();
        assert_eq!(result.unwrap().vus, i % 10 + 1);
    }
    let raised: Vec<_> = (0..100u64)
        .map(|i| {
            let control = control.clone();
            tokio::spawn(async move { control.set_max_vus(10 + i).await })
        })
        .collect();
    for call in raised {
        assert!(call.await.unwrap().is_ok());
    }
    sleep(ms(50)).await;
    let status = control.status().await.unwrap();
    assert!(status.max_vus >= 10 && status.initialized_vus == status.max_vus);
    control.stop().await.unwrap();
    run.await.unwrap().unwrap();
}

/// k6 does not count paused time toward `duration`: a 1 s scenario
/// paused for 3 s at 200 ms ends at 4 s, and the handle reports the pause.
#[tokio::test(start_paused = true)]
async fn paused_time_does_not_count_toward_the_duration() {
    let fake = Fake::new(ms(100));
    let (control, _recorder, run, started) = start(options(1, 1, "1s"), &fake);
    sleep_until(started + ms(200)).await;
    control.pause().await.unwrap();
    sleep_until(started + ms(1500)).await;
    assert_eq!(control.paused_for(), ms(1300), "the pause going on counts");
    assert!(
        !control.status().await.unwrap().stopped,
        "no end while paused"
    );
    sleep_until(started + ms(3200)).await;
    control.resume().await.unwrap();
    sleep_until(started + ms(3500)).await;
    assert_eq!(control.paused_for(), ms(3000), "a finished pause is frozen");
    run.await.unwrap().unwrap();
    assert_eq!(started.elapsed(), ms(4000));
}
