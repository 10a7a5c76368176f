//! `/v1/setup` through the coordinator, message by message with fake
//! agents: a PUT reaches every agent (and Start, RunTeardown and the
//! result), a POST runs setup() again on the lead and sends its data to
//! the others; a POST without setup() answers the data as k6 does; what
//! the run's phase does not allow is refused in k6's error shape.

mod common;

use std::{num::NonZeroUsize, time::Duration};

use common::{config, get, send_json, start_coordinator, FakeAgent, TestCoordinator, STEP};
use k6r_api::RunView;
use k6r_proto::v1::{
    control::Action, coordinator_message::Kind, Control, ControlAck, RunDone, RunState, RunStatus,
    SetupData, SetupDone, Start,
};
use serde_json::{json, Value};

fn quiet(agents: usize) -> k6r_coordinator::Config {
    config()
        .with_agents(NonZeroUsize::new(agents).unwrap())
        .with_heartbeat_interval(Duration::from_secs(60))
        .with_start_delay(Duration::from_millis(50))
}

async fn connect(c: &TestCoordinator, names: &[&str]) -> Vec<FakeAgent> {
    let mut agents = Vec::new();
    for name in names {
        agents.push(FakeAgent::welcomed(c.addr, name).await.0);
    }
    c.until_connected(names.len()).await;
    agents
}

/// Submits a run exporting `exports` and takes every agent's Assign.
async fn submit(c: &TestCoordinator, agents: &mut [FakeAgent], exports: &[&str]) -> String {
    let body = json!({
        "archive": {"entry": "/s.js", "files": {"/s.js": "ZXhwb3J0IGRlZmF1bHQgKCkgPT4ge30="}},
        "options": {"vus": 2, "duration": "1m"},
        "exports": exports,
    });
    let (status, text) = send_json("POST", &c.url("/v1/runs"), &body).await;
    assert_eq!(status, 201, "{text}");
    let view: RunView = serde_json::from_str(&text).unwrap();
    for a in agents.iter_mut() {
        a.expect("Assign", |k| match k {
            Kind::Assign(a) => Some(a),
            _ => None,
        })
        .await;
    }
    view.id
}

fn status(run: &str, state: RunState) -> RunStatus {
    RunStatus {
        run_id: run.into(),
        state: state.into(),
        vus: 1,
        vus_max: 1,
        started_unix_nanos: 1,
        ..RunStatus::default()
    }
}

/// Readies every agent, takes its Start and reports it running.
async fn start(run: &str, agents: &mut [FakeAgent]) -> Vec<Start> {
    for a in agents.iter() {
        a.send(status(run, RunState::Ready)).await;
    }
    let mut starts = Vec::new();
    for a in agents.iter_mut() {
        starts.push(
            a.expect("Start", |k| match k {
                Kind::Start(s) => Some(s),
                _ => None,
            })
            .await,
        );
        a.send(status(run, RunState::Running)).await;
    }
    starts
}

async fn control(agent: &mut FakeAgent) -> Control {
    agent
        .expect("Control", |k| match k {
            Kind::Control(c) => Some(c),
            _ => None,
        })
        .await
}

/// Takes a Control with setup data, acknowledges it and reports a status.
async fn ack_setup_data(run: &str, agent: &mut FakeAgent) -> String {
    let control = control(agent).await;
    let Some(Action::SetupData(SetupData { data_json })) = control.action else {
        panic!("{control:?}");
    };
    agent
        .send(ControlAck {
            run_id: run.into(),
            seq: control.seq,
            error: String::new(),
            scenario: None,
        })
        .await;
    agent.send(status(run, RunState::Running)).await;
    data_json
}

/// `METHOD /v1/setup` with a raw body: (status, body).
async fn setup(c: &TestCoordinator, method: &str, body: &'static str) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = reqwest::Client::new()
        .request(method, c.url("/v1/setup"))
        .body(body)
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    (code, response.text().await.unwrap())
}

