//! The Session endpoint with fake agents: registration, refusals, ids.

mod common;

use common::{config, hello, start_coordinator, FakeAgent};
use k6r_proto::v1::{AgentMessage, Heartbeat};
use std::time::{Duration, UNIX_EPOCH};

#[tokio::test]
async fn a_registered_agent_is_welcomed_and_listed() {
    let coordinator =
        start_coordinator(config().with_heartbeat_interval(Duration::from_millis(750))).await;
    let (_agent, welcome) = FakeAgent::welcomed(coordinator.addr, "w1").await;
    assert_eq!(welcome.agent_id, "agent-1");
    assert_eq!(welcome.heartbeat_interval_ms, 750);
    assert!(welcome.unix_nanos > 0);

    let (status, body) = common::get(&coordinator.url("/v1/agents"), None).await;
    assert_eq!(status, 200, "{body}");
    let agents: serde_json::Value = serde_json::from_str(&body).unwrap();
    let agent = &agents.as_array().unwrap()[0];
    assert_eq!(agent["id"], "agent-1");
    assert_eq!(agent["name"], "w1");
    assert_eq!(agent["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(agent["capacity"]["cpus"], 2);
    assert_eq!(agent["capacity"]["memory_bytes"], 1u64 << 30);
    assert_eq!(agent["capacity"]["max_vus"], serde_json::Value::Null);
    assert_eq!(agent["state"], "connected");
    assert!(agent["last_heartbeat_age_secs"].as_f64().unwrap() < 5.0);
    assert!(agent["connected_since"].as_str().unwrap().ends_with('Z'));
    coordinator.stop().await;
}

#[tokio::test]
async fn a_second_agent_with_a_live_name_is_refused_and_the_name_frees_on_goodbye() {
    let coordinator = start_coordinator(config()).await;
    let (first, welcome) = FakeAgent::welcomed(coordinator.addr, "dup").await;

    let mut second = FakeAgent::connect(coordinator.addr, hello("dup").into(), None)
        .await
        .unwrap();
    let refused = second.refused().await;
    assert!(
        refused
            .reason
            .contains("\"dup\" is already connected (as agent-1)"),
        "{}",
        refused.reason
    );
    assert!(
        second.next().await.unwrap().is_none(),
        "a refused stream ends"
    );
    assert_eq!(coordinator.registry.connected(), 1);

    // The first says goodbye (ends its stream); the name is free again and
    // keeps its id.
    drop(first.tx);
    coordinator.until_connected(0).await;
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(format!("{:?}", agents[0].state), "Disconnected");
    let (_again, rewelcome) = FakeAgent::welcomed(coordinator.addr, "dup").await;
    assert_eq!(rewelcome.agent_id, welcome.agent_id);
    coordinator.stop().await;
}

#[tokio::test]
async fn another_major_version_is_refused() {
    let coordinator = start_coordinator(config()).await;
    let mut old = hello("old");
    old.version = "99.1.0".into();
    let mut agent = FakeAgent::connect(coordinator.addr, old.into(), None)
        .await
        .unwrap();
    let refused = agent.refused().await;
    assert!(
        refused.reason.contains("99.1.0") && refused.reason.contains("incompatible"),
        "{}",
        refused.reason
    );
    assert_eq!(coordinator.registry.connected(), 0);
    coordinator.stop().await;
}

#[tokio::test]
async fn a_session_must_start_with_a_valid_hello() {
    let coordinator = start_coordinator(config()).await;
    let heartbeat = AgentMessage::from(Heartbeat::from(UNIX_EPOCH));
    let status = FakeAgent::connect(coordinator.addr, heartbeat, None)
        .await
        .err()
        .expect("refused");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");

    let status = FakeAgent::connect(coordinator.addr, hello("").into(), None)
        .await
        .err()
        .expect("refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("name"), "{status:?}");
    coordinator.stop().await;
}

#[tokio::test]
async fn shutdown_ends_every_session_with_unavailable() {
    let coordinator = start_coordinator(config()).await;
    let (mut agent, _) = FakeAgent::welcomed(coordinator.addr, "w1").await;
    coordinator.shutdown.cancel();
    let status = agent.next().await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(status.message().contains("shutting down"), "{status:?}");
    // The agent's side stays open here, yet the server still returns.
    tokio::time::timeout(Duration::from_secs(10), coordinator.task)
        .await
        .expect("drained in time")
        .unwrap()
        .unwrap();
}
