//! A segment's share with numbered deltas, setup and teardown on the lead,
//! and the per-scenario slices the deltas carry with the breakdown.

use std::time::Duration;

use k6r_proto::{
    convert::to_unix_nanos,
    v1::{
        agent_message::Kind as Up, coordinator_message::Kind as Down, RunSetup, RunState,
        RunTeardown,
    },
};

use crate::support::{agent, assign, start, until_ready, Seen};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_runs_its_share_and_reports_numbered_deltas() {
    let (agent, mut session, _, _fake) = agent().await;
    let script = "export default function () {}\n";
    let options = serde_json::json!({"scenarios": {"s": {
        "executor": "shared-iterations", "vus": 3, "iterations": 30}}});
    let mut a = assign("r1", script, options);
    a.execution_segment = "0:1/3".into();
    a.execution_segment_sequence = "0,1/3,2/3,1".into();
    session.send(Down::Assign(a)).await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;

    let (message, at) = start("r1", Duration::from_millis(300), "");
    session.send(message).await;
    let others = seen.until(&mut session, |s| s.done.is_some()).await;
    assert!(others.is_empty(), "unexpected: {others:?}");

    let running = seen
        .statuses
        .iter()
        .find(|s| s.state() == RunState::Running)
        .expect("a RUNNING status");
    assert!(
        running.started_unix_nanos >= to_unix_nanos(at),
        "started {} before the Start instant {}",
        running.started_unix_nanos,
        to_unix_nanos(at)
    );
    assert_eq!(seen.counter("iterations"), 10.0, "a third of 30");
    let expected: Vec<u64> = (1..=seen.seqs.len() as u64).collect();
    assert!(!seen.seqs.is_empty());
    assert_eq!(seen.seqs, expected);
    assert_eq!(seen.last_state(), Some(RunState::Done));
    let done = seen.done.unwrap();
    assert_eq!(done.exit_code, 0, "{}", done.message);
    agent.stop().await;
}

const SETUP_SCRIPT: &str = r#"import { Counter } from 'k6/metrics';
const seen = new Counter('seen');
const torn = new Counter('torn');
export function setup() { return { n: 7 }; }
export default function (data) { seen.add(data.n); }
export function teardown(data) { torn.add(data.n * 2); }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lead_runs_setup_and_waits_for_run_teardown() {
    let (agent, mut session, _, _fake) = agent().await;
    let options = serde_json::json!({"scenarios": {"s": {
        "executor": "shared-iterations", "vus": 1, "iterations": 3}}});
    let mut a = assign("r2", SETUP_SCRIPT, options);
    a.lead = true;
    session.send(Down::Assign(a)).await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;

    session
        .send(Down::RunSetup(RunSetup {
            run_id: "r2".into(),
        }))
        .await;
    let setup = match session.recv().await {
        Up::SetupDone(done) => done,
        other => panic!("expected SetupDone, got {other:?}"),
    };
    assert_eq!(setup.error, "");
    let data: serde_json::Value = serde_json::from_str(&setup.data_json).unwrap();
    assert_eq!(data, serde_json::json!({"n": 7}));

    let (message, _) = start("r2", Duration::ZERO, &setup.data_json);
    session.send(message).await;
    seen.until(&mut session, |s| s.last_state() == Some(RunState::Done))
        .await;
    assert_eq!(seen.counter("seen"), 21.0, "three iterations saw n = 7");
    // The lead waits for RunTeardown.
    while let Some(kind) = session.recv_within(Duration::from_millis(500)).await {
        assert!(seen.take(kind).is_none());
    }
    assert!(seen.done.is_none(), "RunDone before RunTeardown");
    assert_eq!(seen.counter("torn"), 0.0);

    session
        .send(Down::RunTeardown(RunTeardown {
            run_id: "r2".into(),
            setup_data_json: setup.data_json.clone(),
        }))
        .await;
    seen.until(&mut session, |s| s.done.is_some()).await;
    assert_eq!(seen.counter("torn"), 14.0, "teardown saw the data");
    let done = seen.done.unwrap();
    assert_eq!((done.exit_code, done.teardown_error.as_str()), (0, ""));
    agent.stop().await;
}

/// The per-scenario slices of a run of one scenario (with a check) with
/// `breakdown`.
async fn slices(breakdown: k6r_proto::v1::Breakdown) -> Vec<(String, String)> {
    let (agent, mut session, _, _fake) = agent().await;
    let script = "import { check } from 'k6';\n\
        export default function () { check(1, { one: (v) => v === 1 }); }\n";
    let options = serde_json::json!({"scenarios": {"one": {
        "executor": "shared-iterations", "vus": 1, "iterations": 2}}});
    let mut a = assign("r10", script, options);
    a.breakdown = breakdown.into();
    session.send(Down::Assign(a)).await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;
    session.send(start("r10", Duration::ZERO, "").0).await;
    seen.until(&mut session, |s| s.done.is_some()).await;
    assert_eq!(seen.counter("iterations"), 2.0);
    agent.stop().await;
    seen.slices
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_breakdown_the_deltas_carry_the_scenario_slices() {
    use k6r_proto::v1::Breakdown;
    let slice = |metric: &str| ("one".to_owned(), metric.to_owned());
    let full = slices(Breakdown::Full).await;
    assert!(full.contains(&slice("iterations")), "{full:?}");
    assert!(full.contains(&slice("checks")), "{full:?}");
    // The headline metrics only.
    let headline = slices(Breakdown::Headline).await;
    assert!(headline.contains(&slice("checks")), "{headline:?}");
    assert!(!headline.contains(&slice("iterations")), "{headline:?}");
    let plain = slices(Breakdown::None).await;
    assert!(plain.is_empty(), "{plain:?}");
}

/// Runs `a` to its end; the iterations the agent reported.
async fn iterations_of(a: k6r_proto::v1::Assign) -> f64 {
    let (agent, mut session, _, _fake) = agent().await;
    let run_id = a.run_id.clone();
    session.send(Down::Assign(a)).await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;
    session.send(start(&run_id, Duration::ZERO, "").0).await;
    seen.until(&mut session, |s| s.done.is_some()).await;
    assert_eq!(seen.done.as_ref().unwrap().exit_code, 0);
    agent.stop().await;
    seen.counter("iterations")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assign_without_options_runs_the_script_s_own() {
    let script =
        "export const options = { iterations: 5, vus: 1 };\nexport default function () {}\n";
    let mut a = assign("r13", script, serde_json::json!({}));
    a.options = None;
    assert_eq!(iterations_of(a).await, 5.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shortcut_options_become_the_default_scenario_on_the_agent() {
    // As in `k6 run`: an unset vus is 1, so iterations alone run.
    let script = "export default function () {}\n";
    let a = assign("r14", script, serde_json::json!({"iterations": 3}));
    assert_eq!(iterations_of(a).await, 3.0);
}
