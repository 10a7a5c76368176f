//! Heartbeat expiry over a real session, with paused time.

mod common;

use std::time::{Duration, SystemTime};

use common::{config, start_coordinator, FakeAgent};
use k6r_coordinator::registry::AgentState;
use k6r_proto::v1::{AgentMessage, Heartbeat};
use tokio::time::Instant;

const HB: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn a_silent_agent_is_lost_after_three_intervals_and_its_stream_closed() {
    let coordinator = start_coordinator(config().with_heartbeat_interval(HB)).await;
    let (mut agent, _) = FakeAgent::welcomed(coordinator.addr, "quiet").await;
    let since = Instant::now();

    // The agent says nothing more; the coordinator ends the stream.
    let status = agent.next().await.unwrap_err();
    let waited = since.elapsed();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(status.message().contains("declared lost"), "{status:?}");
    assert!(
        waited >= HB * 3 && waited < HB * 4,
        "lost after {waited:?}, want three intervals"
    );

    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents[0].state, AgentState::Lost);
    assert_eq!(coordinator.registry.connected(), 0);
    coordinator.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_heartbeating_agent_stays_connected() {
    let coordinator = start_coordinator(config().with_heartbeat_interval(HB)).await;
    let (agent, _) = FakeAgent::welcomed(coordinator.addr, "chatty").await;
    let start = Instant::now();
    let mut ticks = tokio::time::interval_at(start + HB, HB);
    for _ in 0..20 {
        ticks.tick().await;
        agent
            .tx
            .send(AgentMessage::from(Heartbeat::from(SystemTime::now())))
            .await
            .unwrap();
    }
    assert_eq!(start.elapsed(), HB * 20);
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents[0].state, AgentState::Connected);
    assert!(agents[0].last_heartbeat_age < HB * 2, "{:?}", agents[0]);
    coordinator.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_session_without_hello_times_out() {
    use k6r_coordinator::grpc::HELLO_TIMEOUT;
    use k6r_proto::v1::agent_service_client::AgentServiceClient;

    let coordinator = start_coordinator(config()).await;
    let mut client = AgentServiceClient::connect(format!("http://{}", coordinator.addr))
        .await
        .unwrap();
    let since = Instant::now();
    // A stream that stays open and silent.
    let silent = tokio_stream::pending::<AgentMessage>();
    let status = client.session(silent).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("no Hello"), "{status:?}");
    assert_eq!(since.elapsed(), HELLO_TIMEOUT);
    coordinator.stop().await;
}
