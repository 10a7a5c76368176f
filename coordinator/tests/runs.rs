//! Distributed runs end to end: a real coordinator on 127.0.0.1:0, fake
//! agents speaking the protocol message by message, and the REST API.

mod common;

use std::{
    num::NonZeroUsize,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use common::{config, get, hello, send_json, start_coordinator, FakeAgent, TestCoordinator};
use k6r_api::RunView;
use k6r_core::exit::ExitCode;
use k6r_core::metrics::{Builtin, Registry, Sample, Sink, Tags};
use k6r_proto::v1::{
    control, coordinator_message::Kind, Abort, AgentError, Assign, Control, ControlAck,
    MetricDelta, RunDone, RunState, RunStatus, SetupDone, Start,
};
use serde_json::{json, Value};

/// A config whose agents never time out unless a test wants it.
fn quiet(agents: usize) -> k6r_coordinator::Config {
    config()
        .with_agents(NonZeroUsize::new(agents).unwrap())
        .with_heartbeat_interval(Duration::from_secs(60))
        .with_start_delay(Duration::from_millis(50))
}

fn request(options: Value, exports: &[&str]) -> Value {
    json!({
        "archive": {"entry": "/s.js", "files": {"/s.js": "ZXhwb3J0IGRlZmF1bHQgKCkgPT4ge30="}},
        "options": options,
        "exports": exports,
    })
}

/// `lost` is one agent, `label` lost at a time since the start
/// (`label at 1.2s`).
fn assert_lost(lost: &[String], label: &str) {
    let [only] = lost else { panic!("{lost:?}") };
    let time = only
        .strip_prefix(&format!("{label} at "))
        .and_then(|t| t.strip_suffix('s'))
        .unwrap_or_else(|| panic!("{only:?}"));
    assert!(time.parse::<f64>().is_ok(), "{only:?}");
}

async fn submit(c: &TestCoordinator, body: &Value) -> RunView {
    let (status, text) = send_json("POST", &c.url("/v1/runs"), body).await;
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn connect(c: &TestCoordinator, names: &[&str]) -> Vec<FakeAgent> {
    let mut agents = Vec::new();
    for name in names {
        agents.push(FakeAgent::welcomed(c.addr, name).await.0);
    }
    c.until_connected(names.len()).await;
    agents
}

async fn assign(agent: &mut FakeAgent) -> Assign {
    agent
        .expect("Assign", |k| match k {
            Kind::Assign(a) => Some(a),
            _ => None,
        })
        .await
}

/// Submits a run of `options` (exporting `default`) and takes every
/// agent's Assign; the run's id.
async fn submit_assigned(c: &TestCoordinator, agents: &mut [FakeAgent], options: Value) -> String {
    let run = submit(c, &request(options, &["default"])).await.id;
    for a in agents.iter_mut() {
        assign(a).await;
    }
    run
}

/// Waits (5 s at most) until the run's view shows agent `i` lost.
async fn until_lost(c: &TestCoordinator, run: &str, i: usize) {
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

async fn start(agent: &mut FakeAgent) -> Start {
    agent
        .expect("Start", |k| match k {
            Kind::Start(s) => Some(s),
            Kind::RunSetup(_) => panic!("RunSetup to an agent that is not the lead"),
            _ => None,
        })
        .await
}

async fn abort(agent: &mut FakeAgent) -> Abort {
    agent
        .expect("Abort", |k| match k {
            Kind::Abort(a) => Some(a),
            _ => None,
        })
        .await
}

fn status(run: &str, state: RunState, vus: u64, started: i64) -> RunStatus {
    RunStatus {
        run_id: run.into(),
        state: state.into(),
        vus,
        vus_max: vus + 10,
        iterations_complete: 0,
        iterations_interrupted: 0,
        started_unix_nanos: started,
        exit_code: 0,
    }
}

fn delta(run: &str, seq: u64, iterations: usize) -> MetricDelta {
    let mut registry = Registry::new();
    let tags = Arc::new(Tags::new());
    let samples: Vec<Sample> = (0..iterations)
        .map(|_| Sample::now(Builtin::Iterations.metric(), Arc::clone(&tags), 1.0))
        .collect();
    registry.add(&samples);
    MetricDelta::new(run, seq, &registry.take_delta())
}

fn done(run: &str, exit_code: i32) -> RunDone {
    RunDone {
        run_id: run.into(),
        exit_code,
        ..RunDone::default()
    }
}

/// Agent 1 reports RunDone; the lead (agent 0) gets RunTeardown and
/// reports RunDone.
async fn done_with_teardown(run: &str, agents: &mut [FakeAgent]) {
    agents[1].send(done(run, 0)).await;
    agents[0]
        .expect("RunTeardown", |k| match k {
            Kind::RunTeardown(t) => Some(t),
            _ => None,
        })
        .await;
    agents[0].send(done(run, 0)).await;
}

/// Readies every agent (no setup), and returns the Start each got.
async fn ready_and_start(run: &str, agents: &mut [FakeAgent]) -> Vec<Start> {
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
async fn until_status(c: &TestCoordinator, want: impl Fn(&Value) -> bool) -> Value {
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
async fn finished(c: &TestCoordinator, id: &str) -> RunView {
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

fn iterations(view: &RunView) -> f64 {
    let delta: k6r_core::metrics::Delta =
        serde_json::from_value(view.result.as_ref().unwrap().metrics.clone()).unwrap();
    let mut registry = Registry::new();
    registry.apply_delta(&delta).unwrap();
    match registry.sink("iterations") {
        Some(Sink::Counter(c)) => c.count(),
        other => panic!("{other:?}"),
    }
}

fn unix_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

#[tokio::test]
async fn a_run_is_split_over_three_agents_with_setup_on_the_lead_and_merged_metrics() {
    let c = start_coordinator(quiet(3)).await;
    let mut agents = connect(&c, &["w1", "w2", "w3"]).await;
    let body = request(json!({"vus": 3, "duration": "1s"}), &["default", "setup"]);
    let view = submit(&c, &body).await;
    let run = view.id.clone();

    let (code, text) = send_json("POST", &c.url("/v1/runs"), &body).await;
    assert_eq!(code, 409, "{text}");
    assert_eq!(
        text,
        format!(
            r#"{{"errors":[{{"status":"409","title":"Conflict","detail":"run {run} is in progress"}}]}}"#
        )
    );

    let mut assigns = Vec::new();
    for a in &mut agents {
        assigns.push(assign(a).await);
    }
    let segments: Vec<&str> = assigns
        .iter()
        .map(|a| a.execution_segment.as_str())
        .collect();
    assert_eq!(segments, ["0:1/3", "1/3:2/3", "2/3:1"]);
    assert!(assigns
        .iter()
        .all(|a| a.execution_segment_sequence == "0,1/3,2/3,1"));
    assert_eq!(assigns.iter().filter(|a| a.lead).count(), 1);
    assert!(assigns[0].lead);
    let archive = assigns[0].archive.as_ref().unwrap();
    assert_eq!(archive.files["/s.js"], b"export default () => {}");
    assert_eq!(assigns[0].metrics_interval_ms, 1000);

    for a in &agents {
        a.send(status(&run, RunState::Initializing, 0, 0)).await;
        a.send(status(&run, RunState::Ready, 0, 0)).await;
    }
    agents[0]
        .expect("RunSetup", |k| match k {
            Kind::RunSetup(s) => Some(s),
            _ => None,
        })
        .await;
    agents[0]
        .send(SetupDone {
            run_id: run.clone(),
            data_json: r#"{"token":"abc"}"#.into(),
            ..SetupDone::default()
        })
        .await;
    let before = unix_nanos();
    let mut starts = Vec::new();
    for a in &mut agents {
        starts.push(start(a).await);
    }
    assert!(starts
        .iter()
        .all(|s| s.setup_data_json == r#"{"token":"abc"}"#));
    assert!(starts
        .iter()
        .all(|s| s.start_unix_nanos == starts[0].start_unix_nanos));
    assert!(starts[0].start_unix_nanos > before);

    for (i, a) in agents.iter().enumerate() {
        let started = starts[0].start_unix_nanos + i as i64 * 1_000_000;
        a.send(status(&run, RunState::Running, 1, started)).await;
        a.send(delta(&run, 1, i + 1)).await;
        // A replay is dropped.
        a.send(delta(&run, 1, i + 1)).await;
    }
    until_status(&c, |s| s["vus"] == 3).await;

    for a in &agents {
        a.send(status(&run, RunState::Done, 0, 0)).await;
    }
    for a in &agents[1..] {
        a.send(done(&run, 0)).await;
    }
    let teardown = agents[0]
        .expect("RunTeardown", |k| match k {
            Kind::RunTeardown(t) => Some(t),
            _ => None,
        })
        .await;
    assert_eq!(teardown.setup_data_json, r#"{"token":"abc"}"#);
    agents[0].send(delta(&run, 2, 4)).await;
    agents[0].send(done(&run, 0)).await;

    let view = finished(&c, &run).await;
    let result = view.result.as_ref().unwrap();
    assert_eq!(result.exit_code, 0, "{result:?}");
    assert!(!result.partial);
    assert_eq!(result.setup_data.as_deref(), Some(r#"{"token":"abc"}"#));
    assert_eq!(iterations(&view), 1.0 + 2.0 + 3.0 + 4.0);
    let skew = view.start_skew_ms.unwrap();
    assert!((skew - 2.0).abs() < 1e-6, "{skew}");

    let (_, text) = get(&c.url("/v1/status"), None).await;
    let status_body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status_body["data"]["attributes"]["status"], 9, "{text}");
    // k6's metrics endpoint reads the merged registry.
    let (code, text) = get(&c.url("/v1/metrics/iterations"), None).await;
    assert_eq!(code, 200, "{text}");
    let metric: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        metric["data"]["attributes"]["sample"]["count"], 10,
        "{text}"
    );
    let (code, text) = get(&c.url("/v1/groups"), None).await;
    assert_eq!(code, 200, "{text}");

    // Over: a new run is accepted.
    let next = submit(&c, &body).await;
    assert_ne!(next.id, run);
    c.stop().await;
}

#[tokio::test]
async fn weights_shape_the_segment_sequence() {
    let c = start_coordinator(quiet(1)).await;
    let mut agents = connect(&c, &["w1", "w2", "w3"]).await;
    let mut body = request(json!({"vus": 4, "duration": "1s"}), &["default"]);
    body["agents"] = json!(3);
    body["weights"] = json!({"w1": 2});
    let run = submit(&c, &body).await.id;
    let mut segments = Vec::new();
    for a in &mut agents {
        let assign = assign(a).await;
        assert_eq!(assign.execution_segment_sequence, "0,1/2,3/4,1");
        segments.push(assign.execution_segment);
    }
    assert_eq!(segments, ["0:1/2", "1/2:3/4", "3/4:1"]);

    // Stopped before it started: aborted with k6's exit code for a stop.
    let (code, text) = send_json("POST", &c.url(&format!("/v1/runs/{run}/stop")), &json!({})).await;
    assert_eq!((code, text.as_str()), (200, r#"{"stopped":true}"#));
    for a in &mut agents {
        assert_eq!(abort(a).await.exit_code, 103);
        a.send(done(&run, 103)).await;
    }
    let view = finished(&c, &run).await;
    assert_eq!(view.result.unwrap().exit_code, 103);
    c.stop().await;
}

#[tokio::test]
async fn an_externally_controlled_scenario_is_pinned_and_scaled_through_the_coordinator() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let options = json!({"scenarios": {
        "ctl": {"executor": "externally-controlled", "vus": 1, "maxVUs": 10, "duration": "1m"},
        "load": {"executor": "constant-vus", "vus": 2, "duration": "1m"},
    }});
    let run = submit(&c, &request(options, &["default"])).await.id;
    let a1 = assign(&mut agents[0]).await;
    let a2 = assign(&mut agents[1]).await;
    assert_eq!(a1.pinned_scenarios, ["ctl"]);
    assert!(a1.excluded_scenarios.is_empty());
    assert_eq!(a2.excluded_scenarios, ["ctl"]);
    assert!(a2.pinned_scenarios.is_empty());

    ready_and_start(&run, &mut agents).await;
    agents[0].send(status(&run, RunState::Running, 2, 1)).await;
    agents[1].send(status(&run, RunState::Running, 3, 1)).await;
    let status_url = c.url("/v1/status");
    let summed = until_status(&c, |s| s["vus"] == 5).await;
    assert_eq!(summed["vus-max"], 25);
    assert_eq!(summed["running"], true);

    let patch = json!({"data": {"type": "status", "id": "default", "attributes": {"vus": 4}}});
    let url = status_url.clone();
    let body = patch.clone();
    let answer = tokio::spawn(async move { send_json("PATCH", &url, &body).await });
    let control = agents[0]
        .expect("Control", |k| match k {
            Kind::Control(c) => Some(c),
            _ => None,
        })
        .await;
    let Control {
        action: Some(control::Action::Scale(scale)),
        seq,
        ..
    } = control
    else {
        panic!("{control:?}");
    };
    assert_eq!(scale.vus, Some(4));
    agents[0]
        .send(ControlAck {
            run_id: run.clone(),
            seq,
            error: String::new(),
        })
        .await;
    agents[0].send(status(&run, RunState::Running, 4, 1)).await;
    let (code, text) = answer.await.unwrap();
    assert_eq!(code, 200, "{text}");
    let after: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(after["data"]["attributes"]["vus"], 7, "{text}");

    // A refusal comes back as k6's error.
    let url = status_url.clone();
    let answer = tokio::spawn(async move { send_json("PATCH", &url, &patch).await });
    let seq = agents[0]
        .expect("Control", |k| match k {
            Kind::Control(c) => Some(c.seq),
            _ => None,
        })
        .await;
    agents[0]
        .send(ControlAck {
            run_id: run.clone(),
            seq,
            error: "too many".into(),
        })
        .await;
    let (code, text) = answer.await.unwrap();
    assert_eq!(code, 400, "{text}");
    assert!(
        text.contains("Config update error") && text.contains("too many"),
        "{text}"
    );
    c.stop().await;
}

#[tokio::test]
async fn a_failing_threshold_exits_99() {
    let c = start_coordinator(quiet(1)).await;
    let mut agents = connect(&c, &["solo"]).await;
    let options = json!({"vus": 1, "duration": "1s", "thresholds": {"iterations": ["count>100"]}});
    let run = submit(&c, &request(options, &["default"])).await.id;
    assign(&mut agents[0]).await;
    ready_and_start(&run, &mut agents).await;
    agents[0].send(delta(&run, 1, 3)).await;
    agents[0].send(status(&run, RunState::Done, 0, 0)).await;
    agents[0]
        .expect("RunTeardown", |k| match k {
            Kind::RunTeardown(t) => Some(t),
            _ => None,
        })
        .await;
    agents[0].send(done(&run, 0)).await;
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 99);
    assert_eq!(
        result.message,
        "thresholds on metrics 'iterations' have been crossed"
    );
    c.stop().await;
}

#[tokio::test]
async fn abort_on_fail_aborts_every_agent() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let options = json!({"vus": 2, "duration": "1m", "thresholds": {
        "iterations": [{"threshold": "count<1", "abortOnFail": true}]
    }});
    let run = submit_assigned(&c, &mut agents, options).await;
    ready_and_start(&run, &mut agents).await;
    agents[1].send(delta(&run, 1, 5)).await;
    for a in &mut agents {
        let abort = abort(a).await;
        assert_eq!(abort.exit_code, 99);
        a.send(done(&run, 99)).await;
    }
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 99);
    assert!(result.message.contains("abortOnFail"), "{}", result.message);
    assert_eq!(iterations_of(&result.metrics), 5.0);
    c.stop().await;
}

fn iterations_of(metrics: &Value) -> f64 {
    let delta: k6r_core::metrics::Delta = serde_json::from_value(metrics.clone()).unwrap();
    let mut registry = Registry::new();
    registry.apply_delta(&delta).unwrap();
    match registry.sink("iterations") {
        Some(Sink::Counter(c)) => c.count(),
        other => panic!("{other:?}"),
    }
}

const HB: Duration = Duration::from_millis(400);

/// Three running agents heart-beating every [`HB`], except `w2` whose
/// heartbeats stop once the run is running.
async fn lose_w2(on_agent_loss: &str) -> (TestCoordinator, Vec<FakeAgent>, String) {
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

#[tokio::test]
async fn a_lost_agent_aborts_the_run_with_111_and_a_partial_result() {
    let (c, mut agents, run) = lose_w2("abort").await;
    let since = tokio::time::Instant::now();
    for i in [0, 2] {
        let abort = abort(&mut agents[i]).await;
        assert_eq!(abort.exit_code, ExitCode::AgentLost.code());
        agents[i].send(done(&run, ExitCode::AgentLost.code())).await;
    }
    let view = finished(&c, &run).await;
    assert!(
        since.elapsed() < Duration::from_secs(5),
        "{:?}",
        since.elapsed()
    );
    let result = view.result.unwrap();
    assert_eq!(result.exit_code, ExitCode::AgentLost.code());
    assert!(result.partial);
    assert_lost(&result.lost_agents, "w2 (1/3:2/3)");
    assert!(
        result.message.contains("w2 (1/3:2/3) was lost"),
        "{}",
        result.message
    );
    assert_eq!(view.agents[1].state, "lost");
    c.stop().await;
}

#[tokio::test]
async fn continue_keeps_the_others_running_and_marks_the_result_partial() {
    let (c, mut agents, run) = lose_w2("continue").await;
    // Wait until the loss is noticed.
    until_lost(&c, &run, 1).await;
    for i in [0, 2] {
        agents[i].send(delta(&run, 1, 2)).await;
        agents[i].send(status(&run, RunState::Done, 0, 0)).await;
    }
    agents[2].send(done(&run, 0)).await;
    agents[0]
        .expect("RunTeardown", |k| match k {
            Kind::RunTeardown(t) => Some(t),
            Kind::Abort(a) => panic!("aborted: {a:?}"),
            _ => None,
        })
        .await;
    agents[0].send(done(&run, 0)).await;
    let view = finished(&c, &run).await;
    let result = view.result.unwrap();
    // Passed, but degraded: its own exit code, the loss and its time named.
    assert_eq!(
        result.exit_code,
        ExitCode::Degraded.code(),
        "{}",
        result.message
    );
    assert!(result.partial);
    assert_lost(&result.lost_agents, "w2 (1/3:2/3)");
    assert!(
        result
            .message
            .starts_with("agent w2 (1/3:2/3) was lost at ")
            && result.message.ends_with("s; the run went on without it"),
        "{}",
        result.message
    );
    assert_eq!(iterations_of(&result.metrics), 4.0);
    c.stop().await;
}

#[tokio::test]
async fn an_agent_error_during_init_fails_the_run_with_its_code() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let run = submit_assigned(&c, &mut agents, json!({"vus": 1, "duration": "1s"})).await;
    agents[0].send(status(&run, RunState::Ready, 0, 0)).await;
    agents[1]
        .send(AgentError {
            run_id: run.clone(),
            exit_code: 107,
            message: "ReferenceError: x is not defined".into(),
        })
        .await;
    assert_eq!(abort(&mut agents[0]).await.exit_code, 107);
    agents[0].send(done(&run, 107)).await;
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 107);
    assert_eq!(result.message, "agent w2: ReferenceError: x is not defined");
    c.stop().await;
}

#[tokio::test]
async fn a_run_without_enough_agents_says_who_came() {
    let c = start_coordinator(quiet(3).with_agents_timeout(Duration::from_millis(300))).await;
    let _agents = connect(&c, &["worker-1"]).await;
    let run = submit(&c, &request(json!({}), &["default"])).await.id;
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(
        result.message,
        "waited 300ms for 3 agents, 1 connected: worker-1"
    );
    assert_ne!(result.exit_code, 0);
    c.stop().await;
}

#[tokio::test]
async fn bad_submissions_are_refused_naming_the_field() {
    let c = start_coordinator(quiet(1)).await;
    let mut body = request(json!({}), &["default"]);
    body["archive"]["entry"] = json!("/missing.js");
    let (code, text) = send_json("POST", &c.url("/v1/runs"), &body).await;
    assert_eq!(code, 400);
    assert!(text.contains("archive.entry"), "{text}");
    let (code, text) = send_json(
        "POST",
        &c.url("/v1/runs"),
        &request(json!({"vus": "many"}), &[]),
    )
    .await;
    assert_eq!(code, 400);
    assert!(
        text.starts_with(
            r#"{"errors":[{"status":"400","title":"Invalid run request","detail":"options: "#
        ),
        "{text}"
    );
    let (code, _) = get(&c.url("/v1/runs/run-9"), None).await;
    assert_eq!(code, 404);
    // Nothing running: k6's idle status.
    let (code, text) = get(&c.url("/v1/status"), None).await;
    assert_eq!(code, 200);
    assert!(
        text.contains(r#""status":0"#) && text.contains(r#""running":false"#),
        "{text}"
    );
    c.stop().await;
}

async fn control(agent: &mut FakeAgent) -> Control {
    agent
        .expect("Control", |k| match k {
            Kind::Control(c) => Some(c),
            _ => None,
        })
        .await
}

#[tokio::test]
async fn pause_reaches_every_agent_and_a_stop_ends_the_run_with_103() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let run = submit_assigned(&c, &mut agents, json!({"vus": 2, "duration": "1m"})).await;
    ready_and_start(&run, &mut agents).await;

    let url = c.url("/v1/status");
    let body = json!({"data": {"attributes": {"paused": true}}});
    let answer = tokio::spawn(async move { send_json("PATCH", &url, &body).await });
    for a in &mut agents {
        let control = control(a).await;
        assert_eq!(control.action, Some(control::Action::Pause(true)));
        a.send(ControlAck {
            run_id: run.clone(),
            seq: control.seq,
            error: String::new(),
        })
        .await;
        a.send(status(&run, RunState::Paused, 1, 1)).await;
    }
    let (code, text) = answer.await.unwrap();
    assert_eq!(code, 200, "{text}");
    let after: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(after["data"]["attributes"]["paused"], true, "{text}");

    // vus without an externally-controlled scenario: k6's refusal.
    let body = json!({"data": {"attributes": {"vus": 3}}});
    let (code, text) = send_json("PATCH", &c.url("/v1/status"), &body).await;
    assert_eq!(code, 500, "{text}");
    assert!(text.contains("Execution config error"), "{text}");

    let (code, _) = send_json("POST", &c.url(&format!("/v1/runs/{run}/stop")), &json!({})).await;
    assert_eq!(code, 200);
    for a in &mut agents {
        let control = control(a).await;
        assert_eq!(control.action, Some(control::Action::Stop(true)));
        a.send(status(&run, RunState::Done, 0, 0)).await;
    }
    done_with_teardown(&run, &mut agents).await;
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 103);
    assert_eq!(result.message, "test run stopped from REST API");
    c.stop().await;
}

#[tokio::test]
async fn setup_failure_ends_the_run_with_its_code_and_skips_teardown() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let run = submit(
        &c,
        &request(json!({"vus": 2, "duration": "1m"}), &["default", "setup"]),
    )
    .await
    .id;
    for a in &mut agents {
        assign(a).await;
        a.send(status(&run, RunState::Ready, 0, 0)).await;
    }
    agents[0]
        .expect("RunSetup", |k| match k {
            Kind::RunSetup(s) => Some(s),
            _ => None,
        })
        .await;
    agents[0]
        .send(SetupDone {
            run_id: run.clone(),
            error: "Error: boom".into(),
            exit_code: 107,
            ..SetupDone::default()
        })
        .await;
    for a in &mut agents {
        assert_eq!(abort(a).await.exit_code, 107);
        a.send(done(&run, 107)).await;
    }
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 107);
    assert!(result.message.contains("boom"), "{}", result.message);
    c.stop().await;
}

#[tokio::test]
async fn losing_the_agent_with_the_pinned_scenario_is_named_as_such() {
    let c = start_coordinator(quiet(2).with_heartbeat_interval(HB)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let beats: Vec<_> = agents.iter().map(|a| a.heartbeat(HB / 4)).collect();
    let options = json!({"scenarios": {
        "ctl": {"executor": "externally-controlled", "vus": 1, "maxVUs": 10, "duration": "1m"},
        "load": {"executor": "constant-vus", "vus": 2, "duration": "1m"},
    }});
    let mut body = request(options, &["default"]);
    body["on_agent_loss"] = json!("continue");
    let run = submit(&c, &body).await.id;
    for a in &mut agents {
        assign(a).await;
    }
    ready_and_start(&run, &mut agents).await;
    beats[0].abort();
    // w2 goes on, ends its scenarios; with the lead gone there is no
    // teardown.
    until_lost(&c, &run, 0).await;
    agents[1].send(status(&run, RunState::Done, 0, 0)).await;
    agents[1].send(done(&run, 0)).await;
    let result = finished(&c, &run).await.result.unwrap();
    assert!(result.partial);
    assert_lost(&result.lost_agents, "w1 (0:1/2)");
    assert!(
        result
            .message
            .contains("with the externally-controlled scenario ctl pinned to it"),
        "{}",
        result.message
    );
    c.stop().await;
}

#[tokio::test]
async fn a_test_marked_failed_on_one_agent_aborts_nothing_and_exits_110() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let run = submit_assigned(&c, &mut agents, json!({"vus": 2, "duration": "1s"})).await;
    ready_and_start(&run, &mut agents).await;
    agents[1].send(status(&run, RunState::Done, 0, 0)).await;
    agents[1]
        .send(RunDone {
            run_id: run.clone(),
            exit_code: 110,
            message: "test run was marked as failed".into(),
            ..RunDone::default()
        })
        .await;
    agents[0].send(status(&run, RunState::Done, 0, 0)).await;
    agents[0]
        .expect("RunTeardown", |k| match k {
            Kind::RunTeardown(t) => Some(t),
            Kind::Abort(a) => panic!("aborted: {a:?}"),
            _ => None,
        })
        .await;
    agents[0].send(done(&run, 0)).await;
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 110);
    assert_eq!(result.message, "agent w2: test run was marked as failed");
    c.stop().await;
}

/// SIGTERM on a coordinator mid-run (the binary cancels its shutdown
/// token): the run is stopped as a stop would stop it (agents drain,
/// teardown runs), no new run starts, and the interrupted result is still
/// served to the waiting CLI before the server ends.
#[tokio::test]
async fn a_shutdown_mid_run_stops_it_and_still_serves_its_result() {
    let c = start_coordinator(quiet(2).with_shutdown_timeout(Duration::from_secs(30))).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let run = submit_assigned(&c, &mut agents, json!({"vus": 2, "duration": "1m"})).await;
    ready_and_start(&run, &mut agents).await;

    c.shutdown.cancel();
    for a in &mut agents {
        let control = control(a).await;
        assert_eq!(control.action, Some(control::Action::Stop(true)));
    }
    // Draining: no new run.
    let (code, text) = send_json(
        "POST",
        &c.url("/v1/runs"),
        &request(json!({}), &["default"]),
    )
    .await;
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("shutting down"), "{text}");

    for a in &mut agents {
        a.send(status(&run, RunState::Done, 0, 0)).await;
    }
    done_with_teardown(&run, &mut agents).await;
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 105);
    assert_eq!(
        result.message,
        "test run was aborted because the coordinator is shutting down"
    );
    // Read: the server ends (agent sessions closed, connections drained).
    tokio::time::timeout(Duration::from_secs(15), c.task)
        .await
        .expect("the coordinator ends once the result was read")
        .unwrap()
        .unwrap();
}