fn envelope(data: &str) -> String {
    format!(r#"{{"data":{{"type":"setupData","id":"default","attributes":{{"data":{data}}}}}}}"#)
}

const EMPTY: &str = r#"{"data":{"type":"setupData","id":"default","attributes":{}}}"#;

/// Ends the run: every agent DONE, the lead's teardown (its data
/// returned), every RunDone; the result's setup data.
async fn end(c: &TestCoordinator, run: &str, agents: &mut [FakeAgent]) -> (String, Value) {
    let (code, _) = send_json("POST", &c.url(&format!("/v1/runs/{run}/stop")), &json!({})).await;
    assert_eq!(code, 200);
    for a in agents.iter_mut() {
        // Strictly the next message: nothing else came down before it.
        let next = tokio::time::timeout(STEP, a.next())
            .await
            .expect("the stop");
        let Ok(Some(Kind::Control(stop))) = next else {
            panic!("{next:?}");
        };
        assert_eq!(stop.action, Some(Action::Stop(true)));
        a.send(status(run, RunState::Done)).await;
    }
    for a in agents.iter().skip(1) {
        a.send(RunDone {
            run_id: run.into(),
            exit_code: 0,
            ..RunDone::default()
        })
        .await;
    }
    let teardown = agents[0]
        .expect("RunTeardown", |k| match k {
            Kind::RunTeardown(t) => Some(t),
            _ => None,
        })
        .await;
    agents[0]
        .send(RunDone {
            run_id: run.into(),
            exit_code: 0,
            ..RunDone::default()
        })
        .await;
    let view = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let (_, text) = get(&c.url(&format!("/v1/runs/{run}")), None).await;
            let view: Value = serde_json::from_str(&text).unwrap();
            if !view["result"].is_null() {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the run ends");
    (
        teardown.setup_data_json,
        view["result"]["setup_data"].clone(),
    )
}

#[tokio::test]
async fn a_put_reaches_every_agent_the_teardown_and_the_result() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let run = submit(&c, &mut agents, &["default"]).await;
    // Before the start: stored, and what Start carries.
    assert_eq!(
        setup(&c, "PUT", r#"{ "a" : 1 }"#).await,
        (200, envelope(r#"{"a":1}"#))
    );
    let starts = start(&run, &mut agents).await;
    assert!(starts.iter().all(|s| s.setup_data_json == r#"{"a":1}"#));

    let put = tokio::spawn({
        let url = c.url("/v1/setup");
        async move { send_json("PUT", &url, &json!({"n": 7})).await }
    });
    for a in &mut agents {
        assert_eq!(ack_setup_data(&run, a).await, r#"{"n":7}"#);
    }
    assert_eq!(
        put.await.unwrap(),
        (200, envelope(r#"{"n":7}"#)),
        "answered once every agent has it"
    );
    assert_eq!(setup(&c, "GET", "").await, (200, envelope(r#"{"n":7}"#)));

    // An agent that refuses: k6's shape, 500.
    let put = tokio::spawn({
        let url = c.url("/v1/setup");
        async move { send_json("PUT", &url, &json!({"n": 8})).await }
    });
    for a in &mut agents {
        let control = control(a).await;
        a.send(ControlAck {
            run_id: run.clone(),
            seq: control.seq,
            error: "the run is not initialised yet".into(),
            scenario: None,
        })
        .await;
    }
    let (code, text) = put.await.unwrap();
    assert_eq!(code, 500, "{text}");
    assert!(
        text.contains(
            r#""title":"Error setting setup data","detail":"the run is not initialised yet""#
        ),
        "{text}"
    );

    let (teardown, result) = end(&c, &run, &mut agents).await;
    assert_eq!(teardown, r#"{"n":8}"#);
    assert_eq!(result, r#"{"n":8}"#);
    // Once the run is over a PUT reaches nothing: refused.
    let (code, text) = setup(&c, "PUT", r#"{"late":true}"#).await;
    assert_eq!(code, 409, "{text}");
    assert!(text.contains("the test run has ended"), "{text}");
    c.stop().await;
}

#[tokio::test]
async fn a_post_runs_setup_again_on_the_lead_and_its_data_reaches_the_others() {
    let c = start_coordinator(quiet(2)).await;
    let mut agents = connect(&c, &["w1", "w2"]).await;
    let run = submit(&c, &mut agents, &["default", "setup"]).await;
    for a in &agents {
        a.send(status(&run, RunState::Ready)).await;
    }
    agents[0]
        .expect("RunSetup", |k| match k {
            Kind::RunSetup(s) => Some(s),
            _ => None,
        })
        .await;
    // Before the start it is the run's own setup: a POST is refused.
    let (code, text) = setup(&c, "POST", "").await;
    assert_eq!(code, 409, "{text}");
    assert!(text.contains("has not started"), "{text}");
    agents[0]
        .send(SetupDone {
            run_id: run.clone(),
            data_json: r#"{"n":1}"#.into(),
            ..SetupDone::default()
        })
        .await;
    for a in &mut agents {
        let start = a
            .expect("Start", |k| match k {
                Kind::Start(s) => Some(s),
                _ => None,
            })
            .await;
        assert_eq!(start.setup_data_json, r#"{"n":1}"#);
        a.send(status(&run, RunState::Running)).await;
    }

    post_while_a_patch_pauses(&c, &run, &mut agents).await;
    post_whose_setup_throws(&c, &run, &mut agents).await;
    // Teardown is the run's own, on the lead at the end.
    let (code, text) = setup_teardown(&c).await;
    assert_eq!(code, 409, "{text}");

    let (teardown, result) = end(&c, &run, &mut agents).await;
    assert_eq!(
        (teardown.as_str(), result),
        (r#"{"n":2}"#, json!(r#"{"n":2}"#))
    );
    c.stop().await;
}

/// `POST /v1/setup`, answered once setup() ran.
fn spawn_post(c: &TestCoordinator) -> tokio::task::JoinHandle<(u16, String)> {
    let url = c.url("/v1/setup");
    tokio::spawn(async move { send_json("POST", &url, &json!(null)).await })
}

/// A POST runs setup() again on the lead; a PATCH while it runs pauses
/// every agent, and the new data goes out to the others after it.
async fn post_while_a_patch_pauses(c: &TestCoordinator, run: &str, agents: &mut [FakeAgent]) {
    let post = spawn_post(c);
    agents[0]
        .expect("RunSetup again", |k| match k {
            Kind::RunSetup(s) => Some(s),
            Kind::Control(c) => panic!("the lead stores its own data: {c:?}"),
            _ => None,
        })
        .await;
    // A PATCH while setup() runs is applied; the new data goes out after
    // it.
    let patch = tokio::spawn({
        let url = c.url("/v1/status");
        async move {
            send_json(
                "PATCH",
                &url,
                &json!({"data": {"attributes": {"paused": true}}}),
            )
            .await
        }
    });
    let mut pauses = Vec::new();
    for a in agents.iter_mut() {
        pauses.push(control(a).await);
    }
    agents[0]
        .send(SetupDone {
            run_id: run.to_owned(),
            data_json: r#"{"n":2}"#.into(),
            ..SetupDone::default()
        })
        .await;
    for (a, pause) in agents.iter().zip(&pauses) {
        assert_eq!(pause.action, Some(Action::Pause(true)));
        a.send(ControlAck {
            run_id: run.to_owned(),
            seq: pause.seq,
            error: String::new(),
            scenario: None,
        })
        .await;
        a.send(status(run, RunState::Paused)).await;
    }
    assert_eq!(patch.await.unwrap().0, 200);
    assert_eq!(ack_setup_data(run, &mut agents[1]).await, r#"{"n":2}"#);
    assert_eq!(post.await.unwrap(), (200, envelope(r#"{"n":2}"#)));
}

/// A POST whose setup() throws: k6's 500, the data stays.
async fn post_whose_setup_throws(c: &TestCoordinator, run: &str, agents: &mut [FakeAgent]) {
    let post = spawn_post(c);
    agents[0]
        .expect("RunSetup again", |k| match k {
            Kind::RunSetup(s) => Some(s),
            _ => None,
        })
        .await;
    agents[0]
        .send(SetupDone {
            run_id: run.to_owned(),
            error: "Error: boom".into(),
            exit_code: 107,
            ..SetupDone::default()
        })
        .await;
    let (code, text) = post.await.unwrap();
    assert_eq!(code, 500, "{text}");
    assert!(
        text.contains(r#""title":"Error executing setup","detail":"Error: boom""#),
        "{text}"
    );
    assert_eq!(setup(c, "GET", "").await, (200, envelope(r#"{"n":2}"#)));
}

async fn setup_teardown(c: &TestCoordinator) -> (u16, String) {
    send_json("POST", &c.url("/v1/teardown"), &json!(null)).await
}

#[tokio::test]
async fn without_setup_a_post_answers_the_data_and_runs_nothing() {
    let c = start_coordinator(quiet(1)).await;
    // No run at all: nothing to store the data in.
    let (code, text) = setup(&c, "PUT", r#"{"a":1}"#).await;
    assert_eq!(code, 409, "{text}");
    assert!(
        text.contains(r#""status":"409","title":"Error setting setup data""#),
        "{text}"
    );
    assert_eq!(setup(&c, "GET", "").await, (200, EMPTY.to_owned()));

    let mut agents = connect(&c, &["w1"]).await;
    let run = submit(&c, &mut agents, &["default"]).await;
    start(&run, &mut agents).await;
    assert_eq!(setup(&c, "POST", "").await, (200, EMPTY.to_owned()));
    let put = tokio::spawn({
        let url = c.url("/v1/setup");
        async move { send_json("PUT", &url, &json!({"a": 1})).await }
    });
    ack_setup_data(&run, &mut agents[0]).await;
    assert_eq!(put.await.unwrap().0, 200);
    assert_eq!(setup(&c, "POST", "").await, (200, envelope(r#"{"a":1}"#)));
    // Nothing went to the agent for the POSTs: its next message down is
    // the stop.
    let (_, result) = end(&c, &run, &mut agents).await;
    assert_eq!(result, json!(r#"{"a":1}"#));
    c.stop().await;
}
