//! constant- and ramping-arrival-rate: tick times, dropped iterations and
//! unplanned VUs (§2.3).

mod common;

use std::time::Duration;

use common::{ms, run, Fake};
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn constant_rate_drops_and_grows_to_max_vus() {
    let fake = Fake::new(ms(450));
    let options = json!({"scenarios": {"car": {"executor": "constant-arrival-rate",
        "rate": 10, "duration": "2s", "preAllocatedVUs": 1, "maxVUs": 2}}});
    let (report, recorder, took) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 9);
    let dropped = recorder.dropped();
    assert_eq!(dropped.len(), 12);
    assert!(dropped
        .iter()
        .all(|(s, n, vu)| s == "car" && *n == 1 && vu.is_none()));
    assert_eq!(report.counters.scenarios[0].dropped, 12);
    assert_eq!(recorder.max_initialized(), 2);
    assert_eq!(report.counters.initialized_vus, 2);
    let starts: Vec<Duration> = fake.starts().iter().map(|s| s.at).collect();
    assert_eq!(
        starts,
        [0, 200, 500, 700, 1000, 1200, 1500, 1700, 2000].map(ms)
    );
    let numbers: Vec<u64> = fake
        .starts()
        .iter()
        .map(|s| s.iteration.iteration_in_test)
        .collect();
    assert_eq!(numbers, [0, 2, 5, 7, 10, 12, 15, 17, 20]);
    assert_eq!(took, ms(2450));
    assert_eq!(report.counters.active_vus, 0);
}

#[tokio::test(start_paused = true)]
async fn unplanned_vus_initialise_in_the_background() {
    let mut fake = Fake::new(ms(50));
    fake.init_delay = ms(250);
    let options = json!({"scenarios": {"car": {"executor": "constant-arrival-rate",
        "rate": 10, "duration": "1s", "preAllocatedVUs": 0, "maxVUs": 1}}});
    let (report, recorder, _) = run(options, &fake).await;
    // Ticks 0, 100 and 200 are dropped while the VU initialises (one
    // init only); it is ready at 250ms and runs every tick from 300ms.
    assert_eq!(recorder.dropped().len(), 3);
    assert_eq!(report.counters.complete, 8);
    let inits = fake.shared.inits.lock().unwrap().clone();
    assert_eq!(inits.len(), 1);
    assert_eq!(inits[0].0, ms(250));
    assert_eq!(fake.starts()[0].at, ms(300));
}

#[tokio::test(start_paused = true)]
async fn segmented_constant_rate_takes_its_ticks() {
    // §3.6 example 6: maxVUs 20 re-segments thirds to 0,7/20,7/10,1.
    let fake = Fake::new(ms(5));
    let options = json!({"scenarios": {"car": {"executor": "constant-arrival-rate",
        "rate": 100, "duration": "1s", "preAllocatedVUs": 20, "maxVUs": 20}},
        "executionSegment": "0:1/3", "executionSegmentSequence": "0,1/3,2/3,1"});
    let (report, recorder, _) = run(options, &fake).await;
    assert!(recorder.dropped().is_empty());
    assert_eq!(report.counters.complete, 36);
    let starts = fake.starts();
    let numbers: Vec<u64> = starts
        .iter()
        .map(|s| s.iteration.iteration_in_test)
        .collect();
    assert_eq!(numbers[..9], [0, 3, 6, 9, 12, 15, 18, 20, 23]);
    assert_eq!(starts[8].at, ms(230));
    let local: Vec<u64> = starts
        .iter()
        .map(|s| s.iteration.iteration_in_instance)
        .collect();
    assert_eq!(local, (0..36).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn ramping_rate_starts_on_the_area_under_the_rate() {
    let fake = Fake::new(ms(10));
    let options = json!({"scenarios": {"rar": {"executor": "ramping-arrival-rate",
        "startRate": 0, "preAllocatedVUs": 2, "maxVUs": 2,
        "stages": [{"duration": "2s", "target": 10}]}}});
    let (report, _, took) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 10);
    // The schedule is 632.4…, 894.4…, … ms (k6 observed 634, 895, …);
    // tokio's timers fire on the next whole millisecond.
    let starts: Vec<u128> = fake.starts().iter().map(|s| s.at.as_millis()).collect();
    assert_eq!(
        starts,
        [633, 895, 1096, 1265, 1415, 1550, 1674, 1789, 1898, 2000]
    );
    assert!(took < ms(2011));
}

#[tokio::test(start_paused = true)]
async fn ramping_rate_finishes_early_when_the_schedule_ends() {
    let fake = Fake::new(ms(10));
    let options = json!({"scenarios": {"rar": {"executor": "ramping-arrival-rate",
        "startRate": 5, "preAllocatedVUs": 1, "maxVUs": 1,
        "stages": [{"duration": "1s", "target": 10}, {"duration": "1s", "target": 0},
                   {"duration": "5s", "target": 0}]}}});
    let (report, _, took) = run(options, &fake).await;
    assert_eq!(report.counters.complete, 12);
    assert!(took < ms(2000), "{took:?}");
}
