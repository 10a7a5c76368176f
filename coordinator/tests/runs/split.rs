//! How a run is split over its agents (segments, weights, capacity),
//! setup on the lead, the merged metrics, and submissions refused.

use std::time::Duration;

use k6r_proto::v1::{Assign, RunState, SetupDone, Start};
use serde_json::{json, Value};

use crate::common::{get, hello, send_json, start_coordinator, FakeAgent, TestCoordinator};
use crate::support::{
    abort, assign, connect, delta, done, finished, iterations, quiet, request, run_setup, start,
    status, submit, teardown, unix_nanos, until_status,
};

/// A second run while one is in progress is refused with k6's 409.
async fn assert_a_second_run_conflicts(c: &TestCoordinator, body: &Value, run: &str) {
    let (code, text) = send_json("POST", &c.url("/v1/runs"), body).await;
    assert_eq!(code, 409, "{text}");
    assert_eq!(
        text,
        format!(
            r#"{{"errors":[{{"status":"409","title":"Conflict","detail":"run {run} is in progress"}}]}}"#
        )
    );
}

/// Three equal segments of one sequence, the first agent the lead, each
/// with the archive and the default metrics interval, and (no autopilot)
/// none asked for its CPU.
fn assert_split_in_thirds_with_a_lead(assigns: &[Assign]) {
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
    assert_eq!(&archive.files["/s.js"][..], b"export default () => {}");
    assert_eq!(assigns[0].metrics_interval_ms, 1000);
    assert!(assigns.iter().all(|a| !a.report_cpu));
}

/// Every agent gets ready; the lead (agent 0) runs setup() and returns
/// `{"token":"abc"}`; every agent then gets one Start, in the future, with
/// that data. The Starts.
async fn setup_on_the_lead_then_start(run: &str, agents: &mut [FakeAgent]) -> Vec<Start> {
    for a in agents.iter() {
        a.send(status(run, RunState::Initializing, 0, 0)).await;
        a.send(status(run, RunState::Ready, 0, 0)).await;
    }
    run_setup(&mut agents[0]).await;
    agents[0]
        .send(SetupDone {
            run_id: run.into(),
            data_json: r#"{"token":"abc"}"#.into(),
            ..SetupDone::default()
        })
        .await;
    let before = unix_nanos();
    let mut starts = Vec::new();
    for a in agents.iter_mut() {
        starts.push(start(a).await);
    }
    assert!(starts
        .iter()
        .all(|s| s.setup_data_json == r#"{"token":"abc"}"#));
    assert!(starts
        .iter()
        .all(|s| s.start_unix_nanos == starts[0].start_unix_nanos));
    assert!(starts[0].start_unix_nanos > before);
    starts
}

/// Once the run is over, k6's status is 9 (ended) and its metrics and
/// groups endpoints read the merged registry: 10 iterations.
async fn assert_the_rest_api_reads_the_merged_metrics(c: &TestCoordinator) {
    let (_, text) = get(&c.url("/v1/status"), None).await;
    let status_body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status_body["data"]["attributes"]["status"], 9, "{text}");
    let (code, text) = get(&c.url("/v1/metrics/iterations"), None).await;
    assert_eq!(code, 200, "{text}");
    let metric: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        metric["data"]["attributes"]["sample"]["count"], 10,
        "{text}"
    );
    let (code, text) = get(&c.url("/v1/groups"), None).await;
    assert_eq!(code, 200, "{text}");
}

#[tokio::test]
async fn a_run_is_split_over_three_agents_with_setup_on_the_lead_and_merged_metrics() {
    let c = start_coordinator(quiet(3)).await;
    let mut agents = connect(&c, &["w1", "w2", "w3"]).await;
    let body = request(json!({"vus": 3, "duration": "1s"}), &["default", "setup"]);
    let view = submit(&c, &body).await;
    let run = view.id.clone();
    assert_a_second_run_conflicts(&c, &body, &run).await;

    let mut assigns = Vec::new();
    for a in &mut agents {
        assigns.push(assign(a).await);
    }
    assert_split_in_thirds_with_a_lead(&assigns);
    let starts = setup_on_the_lead_then_start(&run, &mut agents).await;

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
    let teardown = teardown(&mut agents[0]).await;
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
    assert_the_rest_api_reads_the_merged_metrics(&c).await;

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
