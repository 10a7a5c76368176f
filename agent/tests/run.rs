//! The agent runs its part of a distributed test, driven by a fake
//! coordinator that sends the run messages of the proto's lifecycle.

mod common;
#[path = "../../runner/tests/common/target.rs"]
mod target;

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use common::{
    agent_config,
    fake::{self, Session},
    start_agent_with, TestAgent, PATIENCE,
};
use k6r_agent::{EngineRunner, Runner};
use k6r_core::metrics::{Delta, Registry, Sink};
use k6r_proto::{
    convert::to_unix_nanos,
    v1::{
        agent_message::Kind as Up, control::Action, coordinator_message::Kind as Down, Abort,
        Archive, Assign, Control, RunDone, RunSetup, RunState, RunStatus, RunTeardown, Scale,
        Start,
    },
};

const ENTRY: &str = "/test/script.js";

fn assign(run_id: &str, script: &str, options: serde_json::Value) -> Assign {
    Assign {
        run_id: run_id.into(),
        archive: Some(Archive {
            entry: ENTRY.into(),
            files: [(ENTRY.to_owned(), script.as_bytes().to_vec())].into(),
        }),
        options_json: options.to_string(),
        metrics_interval_ms: 100,
        ..Assign::default()
    }
}

/// An agent with the real runner on a fake coordinator, its session open.
async fn agent() -> (TestAgent, Session, EngineRunner, fake::Fake) {
    agent_holding(None).await
}

/// An agent started with `--max-vus max_vus`.
async fn agent_holding(max_vus: Option<u64>) -> (TestAgent, Session, EngineRunner, fake::Fake) {
    let mut fake = fake::start().await;
    let runner = EngineRunner::new().with_workers(1).with_max_vus(max_vus);
    let agent = start_agent_with(
        agent_config(fake.url(), "a1"),
        Arc::new(runner.clone()) as Arc<dyn Runner>,
    );
    let session = fake.session().await;
    (agent, session, runner, fake)
}

/// Everything the agent reports about a run.
#[derive(Default)]
struct Seen {
    statuses: Vec<RunStatus>,
    seqs: Vec<u64>,
    merged: Registry,
    /// `(scenario, metric)` of every per-scenario slice in the deltas.
    slices: Vec<(String, String)>,
    done: Option<RunDone>,
}

impl Seen {
    fn take(&mut self, kind: Up) -> Option<Up> {
        match kind {
            Up::Status(status) => self.statuses.push(status),
            Up::Metrics(delta) => {
                self.seqs.push(delta.seq);
                let delta = Delta::try_from(&delta).unwrap();
                self.slices.extend(
                    delta
                        .slices
                        .iter()
                        .map(|s| (s.scenario.clone(), s.metric.name.clone())),
                );
                self.merged.apply_delta(&delta).unwrap();
            }
            Up::Done(done) => self.done = Some(done),
            other => return Some(other),
        }
        None
    }

    /// Reads until `until` holds; other messages are returned to the test
    /// in order.
    async fn until(&mut self, session: &mut Session, until: impl Fn(&Seen) -> bool) -> Vec<Up> {
        let mut others = Vec::new();
        while !until(self) {
            if let Some(other) = self.take(session.recv().await) {
                others.push(other);
            }
        }
        others
    }

    /// The next message that is not a status, a delta or RunDone.
    async fn next_other(&mut self, session: &mut Session) -> Up {
        loop {
            if let Some(other) = self.take(session.recv().await) {
                return other;
            }
        }
    }

    fn last_state(&self) -> Option<RunState> {
        self.statuses.last().map(|s| s.state())
    }

    fn counter(&self, name: &str) -> f64 {
        match self.merged.sink(name) {
            Some(Sink::Counter(c)) => c.count(),
            _ => 0.0,
        }
    }
}

async fn until_ready(session: &mut Session, seen: &mut Seen) {
    let others = seen
        .until(session, |s| s.last_state() == Some(RunState::Ready))
        .await;
    assert!(others.is_empty(), "unexpected: {others:?}");
    assert_eq!(seen.statuses[0].state(), RunState::Initializing);
}

