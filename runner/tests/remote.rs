//! A run driven from outside (`Config::with_remote`): the start gate
//! runs setup on request and starts at the driver's instant with its
//! data; teardown runs only when asked for.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::Samples;
use k6r_core::options::Options;
use k6r_runner::remote::{Command, Event, StageOutcome};
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
    let files = MemoryFiles::new().with("/s/script.js", SCRIPT);
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

async fn event(driver: &mut k6r_runner::Driver) -> Event {
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
    assert!(matches!(event(&mut driver).await, Event::Ready { .. }));

    let (reply, setup) = oneshot::channel();
    driver
        .commands
        .send(Command::Setup { reply })
        .await
        .unwrap();
    let data = match setup.await.unwrap() {
        StageOutcome::Returned(Some(data)) => data,
        other => panic!("{other:?}"),
    };
    assert_eq!(data, r#"{"n":3}"#);
    let at = SystemTime::now() + Duration::from_millis(200);
    let start = Command::Start {
        at,
        data: Some(Arc::from(data.as_str())),
    };
    driver.commands.send(start).await.unwrap();
    match event(&mut driver).await {
        Event::Started { at: started } => assert!(started >= at),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        event(&mut driver).await,
        Event::ScenariosEnded { aborted: None }
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
        .send(Command::Teardown { data, reply })
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
    assert!(matches!(event(&mut driver).await, Event::Ready { .. }));
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