/// A run whose parts could need more VUs than their agents hold (each
/// agent's `--max-vus`, or what its memory holds) is refused before any
/// agent hears of it, naming every agent that is short, with exit 104.
#[tokio::test]
async fn a_run_that_does_not_fit_its_agents_is_refused_before_it_starts() {
    let c = start_coordinator(quiet(2)).await;
    // w1 says --max-vus 5; w2 reports 1 GiB of memory: 3,072 VUs.
    let mut limited = hello("w1");
    limited.capacity.as_mut().unwrap().max_vus = 5;
    let mut w1 = FakeAgent::connect(c.addr, limited.into(), None)
        .await
        .unwrap();
    w1.welcome().await;
    let (mut w2, _) = FakeAgent::welcomed(c.addr, "w2").await;
    c.until_connected(2).await;

    let view = submit(
        &c,
        &request(json!({"vus": 8000, "duration": "1m"}), &["default"]),
    )
    .await;
    let result = finished(&c, &view.id).await.result.unwrap();
    assert_eq!(result.exit_code, 104, "{}", result.message);
    assert_eq!(
        result.message,
        "the run does not fit its agents: w1 (0:1/2) could need 4000 VUs and holds at most 5 VUs \
         (--max-vus); w2 (1/2:1) could need 4000 VUs and holds at most 3072 VUs (75% of 1.0 GiB of \
         memory at 256 KiB per VU; --max-vus sets another limit)"
    );

    // A run that fits goes ahead: 10 VUs, 5 each.
    let run = submit(
        &c,
        &request(json!({"vus": 10, "duration": "1m"}), &["default"]),
    )
    .await
    .id;
    for a in [&mut w1, &mut w2] {
        let assign = assign(a).await;
        assert_eq!(assign.run_id, run);
    }
    c.stop().await;
}
