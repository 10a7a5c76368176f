//! An agent lost mid-run: the run aborts with 111, or goes on without it
//! and its result is marked partial.

use std::time::Duration;

use k6r_core::exit::ExitCode;
use k6r_proto::v1::RunState;
use serde_json::json;

use crate::common::start_coordinator;
use crate::support::{
    abort, assert_lost, assign, connect, delta, done, finished, iterations_of, lose_w2, quiet,
    ready_and_start, request, status, submit, teardown, until_lost, HB,
};

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
    teardown(&mut agents[0]).await;
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