fn start(run_id: &str, after: Duration, data: &str) -> (Down, SystemTime) {
    let at = SystemTime::now() + after;
    let start = Start {
        run_id: run_id.into(),
        start_unix_nanos: to_unix_nanos(at),
        setup_data_json: data.into(),
    };
    (Down::Start(start), at)
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_controlled_scenario_scales_beside_a_segmented_one_and_abort_ends_it() {
    // cv's half takes 2 of the 20 VUs this agent holds: ext may grow to 18.
    let (agent, mut session, runner, _fake) = agent_holding(Some(20)).await;
    let script = "import { sleep } from 'k6';\nexport default function () { sleep(0.05); }\n";
    let options = serde_json::json!({"scenarios": {
        "ext": {"executor": "externally-controlled", "vus": 2, "maxVUs": 10, "duration": "60s"},
        "cv": {"executor": "constant-vus", "vus": 4, "duration": "60s"},
    }});
    let mut a = assign("r3", script, options);
    a.execution_segment = "0:1/2".into();
    a.execution_segment_sequence = "0,1/2,1".into();
    a.pinned_scenarios = vec!["ext".into()];
    session.send(Down::Assign(a.clone())).await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;
    assert_eq!(runner.active_run().as_deref(), Some("r3"));

    let (message, _) = start("r3", Duration::ZERO, "");
    session.send(message).await;
    // ext runs whole (2 VUs), cv half of its 4.
    seen.until(&mut session, |s| {
        s.statuses
            .last()
            .is_some_and(|s| s.state() == RunState::Running && s.vus == 4)
    })
    .await;

    // A second Assign while busy.
    let mut other = a.clone();
    other.run_id = "r4".into();
    session.send(Down::Assign(other)).await;
    match seen.next_other(&mut session).await {
        Up::Error(e) => {
            assert_eq!(e.run_id, "r4");
            assert!(e.message.contains("busy with run r3"), "{}", e.message);
        }
        other => panic!("expected an AgentError, got {other:?}"),
    }

    session.send(control("r3", 1, 5)).await;
    match seen.next_other(&mut session).await {
        Up::ControlAck(ack) => assert_eq!((ack.seq, ack.error.as_str()), (1, "")),
        other => panic!("expected a ControlAck, got {other:?}"),
    }
    seen.until(&mut session, |s| {
        s.statuses.last().is_some_and(|s| s.vus == 7)
    })
    .await;

    session.send(control("r3", 2, 50)).await;
    match seen.next_other(&mut session).await {
        Up::ControlAck(ack) => {
            assert_eq!(ack.seq, 2);
            assert!(ack.error.contains("maxVUs"), "{}", ack.error);
        }
        other => panic!("expected a ControlAck, got {other:?}"),
    }

    // vus-max past what this machine holds beside cv is refused, not
    // initialised.
    session
        .send(Down::Control(Control {
            run_id: "r3".into(),
            seq: 3,
            action: Some(Action::Scale(Scale {
                vus: None,
                vus_max: Some(19),
            })),
        }))
        .await;
    match seen.next_other(&mut session).await {
        Up::ControlAck(ack) => {
            assert_eq!(ack.seq, 3);
            assert_eq!(
                ack.error,
                "invalid configuration supplied: the number of maxVUs (19) must be at most 18, what this machine holds beside the other scenarios (--max-vus)"
            );
        }
        other => panic!("expected a ControlAck, got {other:?}"),
    }

    let aborted = tokio::time::Instant::now();
    session
        .send(Down::Abort(Abort {
            run_id: "r3".into(),
            exit_code: 108,
            reason: "aborted by the test".into(),
        }))
        .await;
    seen.until(&mut session, |s| s.done.is_some()).await;
    assert!(
        aborted.elapsed() < Duration::from_secs(5),
        "{:?}",
        aborted.elapsed()
    );
    let done = seen.done.unwrap();
    assert_eq!(done.exit_code, 108);
    assert_eq!(done.message, "aborted by the test");
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_before_the_start_is_refused_at_once() {
    let (agent, mut session, _, _fake) = agent().await;
    let script = "export default function () {}\n";
    let options = serde_json::json!({"scenarios": {
        "ext": {"executor": "externally-controlled", "vus": 1, "maxVUs": 2, "duration": "2s"}}});
    session
        .send(Down::Assign(assign("r12", script, options)))
        .await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;

    let asked = tokio::time::Instant::now();
    session.send(control("r12", 1, 2)).await;
    match seen.next_other(&mut session).await {
        Up::ControlAck(ack) => {
            assert_eq!(ack.seq, 1);
            assert_eq!(ack.error, "the run has not started");
        }
        other => panic!("expected a ControlAck, got {other:?}"),
    }
    // Not after the 5 s a control handle may take.
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "{:?}",
        asked.elapsed()
    );
    session
        .send(Down::Abort(Abort {
            run_id: "r12".into(),
            exit_code: 108,
            reason: "done".into(),
        }))
        .await;
    seen.until(&mut session, |s| s.done.is_some()).await;
    agent.stop().await;
}

fn control(run_id: &str, seq: u64, vus: u64) -> Down {
    Down::Control(Control {
        run_id: run_id.into(),
        seq,
        action: Some(Action::Scale(Scale {
            vus: Some(vus),
            vus_max: None,
        })),
    })
}

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
async fn control_pause_is_refused_without_a_controlled_scenario_and_stop_ends_the_run() {
    let (agent, mut session, _, _fake) = agent().await;
    let script = "import { sleep } from 'k6';\nexport default function () { sleep(0.05); }\n";
    let options = serde_json::json!({"scenarios": {"s": {
        "executor": "constant-vus", "vus": 2, "duration": "60s"}}});
    session
        .send(Down::Assign(assign("r8", script, options)))
        .await;
    let mut seen = Seen::default();
    until_ready(&mut session, &mut seen).await;
    let (message, _) = start("r8", Duration::ZERO, "");
    session.send(message).await;
    seen.until(&mut session, |s| s.last_state() == Some(RunState::Running))
        .await;

    let action = |seq, action| {
        Down::Control(Control {
            run_id: "r8".into(),
            seq,
            action: Some(action),
        })
    };
    session.send(action(1, Action::Pause(true))).await;
    match seen.next_other(&mut session).await {
        Up::ControlAck(ack) => {
            assert_eq!(ack.seq, 1);
            assert!(ack.error.contains("can't pause"), "{}", ack.error);
        }
        other => panic!("expected a ControlAck, got {other:?}"),
    }
    session.send(action(2, Action::Stop(true))).await;
    match seen.next_other(&mut session).await {
        Up::ControlAck(ack) => assert_eq!((ack.seq, ack.error.as_str()), (2, "")),
        other => panic!("expected a ControlAck, got {other:?}"),
    }
    seen.until(&mut session, |s| s.done.is_some()).await;
    assert!(seen
        .statuses
        .iter()
        .any(|s| s.state() == RunState::Draining));
    assert_eq!(
        seen.done.unwrap().exit_code,
        103,
        "stopped as by k6's REST API"
    );
    agent.stop().await;
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

/// The per-scenario slices of a run of one scenario, with or without the
/// breakdown.
async fn slices(breakdown: bool) -> Vec<(String, String)> {
    let (agent, mut session, _, _fake) = agent().await;
    let script = "export default function () {}\n";
    let options = serde_json::json!({"scenarios": {"one": {
        "executor": "shared-iterations", "vus": 1, "iterations": 2}}});
    let mut a = assign("r10", script, options);
    a.breakdown = breakdown;
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
    let full = slices(true).await;
    assert!(
        full.contains(&("one".to_owned(), "iterations".to_owned())),
        "{full:?}"
    );
    let plain = slices(false).await;
    assert!(plain.is_empty(), "{plain:?}");
}
