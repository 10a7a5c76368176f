//! A run's exit code and message: thresholds, agent errors, setup
//! failures and a test marked failed.

use k6r_proto::v1::{AgentError, RunDone, RunState, SetupDone};
use serde_json::json;

use crate::common::start_coordinator;
use crate::support::{
    abort, assign, connect, delta, done, finished, iterations_of, quiet, ready_and_start, request,
    run_setup, status, submit, submit_assigned, teardown,
};

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
    teardown(&mut agents[0]).await;
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
    run_setup(&mut agents[0]).await;
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
    teardown(&mut agents[0]).await;
    agents[0].send(done(&run, 0)).await;
    let result = finished(&c, &run).await.result.unwrap();
    assert_eq!(result.exit_code, 110);
    assert_eq!(result.message, "agent w2: test run was marked as failed");
    c.stop().await;
}
