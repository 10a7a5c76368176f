//! EngineBackend over a real k6r engine (VUs that sleep): the
//! externally-controlled semantics of issue 5 through the REST API.

use std::sync::Arc;
use std::time::Duration;

use k6r_api::{ExecutionStatus, Status, StatusEnvelope};
use k6r_engine::{Config, Engine, NoopObserver};
use k6r_runner::rest_api::EngineBackend;
use k6r_testkit::engine_api::{plan, serve, Gauges, NoSetup, Served, SleepFactory};
use k6r_testkit::http::raw;
use serde_json::json;

/// The API over sleeping VUs; stops serving when dropped.
struct Run(Served);

impl std::ops::Deref for Run {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.0
    }
}

impl std::ops::DerefMut for Run {
    fn deref_mut(&mut self) -> &mut Served {
        &mut self.0
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.0.shutdown.cancel();
    }
}

async fn start(options: serde_json::Value, paused: bool) -> Run {
    Run(serve(&options, paused).await)
}

async fn patch(run: &Run, attributes: serde_json::Value) -> (u16, String) {
    let body = json!({"data": {"attributes": attributes}}).to_string();
    let r = raw(run.addr, "PATCH", "/v1/status", body.as_bytes()).await;
    (r.status, r.body)
}

async fn status(run: &Run) -> Status {
    let r = raw(run.addr, "GET", "/v1/status", b"").await;
    let env: StatusEnvelope = serde_json::from_str(&r.body).unwrap();
    env.data.attributes
}

fn attrs(body: &str) -> Status {
    let env: StatusEnvelope = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    env.data.attributes
}

