//! The ends of a part that the coordinator did not ask for: a closed
//! session, an init exception, options that do not convert, the agent's
//! own shutdown.

use std::time::Duration;

use k6r_agent::Runner;
use k6r_proto::v1::{self, agent_message::Kind as Up, coordinator_message::Kind as Down, RunState};

use crate::common::PATIENCE;
use crate::support::{agent, assign, control, start, until_ready, Seen};
use crate::target;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_stops_the_load_within_ten_seconds() {
    let target = target::Target::start();
    let (agent, mut session, runner, _fake) = agent().await;
    let script = "import http from 'k6/http';\nimport { sleep } from 'k6';\nexport default function () { http.get(__ENV.TARGET); sleep(0.01); }\n";
    let options = serde_json::json!({"scenarios": {"s": {
        "executor": "constant-vus", "vus": 2, "duration": "60s"}}});
    let mut a = assign("r5", script, options);
    a.env.insert("TARGET".into(), target.url());
    session.send(Down::Assign(a)).await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;
    let (message, _) = start("r5", Duration::ZERO, "");
    session.send(message).await;
    let patience = tokio::time::Instant::now() + PATIENCE;
    while target.requests() == 0 {
        assert!(tokio::time::Instant::now() < patience, "no load");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    session.close();
    let closed = tokio::time::Instant::now();
    while runner.active_run().is_some() {
        assert!(
            closed.elapsed() < Duration::from_secs(10),
            "the run goes on"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The run has returned: its VUs are gone, nothing hits the target.
    let after = target.requests();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(target.requests(), after);
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_init_exception_is_an_agent_error_107_naming_the_line() {
    let (agent, mut session, runner, _fake) = agent().await;
    let script = "export default function () {}\n\nthrow new Error('boom');\n";
    session
        .send(Down::Assign(assign("r6", script, serde_json::json!({}))))
        .await;
    let mut seen = Seen::default();
    match seen.next_other(&mut session).await {
        Up::Error(e) => {
            assert_eq!((e.run_id.as_str(), e.exit_code), ("r6", 107));
            assert!(e.message.contains("boom"), "{}", e.message);
            assert!(e.message.contains("script.js:3"), "{}", e.message);
        }
        other => panic!("expected an AgentError, got {other:?}"),
    }
    assert_eq!(seen.statuses[0].state(), RunState::Initializing);
    let patience = tokio::time::Instant::now() + PATIENCE;
    while runner.active_run().is_some() {
        assert!(tokio::time::Instant::now() < patience);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_that_do_not_convert_are_an_agent_error_104_naming_the_field() {
    let (agent, mut session, _, _fake) = agent().await;
    let mut a = assign(
        "r15",
        "export default function () {}\n",
        serde_json::json!({}),
    );
    a.options = Some(v1::Options {
        scenarios: Some(v1::Scenarios {
            by_name: [("load".to_owned(), v1::Scenario::default())].into(),
        }),
        ..v1::Options::default()
    });
    session.send(Down::Assign(a)).await;
    let mut seen = Seen::default();
    match seen.next_other(&mut session).await {
        Up::Error(e) => {
            assert_eq!((e.run_id.as_str(), e.exit_code), ("r15", 104));
            assert!(
                e.message
                    .contains(r#"options.scenarios["load"].executor: missing"#),
                "{}",
                e.message
            );
        }
        other => panic!("expected an AgentError, got {other:?}"),
    }
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_the_run_before_the_session_closes() {
    let (agent, mut session, _, _fake) = agent().await;
    let script = "import { sleep } from 'k6';\nexport default function () { sleep(0.05); }\n";
    let options = serde_json::json!({"scenarios": {"s": {
        "executor": "constant-vus", "vus": 2, "duration": "60s"}}});
    session
        .send(Down::Assign(assign("r7", script, options)))
        .await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;
    let (message, _) = start("r7", Duration::ZERO, "");
    session.send(message).await;
    seen.until(&mut session, |s| {
        s.statuses.last().is_some_and(|s| s.iterations_complete > 0)
    })
    .await;
    // A Control of another run is ignored (no ack).
    session.send(control("other", 1, 5)).await;

    let stopping = tokio::spawn(agent.stop());
    seen.until(&mut session, |s| s.done.is_some()).await;
    let states: Vec<RunState> = seen.statuses.iter().map(|s| s.state()).collect();
    let draining = states.iter().position(|s| *s == RunState::Draining);
    let done = states.iter().position(|s| *s == RunState::Done);
    assert!(draining.is_some() && draining < done, "{states:?}");
    assert!(seen.counter("iterations") > 0.0);
    assert_eq!(seen.done.as_ref().unwrap().exit_code, 105);
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("the agent stops")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_iteration_in_flight_complete_within_graceful_stop() {
    let (agent, mut session, _, _fake) = agent().await;
    let script = "import { sleep } from 'k6';\nexport default function () { sleep(2); }\n";
    let options = serde_json::json!({"scenarios": {"s": {
        "executor": "constant-vus", "vus": 1, "duration": "60s", "gracefulStop": "10s"}}});
    session
        .send(Down::Assign(assign("r9", script, options)))
        .await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;
    let (message, _) = start("r9", Duration::ZERO, "");
    session.send(message).await;
    seen.until(&mut session, |s| {
        s.statuses
            .last()
            .is_some_and(|s| s.state() == RunState::Running && s.vus == 1)
    })
    .await;

    // SIGTERM while the first (2 s) iteration runs.
    let stopping = tokio::spawn(agent.stop());
    seen.until(&mut session, |s| s.done.is_some()).await;
    let last = seen.statuses.last().unwrap();
    assert_eq!(last.state(), RunState::Done);
    assert_eq!(
        (last.iterations_complete, last.iterations_interrupted),
        (1, 0),
        "the iteration in flight completed; none started after the drain"
    );
    assert_eq!(seen.counter("iterations"), 1.0);
    assert_eq!(seen.done.as_ref().unwrap().exit_code, 105);
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("the agent stops")
        .unwrap();
}
