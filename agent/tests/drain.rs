//! Shutdown lets the runner drain with the session still open.

mod common;

use std::{sync::Arc, time::Duration};

use common::{agent_config, coordinator_config, start_agent_with, start_coordinator};
use k6r_agent::{runner::Drain, Command, Runner, Uplink};
use k6r_coordinator::registry::AgentEvent;
use k6r_proto::v1::{agent_message::Kind, RunDone, RunState, RunStatus};

const GRACEFUL_STOP: Duration = Duration::from_secs(2);

/// Reports draining, "finishes iterations" for GRACEFUL_STOP, reports done.
struct SlowDrain;

impl Runner for SlowDrain {
    fn command(&self, _: Command, _: &Uplink) {}

    fn drain(&self, uplink: Uplink) -> Drain {
        Box::pin(async move {
            let draining = RunStatus {
                run_id: "r1".into(),
                state: RunState::Draining.into(),
                ..RunStatus::default()
            };
            uplink.send(draining).await.unwrap();
            tokio::time::sleep(GRACEFUL_STOP).await;
            let done = RunDone {
                run_id: "r1".into(),
                ..RunDone::default()
            };
            uplink.send(done).await.unwrap();
        })
    }
}

#[tokio::test(start_paused = true)]
async fn the_session_stays_open_while_the_runner_drains() {
    let coordinator = start_coordinator(coordinator_config()).await;
    let mut agent = start_agent_with(
        agent_config(coordinator.endpoint(), "w1"),
        Arc::new(SlowDrain),
    );
    agent.until_connected().await;
    let mut events = coordinator.registry.events();

    let asked = tokio::time::Instant::now();
    agent.stop().await;
    assert!(
        asked.elapsed() >= GRACEFUL_STOP,
        "left after {:?}",
        asked.elapsed()
    );

    let mut kinds = Vec::new();
    for _ in 0..2 {
        let event = tokio::time::timeout(common::PATIENCE, events.recv())
            .await
            .expect("the runner's messages arrive")
            .unwrap();
        let AgentEvent { message, .. } = event;
        kinds.push(message);
    }
    assert!(
        matches!(&kinds[..], [Kind::Status(s), Kind::Done(d)] if s.state() == RunState::Draining && d.run_id == "r1"),
        "{kinds:?}"
    );
    // Heartbeats went on during the drain (longer than the expiry), and the
    // goodbye was clean.
    coordinator.until_connected(0).await;
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(
        agents[0].state,
        k6r_coordinator::registry::AgentState::Disconnected
    );
    coordinator.stop().await;
}
