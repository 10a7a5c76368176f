//! Live scenario changes (`Engine::steering`), in paused time: a new rate
//! takes over at once without a burst, a pause stops iteration starts, a
//! constant-vus scenario grows and shrinks, `extend` moves the end, a
//! `factor` multiplies a ramping-vus scenario's targets left and `extend`
//! holds its last target to a later end.

mod common;

use std::time::Duration;

use common::{engine, ms, Fake, Recorder};
use k6r_core::steer::{Change, ChangeError};
use k6r_engine::{Event, Steer};
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn steer(steers: &[Steer], name: &str) -> Steer {
    steers
        .iter()
        .find(|s| s.scenario() == name)
        .unwrap()
        .clone()
}

/// The run of `options` on `fake`, started, and the steer of its
/// scenario `rv`.
fn run_rv(options: serde_json::Value, fake: &Fake) -> (Steer, Run, Recorder) {
    let (engine, recorder) = engine(options, fake);
    let rv = steer(&engine.steering(), "rv");
    (
        rv,
        tokio::spawn(engine.run(CancellationToken::new())),
        recorder,
    )
}

/// A ramping-vus scenario `rv` without graceful windows: 2 VUs for 2 s,
/// then 2 → `target` over 2 s.
fn two_stages(target: u64) -> serde_json::Value {
    json!({"scenarios": {"rv": {"executor": "ramping-vus", "startVUs": 2,
        "gracefulRampDown": "0s", "gracefulStop": "0s",
        "stages": [{"duration": "2s", "target": 2}, {"duration": "2s", "target": target}]}}})
}

