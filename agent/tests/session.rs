//! The agent against a real in-process coordinator.

mod common;

use common::{agent_config, coordinator_config, start_agent, start_coordinator};
use k6r_agent::{State, Token};
use k6r_coordinator::registry::AgentState;

#[tokio::test]
async fn an_agent_registers_and_its_shutdown_is_a_clean_goodbye() {
    let coordinator = start_coordinator(coordinator_config()).await;
    let mut agent = start_agent(agent_config(coordinator.endpoint(), "w1"));
    assert_eq!(agent.until_connected().await, "agent-1");

    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0].name, "w1");
    assert_eq!(agents[0].version.text, env!("CARGO_PKG_VERSION"));
    assert!(agents[0].capacity.cpus >= 1);
    assert_eq!(agents[0].state, AgentState::Connected);

    agent.stop().await;
    coordinator.until_connected(0).await;
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents[0].state, AgentState::Disconnected);
    coordinator.stop().await;
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_the_agent_connected() {
    let interval = std::time::Duration::from_millis(200);
    let coordinator = start_coordinator(coordinator_config()).await;
    let mut agent = start_agent(agent_config(coordinator.endpoint(), "w1"));
    agent.until_connected().await;
    let mut connected = coordinator.registry.subscribe();
    assert_eq!(*connected.borrow_and_update(), 1);

    // Twenty intervals: expiry (three) would have struck many times over
    // without heartbeats.
    tokio::time::sleep(interval * 20).await;
    assert!(
        !connected.has_changed().unwrap(),
        "the agent was lost meanwhile"
    );
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents[0].state, AgentState::Connected);
    assert!(agents[0].last_heartbeat_age <= interval, "{:?}", agents[0]);
    agent.stop().await;
    coordinator.stop().await;
}

#[tokio::test]
async fn the_agent_comes_back_after_a_coordinator_restart() {
    let first = start_coordinator(coordinator_config()).await;
    let addr = first.addr;
    let mut agent = start_agent(agent_config(first.endpoint(), "w1"));
    agent.until_connected().await;

    first.stop().await;
    let error = agent
        .until("retrying", |s| matches!(s, State::Waiting { .. }))
        .await;
    assert!(matches!(error, State::Waiting { .. }));

    let second = common::start_coordinator_on(coordinator_config(), addr).await;
    second
        .registry
        .wait_for_agents(1, common::PATIENCE)
        .await
        .unwrap();
    assert_eq!(agent.until_connected().await, "agent-1");
    agent.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn a_second_agent_with_the_same_name_waits_until_the_first_leaves() {
    let coordinator = start_coordinator(coordinator_config()).await;
    let mut first = start_agent(agent_config(coordinator.endpoint(), "dup"));
    let id = first.until_connected().await;

    let mut second = start_agent(agent_config(coordinator.endpoint(), "dup"));
    let error = second.until_waiting_with("already connected").await;
    assert!(error.contains("refused this agent"), "{error}");
    assert_eq!(coordinator.registry.connected(), 1);

    first.stop().await;
    assert_eq!(second.until_connected().await, id);
    second.stop().await;
    coordinator.stop().await;
}

#[tokio::test]
async fn the_token_is_sent_and_a_missing_or_wrong_one_is_reported() {
    let config = coordinator_config().with_token(k6r_coordinator::Token::new("s3cret"));
    let coordinator = start_coordinator(config).await;

    let mut without = start_agent(agent_config(coordinator.endpoint(), "w1"));
    let error = without.until_waiting_with("token").await;
    assert!(error.contains("K6R_TOKEN"), "{error}");
    without.stop().await;

    let wrong = agent_config(coordinator.endpoint(), "w2").with_token(Token::new("nope").unwrap());
    let mut wrong = start_agent(wrong);
    wrong.until_waiting_with("wrong token").await;
    wrong.stop().await;

    let right =
        agent_config(coordinator.endpoint(), "w3").with_token(Token::new("s3cret").unwrap());
    let mut right = start_agent(right);
    right.until_connected().await;
    assert_eq!(coordinator.registry.connected(), 1);
    right.stop().await;
    coordinator.stop().await;
}

#[tokio::test]
async fn an_unreachable_coordinator_is_reported_and_shutdown_still_works() {
    // A port that was free a moment ago and is closed now.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let url: url::Url = format!("http://{addr}").parse().unwrap();
    let config = agent_config(url, "w1").with_reconnect(
        std::time::Duration::from_millis(10),
        std::time::Duration::from_secs(3600),
    );
    let mut agent = start_agent(config);
    let error = agent.until_waiting_with("unreachable").await;
    assert!(error.contains(&addr.to_string()), "{error}");
    // Several attempts, backing off.
    agent
        .until(
            "retried",
            |s| matches!(s, State::Connecting { attempt } if *attempt >= 3),
        )
        .await;
    agent.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_network_cut_is_noticed_by_both_sides() {
    let keepalive = std::time::Duration::from_secs(2);
    let coordinator = start_coordinator(
        coordinator_config().with_heartbeat_interval(std::time::Duration::from_secs(1)),
    )
    .await;
    let proxy = common::start_blackhole(coordinator.addr).await;
    let mut agent = start_agent(agent_config(proxy.url(), "w1").with_keepalive(keepalive));
    agent.until_connected().await;

    let cut_at = tokio::time::Instant::now();
    proxy.cut();
    // The agent: an unanswered keepalive ping ends the session.
    agent
        .until("disconnected", |s| matches!(s, State::Waiting { .. }))
        .await;
    let noticed = cut_at.elapsed();
    assert!(
        noticed <= keepalive * 2 + std::time::Duration::from_millis(100),
        "after {noticed:?}"
    );
    // The coordinator: no heartbeats for three intervals.
    coordinator.until_connected(0).await;
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents[0].state, AgentState::Lost);
    agent.stop().await;
    coordinator.shutdown.cancel();
}

#[tokio::test]
async fn an_assignment_gets_an_honest_error_from_the_placeholder_runner() {
    use k6r_agent::runner::UNSUPPORTED_MESSAGE;
    use k6r_coordinator::registry::AgentEvent;
    use k6r_proto::v1::{agent_message::Kind, Assign};

    let coordinator = start_coordinator(coordinator_config()).await;
    let mut agent = start_agent(agent_config(coordinator.endpoint(), "w1"));
    agent.until_connected().await;
    let id = coordinator.registry.list().await.unwrap()[0].id.clone();
    let mut events = coordinator.registry.events();

    let assign = Assign {
        run_id: "run-1".into(),
        ..Assign::default()
    };
    coordinator.registry.send_to(&id, assign).await.unwrap();
    let event = tokio::time::timeout(common::PATIENCE, events.recv())
        .await
        .expect("an answer in time")
        .unwrap();
    let AgentEvent {
        agent: from,
        message: Kind::Error(error),
    } = event
    else {
        panic!("expected an AgentError, got {event:?}");
    };
    assert_eq!(from, id);
    assert_eq!(error.run_id, "run-1");
    assert!(
        error.message.contains(UNSUPPORTED_MESSAGE),
        "{}",
        error.message
    );

    agent.stop().await;
    coordinator.until_connected(0).await;
    let err = coordinator
        .registry
        .send_to(&id, Assign::default())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "agent agent-1 is not connected");
    coordinator.stop().await;
}