/// Polls until `ok` holds: the engine applies changes asynchronously.
async fn until(run: &Run, ok: impl Fn(&Status) -> bool) -> Status {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let s = status(run).await;
            if ok(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("condition reached")
}

fn ext(vus: u64, max: u64) -> serde_json::Value {
    json!({"scenarios": {"ec": {"executor": "externally-controlled", "vus": vus, "maxVUs": max, "duration": "10m"}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_scale_pause_scale_resume_stop() {
    let mut run = start(
        json!({"scenarios": {"ec": {"executor": "externally-controlled", "duration": "10m"}}}),
        false,
    )
    .await;
    let s = until(&run, |s| s.status == ExecutionStatus::Running).await;
    assert_eq!((s.vus, s.paused), (Some(0), Some(false)));
    let s = until(&run, |s| s.running).await;
    assert!(!s.stopped);
    let (code, body) = patch(&run, json!({"vus": 2, "vus-max": 10})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (attrs(&body).vus, attrs(&body).vus_max),
        (Some(2), Some(10))
    );
    let (code, body) = patch(&run, json!({"paused": true})).await;
    assert_eq!(
        (code, attrs(&body).paused, attrs(&body).vus),
        (200, Some(true), Some(0))
    );
    let (code, body) = patch(&run, json!({"paused": true})).await;
    assert_eq!(code, 500);
    assert!(body.contains("test execution was already paused"), "{body}");
    let (code, body) = patch(&run, json!({"vus": 5})).await;
    assert_eq!(
        (code, attrs(&body).vus),
        (200, Some(0)),
        "stored while paused"
    );
    let (code, body) = patch(&run, json!({"paused": false})).await;
    assert_eq!(
        (code, attrs(&body).vus, attrs(&body).paused),
        (200, Some(5), Some(false))
    );
    let (code, body) = patch(&run, json!({"paused": false})).await;
    assert_eq!(code, 500, "{body}");
    assert!(body.contains("test execution wasn't paused"));
    let (code, body) = patch(&run, json!({"vus": 11})).await;
    assert_eq!(code, 400);
    assert!(body.contains(
        "the number of active VUs (11) must be less than or equal to the number of maxVUs (10)"
    ));
    let (code, body) = patch(&run, json!({"stopped": true})).await;
    assert_eq!((code, attrs(&body).stopped), (200, true));
    assert_eq!((&mut run.done).await.unwrap(), 103);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vus_max_never_below_the_start_and_the_engine_really_scales() {
    let mut run = start(ext(1, 5), false).await;
    until(&run, |s| s.running).await;
    let (code, body) = patch(&run, json!({"vus": 1, "vus-max": 4})).await;
    assert_eq!(code, 400);
    assert!(
        body.contains("cannot be lower than the starting number of max VUs (5)"),
        "{body}"
    );
    let (code, _) = patch(&run, json!({"vus-max": 8})).await;
    assert_eq!(code, 200);
    let (code, body) = patch(&run, json!({"vus": 7})).await;
    assert_eq!((code, attrs(&body).vus), (200, Some(7)));
    // The engine initialises the extra VUs in the background: its vus_max
    // gauge (from the live progress) reaches 8.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let r = raw(run.addr, "GET", "/v1/metrics/vus_max", b"").await;
            if r.body.contains(r#""value":8"#) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("8 VUs initialised");
    let (code, _) = patch(&run, json!({"vus-max": 5, "vus": 2})).await;
    assert_eq!(code, 200, "lowering back to the script's value is allowed");
    patch(&run, json!({"stopped": true})).await;
    assert_eq!((&mut run.done).await.unwrap(), 103);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_before_start_stores_changes_and_resume_starts() {
    let mut run = start(ext(0, 5), true).await;
    let s = status(&run).await;
    assert_eq!(s.status, ExecutionStatus::PausedBeforeRun);
    assert_eq!(
        (s.paused, s.vus, s.vus_max, s.running),
        (Some(true), Some(0), Some(5), false)
    );
    let (code, body) = patch(&run, json!({"paused": true})).await;
    assert_eq!(code, 500);
    assert!(
        body.contains(r#""detail":"execution is already paused""#),
        "{body}"
    );
    let (code, body) = patch(&run, json!({"vus": 2, "vus-max": 10})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (attrs(&body).vus, attrs(&body).vus_max),
        (Some(0), Some(5)),
        "stored, not applied"
    );
    let (code, _) = patch(&run, json!({"paused": false})).await;
    assert_eq!(code, 200);
    // Applied once the scenario takes commands.
    let s = until(&run, |s| s.vus == Some(2)).await;
    assert_eq!(
        (s.vus_max, s.paused, s.status),
        (Some(10), Some(false), ExecutionStatus::Running)
    );
    patch(&run, json!({"stopped": true})).await;
    assert_eq!((&mut run.done).await.unwrap(), 103);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_while_paused_before_start_never_runs() {
    let mut run = start(ext(1, 2), true).await;
    let (code, body) = patch(&run, json!({"stopped": true})).await;
    assert_eq!((code, attrs(&body).stopped), (200, true));
    assert_eq!((&mut run.done).await.unwrap(), 103);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tests_without_an_externally_controlled_scenario() {
    let mut run = start(
        json!({"scenarios": {"cv": {"executor": "constant-vus", "vus": 1, "duration": "10m"}}}),
        false,
    )
    .await;
    until(&run, |s| s.running).await;
    let (code, body) = patch(&run, json!({"paused": true})).await;
    assert_eq!(code, 500);
    assert_eq!(
        body,
        r#"{"errors":[{"status":"500","title":"Pause error","detail":"constant-vus executor 'cv' doesn't support pause and resume operations after its start"}]}"#
    );
    let (code, body) = patch(&run, json!({"vus": 3})).await;
    assert_eq!(code, 500);
    assert_eq!(
        body,
        r#"{"errors":[{"status":"500","title":"Execution config error","detail":"an externally-controlled executor needs to be configured for live configuration updates"}]}"#
    );
    let s = until(&run, |s| s.vus == Some(1)).await;
    assert_eq!(s.vus_max, Some(1));
    patch(&run, json!({"stopped": true})).await;
    assert_eq!((&mut run.done).await.unwrap(), 103);
}

/// The race CI once lost: a status read that reaches the backend after the
/// scenario took commands but before the actor woke to apply the staged
/// change must apply it, not overwrite it with the engine's values. The
/// backend is driven directly, so the read lands exactly in that window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_read_before_the_wake_up_applies_the_staged_change() {
    use k6r_rest::{Backend, StatusPatch};
    let plan = plan(&ext(0, 5));
    let engine = Engine::new(
        plan.clone(),
        SleepFactory,
        Arc::new(NoopObserver),
        Config::default(),
    );
    let control = engine
        .first_control()
        .expect("an externally-controlled scenario");
    let (mut backend, mut link) = EngineBackend::new(
        &plan,
        engine.first_control(),
        engine.progress(),
        true,
        Gauges(engine.progress()),
        NoSetup::default(),
    );
    let scale = StatusPatch {
        vus: Some(2),
        vus_max: Some(10),
        ..StatusPatch::default()
    };
    let s = backend.patch_status(scale).await.expect("staged");
    assert_eq!(
        (s.vus, s.vus_max),
        (Some(0), Some(5)),
        "stored, not applied"
    );
    let resume = StatusPatch {
        paused: Some(false),
        ..StatusPatch::default()
    };
    backend.patch_status(resume).await.expect("resumed");
    link.resumed().await;
    let stop = link.stop_token();
    let run = tokio::spawn(async move { engine.run(stop).await });
    control.started().await;
    let s = backend.status().await;
    assert_eq!((s.vus, s.vus_max), (Some(2), Some(10)));
    let s = backend.status().await;
    assert_eq!((s.vus, s.vus_max), (Some(2), Some(10)), "applied once");
    link.stop_token().cancel();
    run.await.unwrap().expect("run");
}
