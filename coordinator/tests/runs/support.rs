//! Submitting runs, the fake agents' side of a run's lifecycle, and
//! polling the run.

use std::{
    num::NonZeroUsize,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use k6r_api::RunView;
use k6r_core::metrics::{Builtin, Registry, Sample, Sink, Tags};
use k6r_proto::v1::{
    coordinator_message::Kind, Abort, Assign, Control, MetricDelta, RunDone, RunSetup, RunState,
    RunStatus, RunTeardown, Start,
};
use serde_json::{json, Value};

use crate::common::{config, get, send_json, start_coordinator, FakeAgent, TestCoordinator};

/// A config whose agents never time out unless a test wants it.
pub fn quiet(agents: usize) -> k6r_coordinator::Config {
    config()
        .with_agents(NonZeroUsize::new(agents).unwrap())
        .with_heartbeat_interval(Duration::from_secs(60))
        .with_start_delay(Duration::from_millis(50))
}

pub fn request(options: Value, exports: &[&str]) -> Value {
    json!({
        "archive": {"entry": "/s.js", "files": {"/s.js": "ZXhwb3J0IGRlZmF1bHQgKCkgPT4ge30="}},
        "options": options,
        "exports": exports,
    })
}

/// `lost` is one agent, `label` lost at a time since the start
/// (`label at 1.2s`).
pub fn assert_lost(lost: &[String], label: &str) {
    let [only] = lost else { panic!("{lost:?}") };
    let time = only
        .strip_prefix(&format!("{label} at "))
        .and_then(|t| t.strip_suffix('s'))
        .unwrap_or_else(|| panic!("{only:?}"));
    assert!(time.parse::<f64>().is_ok(), "{only:?}");
}

pub async fn submit(c: &TestCoordinator, body: &Value) -> RunView {
    let (status, text) = send_json("POST", &c.url("/v1/runs"), body).await;
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

pub async fn connect(c: &TestCoordinator, names: &[&str]) -> Vec<FakeAgent> {
    let mut agents = Vec::new();
    for name in names {
        agents.push(FakeAgent::welcomed(c.addr, name).await.0);
    }
    c.until_connected(names.len()).await;
    agents
}

pub async fn assign(agent: &mut FakeAgent) -> Assign {
    agent
        .expect("Assign", |k| match k {
            Kind::Assign(a) => Some(a),
            _ => None,
        })
        .await
}

/// Submits a run of `options` (exporting `default`) and takes every
/// agent's Assign; the run's id.
pub async fn submit_assigned(
    c: &TestCoordinator,
    agents: &mut [FakeAgent],
    options: Value,
) -> String {
    let run = submit(c, &request(options, &["default"])).await.id;
    for a in agents.iter_mut() {
        assign(a).await;
    }
    run
}

/// Waits (5 s at most) until the run's view shows agent `i` lost.
pub async fn until_lost(c: &TestCoordinator, run: &str, i: usize) {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let (_, text) = get(&c.url(&format!("/v1/runs/{run}")), None).await;
            let view: RunView = serde_json::from_str(&text).unwrap();
            if view.agents[i].state == "lost" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the loss was never noticed");
}

pub async fn start(agent: &mut FakeAgent) -> Start {
    agent
        .expect("Start", |k| match k {
            Kind::Start(s) => Some(s),
            Kind::RunSetup(_) => panic!("RunSetup to an agent that is not the lead"),
            _ => None,
        })
        .await
}

/// The RunTeardown the lead gets (an Abort instead fails the test).
pub async fn teardown(agent: &mut FakeAgent) -> RunTeardown {
    agent
        .expect("RunTeardown", |k| match k {
            Kind::RunTeardown(t) => Some(t),
            Kind::Abort(a) => panic!("aborted: {a:?}"),
            _ => None,
        })
        .await
}

/// The RunSetup the lead gets.
pub async fn run_setup(agent: &mut FakeAgent) -> RunSetup {
    agent
        .expect("RunSetup", |k| match k {
            Kind::RunSetup(s) => Some(s),
            _ => None,
        })
        .await
}

pub async fn abort(agent: &mut FakeAgent) -> Abort {
    agent
        .expect("Abort", |k| match k {
            Kind::Abort(a) => Some(a),
            _ => None,
        })
        .await
}

pub fn status(run: &str, state: RunState, vus: u64, started: i64) -> RunStatus {
    RunStatus {
        run_id: run.into(),
        state: state.into(),
        vus,
        vus_max: vus + 10,
        iterations_complete: 0,
        iterations_interrupted: 0,
        started_unix_nanos: started,
        exit_code: 0,
        scenarios: Vec::new(),
        cpu: Vec::new(),
    }
}

pub fn delta(run: &str, seq: u64, iterations: usize) -> MetricDelta {
    let mut registry = Registry::new();
    let tags = Arc::new(Tags::new());
    let samples: Vec<Sample> = (0..iterations)
        .map(|_| Sample::now(Builtin::Iterations.metric(), Arc::clone(&tags), 1.0))
        .collect();
    registry.add(&samples);
    MetricDelta::new(run, seq, &registry.take_delta())
}

pub fn done(run: &str, exit_code: i32) -> RunDone {
    RunDone {
        run_id: run.into(),
        exit_code,
        ..RunDone::default()
    }
}

/// Agent 1 reports RunDone; the lead (agent 0) gets RunTeardown and
/// reports RunDone.
pub async fn done_with_teardown(run: &str, agents: &mut [FakeAgent]) {
    agents[1].send(done(run, 0)).await;
    teardown(&mut agents[0]).await;
    agents[0].send(done(run, 0)).await;
}

/// Readies every agent (no setup), and returns the Start each got.
pub async fn ready_and_start(run: &str, agents: &mut [FakeAgent]) -> Vec<Start> {
    for a in agents.iter() {
        a.send(status(run, RunState::Ready, 0, 0)).await;
    }
    let mut starts = Vec::new();
    for a in agents.iter_mut() {
        starts.push(start(a).await);
    }
    for a in agents.iter() {
        a.send(status(
            run,
            RunState::Running,
            1,
            starts[0].start_unix_nanos,
        ))
        .await;
    }
    starts
}

/// Polls `GET /v1/status` until its attributes satisfy `want`.
pub async fn until_status(c: &TestCoordinator, want: impl Fn(&Value) -> bool) -> Value {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let (_, text) = get(&c.url("/v1/status"), None).await;
            let body: Value = serde_json::from_str(&text).unwrap();
            let attributes = body["data"]["attributes"].clone();
            if want(&attributes) {
                return attributes;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("GET /v1/status never got there")
}

/// Polls the run until it is finished.
pub async fn finished(c: &TestCoordinator, id: &str) -> RunView {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let (code, text) = get(&c.url(&format!("/v1/runs/{id}")), None).await;
            assert_eq!(code, 200, "{text}");
            let view: RunView = serde_json::from_str(&text).unwrap();
            if view.result.is_some() {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the run never finished")
}

pub fn iterations(view: &RunView) -> f64 {
    let delta: k6r_core::metrics::Delta =
        serde_json::from_value(view.result.as_ref().unwrap().metrics.clone()).unwrap();
    let mut registry = Registry::new();
    registry.apply_delta(&delta).unwrap();
    match registry.sink("iterations") {
        Some(Sink::Counter(c)) => c.count(),
        other => panic!("{other:?}"),
    }
}

pub fn unix_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

pub fn iterations_of(metrics: &Value) -> f64 {
    let delta: k6r_core::metrics::Delta = serde_json::from_value(metrics.clone()).unwrap();
    let mut registry = Registry::new();
    registry.apply_delta(&delta).unwrap();
    match registry.sink("iterations") {
        Some(Sink::Counter(c)) => c.count(),
        other => panic!("{other:?}"),
    }
}

pub const HB: Duration = Duration::from_millis(400);

/// Three running agents heart-beating every [`HB`], except `w2` whose
/// heartbeats stop once the run is running.
pub async fn lose_w2(on_agent_loss: &str) -> (TestCoordinator, Vec<FakeAgent>, String) {
    let c = start_coordinator(quiet(3).with_heartbeat_interval(HB)).await;
    let mut agents = connect(&c, &["w1", "w2", "w3"]).await;
    let beats: Vec<_> = agents.iter().map(|a| a.heartbeat(HB / 4)).collect();
    let mut body = request(json!({"vus": 3, "duration": "1m"}), &["default"]);
    body["on_agent_loss"] = json!(on_agent_loss);
    let run = submit(&c, &body).await.id;
    for a in &mut agents {
        assign(a).await;
    }
    ready_and_start(&run, &mut agents).await;
    beats[1].abort();
    (c, agents, run)
}

pub async fn control(agent: &mut FakeAgent) -> Control {
    agent
        .expect("Control", |k| match k {
            Kind::Control(c) => Some(c),
            _ => None,
        })
        .await
}
