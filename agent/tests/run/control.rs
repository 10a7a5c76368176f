//! Controls of a running part: scaling the pinned externally-controlled
//! scenario, refusals, pause, stop and abort.

use std::time::Duration;

use k6r_agent::Runner;
use k6r_proto::v1::{
    agent_message::Kind as Up, control::Action, coordinator_message::Kind as Down, Abort, Assign,
    Control, RunState, Scale,
};

use crate::common::fake::Session;
use crate::support::{agent, agent_holding, assign, control, start, until_ready, Seen};

/// A second Assign (run r4) while `a` (run r3) runs: an AgentError.
async fn assert_a_second_assign_is_refused_as_busy(
    session: &mut Session,
    seen: &mut Seen,
    a: &Assign,
) {
    let mut other = a.clone();
    other.run_id = "r4".into();
    session.send(Down::Assign(other)).await;
    match seen.next_other(session).await {
        Up::Error(e) => {
            assert_eq!(e.run_id, "r4");
            assert!(e.message.contains("busy with run r3"), "{}", e.message);
        }
        other => panic!("expected an AgentError, got {other:?}"),
    }
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

    assert_a_second_assign_is_refused_as_busy(&mut session, &mut seen, &a).await;

    session.send(control("r3", 1, 5)).await;
    match seen.next_other(&mut session).await {
        Up::ControlAck(ack) => assert_eq!((ack.seq, ack.error.as_str()), (1, "")),
        other => panic!("expected a ControlAck, got {other:?}"),
    }
    seen.until(&mut session, |s| {
        s.statuses.last().is_some_and(|s| s.vus == 7)
    })
    .await;

    // k6's rules and texts (k6r_core::scale), as a local run's API; the
    // coordinator forwards a negative count as given.
    let refusals = [
        (Some(50), None, "invalid configuration supplied: the number of active VUs (50) must be less than or equal to the number of maxVUs (10)"),
        // vus-max past what this machine holds beside cv is refused, not
        // initialised.
        (None, Some(19), "invalid configuration supplied: the number of maxVUs (19) must be at most 18, what this machine holds beside the other scenarios (--max-vus)"),
        (Some(-1), None, "invalid configuration supplied: the number of VUs can't be negative"),
    ];
    for (seq, (vus, vus_max, refusal)) in (2..).zip(refusals) {
        let scale = Scale { vus, vus_max };
        session
            .send(Down::Control(Control {
                run_id: "r3".into(),
                seq,
                action: Some(Action::Scale(scale)),
            }))
            .await;
        match seen.next_other(&mut session).await {
            Up::ControlAck(ack) => assert_eq!((ack.seq, ack.error.as_str()), (seq, refusal)),
            other => panic!("expected a ControlAck, got {other:?}"),
        }
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
