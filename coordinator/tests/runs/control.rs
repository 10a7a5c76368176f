//! Controls of a running run through the coordinator's REST API, and the
//! coordinator's own shutdown mid-run.

use std::time::Duration;

use k6r_proto::v1::{control, coordinator_message::Kind, Control, ControlAck, RunState};
use serde_json::{json, Value};

use crate::common::{send_json, start_coordinator};
use crate::support::{
    assign, connect, control, done_with_teardown, finished, quiet, ready_and_start, request,
    status, submit, submit_assigned, until_status,
};

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
            scenario: None,
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
            scenario: None,
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
            scenario: None,
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
