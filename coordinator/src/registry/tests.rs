//! The registry actor on its own, with paused time.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::*;

const HB: Duration = Duration::from_secs(1);

fn hello(name: &str) -> Hello {
    Hello {
        name: name.into(),
        version: Version::current(),
        capacity: Capacity {
            cpus: 4,
            memory_bytes: 1 << 30,
            max_vus: None,
        },
        resumed_run_id: None,
    }
}

fn link() -> (
    SessionLink,
    mpsc::Receiver<Result<CoordinatorMessage, tonic::Status>>,
) {
    let (tx, rx) = mpsc::channel(8);
    let link = SessionLink {
        tx,
        close: CancellationToken::new(),
    };
    (link, rx)
}

fn start() -> RegistryHandle {
    RegistryHandle::spawn(HB, CancellationToken::new()).0
}

#[tokio::test(start_paused = true)]
async fn ids_are_stable_by_name_and_duplicates_are_refused() {
    let registry = start();
    let (first, _rx1) = link();
    let a = registry
        .register(hello("w1"), first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.agent_id.as_str(), "agent-1");
    assert_eq!(a.heartbeat_interval, HB);

    let (second, _rx2) = link();
    let refused = registry.register(hello("w1"), second).await.unwrap();
    assert_eq!(
        refused,
        Err(Refusal::DuplicateName {
            name: "w1".into(),
            id: a.agent_id.clone()
        })
    );

    let (other, _rx3) = link();
    let b = registry
        .register(hello("w2"), other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.agent_id.as_str(), "agent-2");
    assert_eq!(registry.connected(), 2);

    registry
        .disconnected(a.agent_id.clone(), a.session, Disconnect::Closed)
        .await
        .unwrap();
    let (again, _rx4) = link();
    let back = registry
        .register(hello("w1"), again)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.agent_id, a.agent_id);
    assert_ne!(back.session, a.session);

    // The old session's late goodbye changes nothing.
    registry
        .disconnected(a.agent_id.clone(), a.session, Disconnect::Closed)
        .await
        .unwrap();
    let agents = registry.list().await.unwrap();
    assert_eq!(agents.len(), 2);
    assert!(agents.iter().all(|a| a.state == AgentState::Connected));
}

#[tokio::test(start_paused = true)]
async fn another_major_version_is_refused() {
    let registry = start();
    let mut old = hello("w1");
    old.version = Version::parse("99.0.0").unwrap();
    let (link, _rx) = link();
    let refused = registry.register(old, link).await.unwrap().unwrap_err();
    assert!(matches!(refused, Refusal::IncompatibleVersion { .. }));
    assert!(refused.to_string().contains("99.0.0"), "{refused}");
    assert_eq!(registry.connected(), 0);
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_an_agent_and_silence_loses_it_after_three_intervals() {
    let registry = start();
    let (link, mut rx) = link();
    let close = link.close.clone();
    let reg = registry.register(hello("w1"), link).await.unwrap().unwrap();

    // Heartbeats every interval for a while: never lost.
    for _ in 0..10 {
        tokio::time::advance(HB).await;
        registry
            .seen(reg.agent_id.clone(), reg.session)
            .await
            .unwrap();
    }
    // A round trip: the actor has handled the last heartbeat.
    assert_eq!(registry.list().await.unwrap().len(), 1);
    assert_eq!(registry.connected(), 1);

    // Then silence: still there just before three intervals...
    let silent_from = tokio::time::Instant::now();
    tokio::time::advance(HB * 3 - Duration::from_millis(1)).await;
    assert_eq!(
        registry.list().await.unwrap()[0].state,
        AgentState::Connected
    );
    // ...and lost at three, with the stream told why and closed.
    close.cancelled().await;
    assert_eq!(silent_from.elapsed(), HB * 3);
    let agents = registry.list().await.unwrap();
    assert_eq!(agents[0].state, AgentState::Lost);
    assert_eq!(agents[0].last_heartbeat_age, HB * 3);
    assert_eq!(registry.connected(), 0);
    let status = rx.recv().await.unwrap().unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(status.message().contains("declared lost"), "{status:?}");

    // A lost agent may come back under its name and id.
    let (link, _rx) = super::tests::link();
    let back = registry.register(hello("w1"), link).await.unwrap().unwrap();
    assert_eq!(back.agent_id, reg.agent_id);
}

#[tokio::test(start_paused = true)]
async fn wait_for_agents_returns_when_enough_arrive_or_says_how_many_did() {
    let registry = start();
    let waiter = {
        let registry = registry.clone();
        tokio::spawn(async move { registry.wait_for_agents(2, Duration::from_secs(30)).await })
    };
    let (l1, _rx1) = link();
    let (l2, _rx2) = link();
    registry.register(hello("w1"), l1).await.unwrap().unwrap();
    registry.register(hello("w2"), l2).await.unwrap().unwrap();
    assert_eq!(waiter.await.unwrap().unwrap(), 2);

    // (Shorter than the three heartbeat intervals that would lose them.)
    let err = registry
        .wait_for_agents(3, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "only 2 of 3 agents connected within 2s");
}