/// Start offsets (ms) of the fake's iterations in `[from, to)`.
fn starts_between(fake: &Fake, from: u64, to: u64) -> Vec<u64> {
    fake.starts()
        .iter()
        .map(|s| s.at.as_millis() as u64)
        .filter(|at| (from..to).contains(at))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_new_rate_takes_over_at_once_without_a_burst() {
    let fake = Fake::new(ms(50));
    let options = json!({"scenarios": {"car": {"executor": "constant-arrival-rate",
        "rate": 10, "duration": "3s", "preAllocatedVUs": 2, "maxVUs": 20}}});
    let (engine, _) = engine(options, &fake);
    let car = steer(&engine.steering(), "car");
    let run = tokio::spawn(engine.run(CancellationToken::new()));
    tokio::time::sleep(ms(1010)).await;
    let live = car
        .apply(Change {
            rate: Some(40),
            ..Change::default()
        })
        .await
        .unwrap();
    assert_eq!(live.rate.map(f64::round), Some(40.0));
    let report = run.await.unwrap().unwrap();
    // 10/s up to 1.01 s (0..=1000: 11), then 40/s: 0.9 of an iteration
    // was still to go at 1.01 s, done at the new rate by 1.0325 s.
    let after = starts_between(&fake, 1010, 3001);
    assert!((1032..=1033).contains(&after[0]), "{after:?}");
    assert!(
        after.windows(2).all(|w| (24..=26).contains(&(w[1] - w[0]))),
        "{after:?}"
    );
    assert_eq!(after.len(), 79);
    assert_eq!(report.counters.scenarios[0].dropped, 0);
    assert_eq!(starts_between(&fake, 0, 1010).len(), 11);
}

#[tokio::test(start_paused = true)]
async fn a_change_at_an_instant_applies_then() {
    let fake = Fake::new(ms(10));
    let options = json!({"scenarios": {"car": {"executor": "constant-arrival-rate",
        "rate": 10, "duration": "2s", "preAllocatedVUs": 2, "maxVUs": 2}}});
    let (engine, _) = engine(options, &fake);
    let car = steer(&engine.steering(), "car");
    let start = tokio::time::Instant::now();
    let run = tokio::spawn(engine.run(CancellationToken::new()));
    tokio::time::sleep(ms(100)).await;
    let pause = Change {
        paused: Some(true),
        ..Change::default()
    };
    let live = car.apply_at(pause, Some(start + ms(1000))).await.unwrap();
    assert!(live.paused);
    assert_eq!(start.elapsed(), ms(1000));
    run.await.unwrap().unwrap();
    assert!(starts_between(&fake, 1001, 3000).is_empty());
    assert_eq!(starts_between(&fake, 0, 1001).len(), 11);
}

#[tokio::test(start_paused = true)]
async fn pause_and_resume_any_vu_driven_scenario() {
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {
        "cv": {"executor": "constant-vus", "vus": 2, "duration": "2s"},
        "rv": {"executor": "ramping-vus", "startVUs": 1,
               "stages": [{"duration": "2s", "target": 1}]}}});
    let (engine, _) = engine(options, &fake);
    let steers = engine.steering();
    let run = tokio::spawn(engine.run(CancellationToken::new()));
    tokio::time::sleep(ms(450)).await;
    for name in ["cv", "rv"] {
        let live = steer(&steers, name)
            .apply(Change {
                paused: Some(true),
                ..Change::default()
            })
            .await
            .unwrap();
        assert!(live.paused);
    }
    tokio::time::sleep(ms(1000)).await;
    for name in ["cv", "rv"] {
        steer(&steers, name)
            .apply(Change {
                paused: Some(false),
                ..Change::default()
            })
            .await
            .unwrap();
    }
    run.await.unwrap().unwrap();
    // The iterations running at 450 ms end at 500; none starts until 1450.
    assert!(starts_between(&fake, 451, 1450).is_empty());
    assert_eq!(starts_between(&fake, 1450, 1451).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn constant_vus_grow_shrink_and_extend() {
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {"cv": {"executor": "constant-vus", "vus": 2,
        "duration": "1s", "gracefulStop": "0s"}}});
    let (engine, _) = engine(options, &fake);
    let cv = steer(&engine.steering(), "cv");
    let run = tokio::spawn(engine.run(CancellationToken::new()));
    tokio::time::sleep(ms(250)).await;
    let live = cv
        .apply(Change {
            vus: Some(5),
            extend: Some(k6r_core::Duration::SECOND),
            ..Change::default()
        })
        .await
        .unwrap();
    assert_eq!(live.vus, Some(5));
    assert_eq!(live.end, Some(Duration::from_secs(2)));
    tokio::time::sleep(ms(500)).await;
    cv.apply(Change {
        vus: Some(1),
        ..Change::default()
    })
    .await
    .unwrap();
    let report = run.await.unwrap().unwrap();
    // 2 VUs, then 5 (the new ones from 250 ms), then 1 from 750 ms (the
    // top VUs end their iteration first) until the extended end.
    let per_100 = |at: u64| starts_between(&fake, at, at + 100).len();
    assert_eq!(per_100(100), 2);
    assert_eq!(per_100(500), 5);
    assert_eq!(per_100(1000), 1);
    assert_eq!(per_100(1900), 1);
    assert!(starts_between(&fake, 2000, 5000).is_empty());
    assert_eq!(report.counters.active_vus, 0);
    let err = cv
        .apply(Change {
            vus: Some(3),
            ..Change::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err, ChangeError::Ended("cv".into()));
}

