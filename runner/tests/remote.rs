//! A run driven from outside (`Config::with_remote`): the start gate
//! runs setup on request and starts at the driver's instant with the data
//! it stored; teardown runs only when asked for; the data can change, and
//! setup() run again, during the run.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::Samples;
use k6r_core::options::Options;
use k6r_runner::remote::{DriveCommand, DriveEvent, StageOutcome};
use k6r_runner::{Config, End, Remote};
use k6r_script::{Env, MemoryFiles, Script};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

const PATIENCE: Duration = Duration::from_secs(15);

const SCRIPT: &str = r#"import { Counter } from 'k6/metrics';
const seen = new Counter('seen');
const set = new Counter('set');
const torn = new Counter('torn');
export const options = { iterations: 4, vus: 2 };
export function setup() { set.add(1); return { n: 3 }; }
export default function (data) { seen.add(data.n); }
export function teardown(data) { torn.add(data.n); }
"#;

fn config(samples: &Samples) -> (Config, k6r_runner::Driver) {
    config_of(SCRIPT, samples)
}

fn config_of(source: &str, samples: &Samples) -> (Config, k6r_runner::Driver) {
    let files = MemoryFiles::new().with("/s/script.js", source);
    let script = Script::new(Arc::new(files), "/s/script.js");
    let env = Env::new();
    let inspection =
        k6r_script::inspect_with(&script, &env, &k6r_script::Config::default()).unwrap();
    let (mut options, _) = Options::from_json(&inspection.options).unwrap();
    options.derive_scenarios().unwrap();
    options.validate(Some(&inspection.exports)).unwrap();
    let (remote, driver) = Remote::new();
    let config = Config::new(script, env, options, inspection.exports)
        .with_workers(1)
        .with_sink(Box::new(samples.clone()))
        .with_remote(remote);
    (config, driver)
}

async fn event(driver: &mut k6r_runner::Driver) -> DriveEvent {
    tokio::time::timeout(PATIENCE, driver.events.recv())
        .await
        .expect("an event in time")
        .expect("the run is going")
}

#[tokio::test]
async fn setup_start_and_teardown_happen_when_the_driver_says() {
    let samples = Samples::default();
    let (config, mut driver) = config(&samples);
    let run = tokio::spawn(k6r_runner::run(config, CancellationToken::new()));
    let DriveEvent::Ready { setup: handle, .. } = event(&mut driver).await else {
        panic!("not Ready first");
    };

    let (reply, setup) = oneshot::channel();
    driver
        .commands
        .send(DriveCommand::Setup { reply })
        .await
        .unwrap();
    let data = match setup.await.unwrap() {
        StageOutcome::Returned(Some(data)) => data,
        other => panic!("{other:?}"),
    };
    assert_eq!(data, r#"{"n":3}"#);
    let at = SystemTime::now() + Duration::from_millis(200);
    handle.set_data(Some(Arc::from(data.as_str())));
    driver
        .commands
        .send(DriveCommand::Start { at })
        .await
        .unwrap();
    match event(&mut driver).await {
        DriveEvent::Started { at: started } => assert!(started >= at),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        event(&mut driver).await,
        DriveEvent::ScenariosEnded { aborted: None }
    ));
    // Every sample of the scenarios is in the sinks by now.
    assert_eq!(samples.sum("seen"), 12.0);
    assert_eq!(
        samples.sum("torn"),
        0.0,
        "no teardown before it is asked for"
    );

    let (reply, teardown) = oneshot::channel();
    let data = Some(Arc::from(r#"{"n":5}"#));
    driver
        .commands
        .send(DriveCommand::Teardown { data, reply })
        .await
        .unwrap();
    assert!(matches!(
        teardown.await.unwrap(),
        StageOutcome::Returned(None)
    ));
    let result = run.await.unwrap().unwrap();
    assert_eq!((result.exit_code(), result.end), (0, End::Finished));
    assert_eq!(samples.sum("set"), 1.0);
    assert_eq!(samples.sum("torn"), 5.0);
}

#[tokio::test]
async fn a_dropped_driver_starts_nothing() {
    let samples = Samples::default();
    let (config, mut driver) = config(&samples);
    let run = tokio::spawn(k6r_runner::run(config, CancellationToken::new()));
    assert!(matches!(event(&mut driver).await, DriveEvent::Ready { .. }));
    drop(driver);
    let result = tokio::time::timeout(PATIENCE, run)
        .await
        .expect("the run ends")
        .unwrap()
        .unwrap();
    assert_eq!(result.end, End::Stopped);
    assert_eq!(
        samples.sum("seen") + samples.sum("set") + samples.sum("torn"),
        0.0
    );
}

/// Iterations count under the `n` their VU decoded.
const LIVE_DATA: &str = r#"import { sleep } from 'k6';
import { Counter } from 'k6/metrics';
const saw = { 1: new Counter('saw1'), 3: new Counter('saw3') };
const set = new Counter('set');
export const options = { scenarios: {
  ext: { executor: 'externally-controlled', vus: 1, maxVUs: 3, duration: '10m' },
} };
export function setup() { set.add(1); return { n: 3 }; }
export default function (data) { saw[data.n].add(1); sleep(0.01); }
"#;

#[tokio::test]
async fn setup_run_again_during_the_run_reaches_the_vus_that_start_after_it() {
    let samples = Samples::default();
    let (config, mut driver) = config_of(LIVE_DATA, &samples);
    let run = tokio::spawn(k6r_runner::run(config, CancellationToken::new()));
    let DriveEvent::Ready {
        controls, setup, ..
    } = event(&mut driver).await
    else {
        panic!("not Ready first");
    };
    setup.set_data(Some(Arc::from(r#"{"n":1}"#)));
    let start = DriveCommand::Start {
        at: SystemTime::now(),
    };
    driver.commands.send(start).await.unwrap();
    assert!(matches!(
        event(&mut driver).await,
        DriveEvent::Started { .. }
    ));
    let ext = controls[0].clone();
    ext.started().await;
    // VU 1 decodes {"n":1} at its first iteration and keeps it.
    tokio::time::timeout(PATIENCE, async {
        while samples.sum("saw1") == 0.0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("VU 1 iterates");

    match setup.run_setup().await {
        StageOutcome::Returned(Some(data)) => assert_eq!(data, r#"{"n":3}"#),
        other => panic!("{other:?}"),
    }
    assert_eq!(setup.data().as_deref(), Some(r#"{"n":3}"#));
    ext.update(Some(3), None).await.unwrap();
    tokio::time::timeout(PATIENCE, async {
        while samples.sum("saw3") == 0.0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the new VUs iterate with the new data");
    ext.stop().await.unwrap();
    assert!(matches!(
        event(&mut driver).await,
        DriveEvent::ScenariosEnded { aborted: None }
    ));
    driver.commands.send(DriveCommand::Finish).await.unwrap();
    let result = run.await.unwrap().unwrap();
    assert_eq!(samples.sum("set"), 1.0);
    assert_eq!(result.setup_data.as_deref(), Some(r#"{"n":3}"#));
}