#[tokio::test(start_paused = true)]
async fn invalid_changes_are_refused_naming_the_field() {
    let fake = Fake::new(ms(100));
    let options = json!({"scenarios": {"cv": {"executor": "constant-vus", "vus": 2,
        "duration": "1s"}}});
    let (engine, _) = engine(options, &fake);
    let cv = steer(&engine.steering(), "cv");
    let run = tokio::spawn(engine.run(CancellationToken::new()));
    tokio::time::sleep(ms(100)).await;
    let err = cv
        .apply(Change {
            rate: Some(3),
            ..Change::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rate can't be changed for the constant-vus executor"
    );
    let err = cv
        .apply(Change {
            duration: Some(k6r_core::Duration::from_millis(500)),
            ..Change::default()
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("duration 500ms is shorter"),
        "{err}"
    );
    run.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_iterations_ends_a_changed_arrival_rate_scenario() {
    let fake = Fake::new(ms(500));
    let options = json!({"scenarios": {"car": {"executor": "constant-arrival-rate",
        "rate": 10, "duration": "10s", "preAllocatedVUs": 10, "maxVUs": 10}}});
    let (engine, _) = engine(options, &fake);
    let car = steer(&engine.steering(), "car");
    let stop = CancellationToken::new();
    let run = tokio::spawn(engine.run(stop.clone()));
    tokio::time::sleep(ms(250)).await;
    car.apply(Change {
        rate: Some(20),
        ..Change::default()
    })
    .await
    .unwrap();
    tokio::time::sleep(ms(250)).await;
    stop.cancel();
    let report = tokio::time::timeout(ms(100), run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(report.stopped);
    assert!(report.counters.interrupted > 0);
    assert_eq!(report.changes.len(), 1);
    assert_eq!(report.changes[0].rate, Some((10.0, 20.0)));
}

#[tokio::test(start_paused = true)]
async fn a_higher_rate_finds_its_vus_initialised_ahead() {
    // 150 ms iterations: 10/s needs 2 VUs, 40/s needs 6. The change
    // initialises 2 × (40/10 − 1) = 6 more at once (10 ms each, side by
    // side), before the first tick at the new rate: none is dropped.
    let mut fake = Fake::new(ms(150));
    fake.init_delay = ms(10);
    let options = json!({"scenarios": {"car": {"executor": "constant-arrival-rate",
        "rate": 10, "duration": "2s", "preAllocatedVUs": 2, "maxVUs": 20}}});
    let (engine, _) = engine(options, &fake);
    let car = steer(&engine.steering(), "car");
    let run = tokio::spawn(engine.run(CancellationToken::new()));
    tokio::time::sleep(ms(1000)).await;
    car.apply(Change {
        rate: Some(40),
        ..Change::default()
    })
    .await
    .unwrap();
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.counters.scenarios[0].dropped, 0);
    assert_eq!(report.counters.initialized_vus, 8);
}

#[tokio::test(start_paused = true)]
async fn a_factor_multiplies_the_ramping_vus_targets_left() {
    // 2 VUs for 2 s, then 2 → 6 over 2 s; ×3 at 1 s: 2 → 6 over the
    // 1 s left of the first stage, then 6 → 18 over the second.
    let fake = Fake::new(ms(100));
    let options = two_stages(6);
    let (rv, run, recorder) = run_rv(options, &fake);
    tokio::time::sleep(ms(1000)).await;
    rv.apply(Change {
        factor: Some(3.0),
        ..Change::default()
    })
    .await
    .unwrap();
    let report = timeout(run).await;
    // Every running VU starts one 100 ms iteration per 100 ms: the VUs
    // running in each window.
    let per_100 = |at: u64| starts_between(&fake, at, at + 100).len();
    assert_eq!(per_100(900), 2);
    assert_eq!(per_100(1500), 4);
    assert_eq!(per_100(2000), 6);
    // 6 + 12 × 1.5 / 2 at 3.5 s (5 without the change).
    assert_eq!(per_100(3500), 15);
    assert_eq!(per_100(3900), 17);
    assert!(starts_between(&fake, 4000, 9000).is_empty());
    // The 12 VUs beyond the planned 6 were initialised at the change,
    // long before the ramp reached them.
    let inits = fake.shared.inits.lock().unwrap().clone();
    assert_eq!(inits.len(), 18);
    assert!(inits.iter().all(|(at, _)| *at <= ms(1000)), "{inits:?}");
    assert_eq!(report.counters.active_vus, 0);
    assert_eq!(report.changes.len(), 1);
    assert_eq!(report.changes[0].at, ms(1000));
    // The outputs' sample of it: an event at its instant.
    let changed: Vec<(Duration, Event)> = recorder
        .events()
        .into_iter()
        .filter(|(_, e)| matches!(e, Event::ScenarioChanged { .. }))
        .collect();
    let event = Event::ScenarioChanged {
        scenario: "rv".into(),
        line: "scenario rv: factor ×3 at 1s".into(),
        at: ms(1000),
    };
    assert_eq!(changed, [(ms(1000), event)]);
}

#[tokio::test(start_paused = true)]
async fn an_extend_holds_the_ramping_vus_last_target_to_the_new_end() {
    // 2 VUs for 2 s, then 2 → 4 over 2 s (3 from 3 s, 4 at 4 s, the old
    // end); extended at 1 s to 5 s, then to 6 s.
    let fake = Fake::new(ms(100));
    let options = two_stages(4);
    let (rv, run, _) = run_rv(options, &fake);
    tokio::time::sleep(ms(1000)).await;
    assert_eq!(rv.live().end, Some(Duration::from_secs(4)));
    let extend = Change {
        extend: Some(k6r_core::Duration::SECOND),
        ..Change::default()
    };
    let end = rv.apply(extend).await.map(|live| live.end);
    assert_eq!(end, Ok(Some(Duration::from_secs(5))));
    let duration = |ms: i64| Change {
        duration: Some(k6r_core::Duration::from_millis(ms)),
        ..Change::default()
    };
    let end = rv.apply(duration(6000)).await.map(|live| live.end);
    assert_eq!(end, Ok(Some(Duration::from_secs(6))));
    let err = rv.apply(duration(5500)).await.unwrap_err();
    assert!(
        err.to_string().starts_with("duration 5.5s is shorter"),
        "{err}"
    );
    let report = timeout(run).await;
    let per_100 = |at: u64| starts_between(&fake, at, at + 100).len();
    assert_eq!(per_100(2900), 2);
    assert_eq!(per_100(3900), 3);
    // Past the old end, the last target holds until the new one.
    assert_eq!(per_100(4000), 4);
    assert_eq!(per_100(5900), 4);
    assert!(starts_between(&fake, 6000, 9000).is_empty());
    assert_eq!(report.counters.active_vus, 0);
    assert_eq!(report.changes.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_extended_ramping_vus_scenario_stops_gracefully_at_its_new_end() {
    // 1.5 s iterations, 1 VU for 1 s, extended at 0.5 s to 2 s: the one
    // started at 1.5 s (after the old end) gets the gracefulStop from the
    // new end, 0.5 s, and is interrupted at 2.5 s. A new end once the
    // regular end has passed is refused.
    let fake = Fake::new(ms(1500));
    let options = json!({"scenarios": {"rv": {"executor": "ramping-vus", "startVUs": 1,
        "gracefulRampDown": "0s", "gracefulStop": "500ms",
        "stages": [{"duration": "1s", "target": 1}]}}});
    let start = tokio::time::Instant::now();
    let (rv, run, _) = run_rv(options, &fake);
    tokio::time::sleep(ms(500)).await;
    let extend = Change {
        extend: Some(k6r_core::Duration::SECOND),
        ..Change::default()
    };
    rv.apply(extend.clone()).await.unwrap();
    tokio::time::sleep_until(start + ms(2200)).await;
    assert_eq!(
        rv.apply(extend).await.unwrap_err(),
        ChangeError::Ended("rv".into())
    );
    let report = timeout(run).await;
    assert_eq!(starts_between(&fake, 0, 9000), [0, 1500]);
    assert_eq!(report.counters.interrupted, 1);
    assert_eq!(report.changes.len(), 1);
}

type Run = tokio::task::JoinHandle<Result<k6r_engine::Report, k6r_engine::Error>>;

/// The run's report, within a minute of paused time.
async fn timeout(run: Run) -> k6r_engine::Report {
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends")
        .unwrap()
        .unwrap()
}
