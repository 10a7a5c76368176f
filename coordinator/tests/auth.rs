//! `--token`: required on the gRPC session and on REST, except the probes.

mod common;

use common::{config, get, hello, start_coordinator, FakeAgent};
use k6r_coordinator::Token;

#[tokio::test]
async fn agents_need_the_token() {
    let coordinator = start_coordinator(config().with_token(Token::new("s3cret"))).await;
    for token in [None, Some("wrong"), Some("s3cret ")] {
        let status = FakeAgent::connect(coordinator.addr, hello("w1").into(), token)
            .await
            .err()
            .unwrap_or_else(|| panic!("{token:?} accepted"));
        assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
        assert!(status.message().contains("token"), "{status:?}");
    }
    assert_eq!(coordinator.registry.connected(), 0);

    let mut agent = FakeAgent::connect(coordinator.addr, hello("w1").into(), Some("s3cret"))
        .await
        .unwrap();
    assert_eq!(agent.welcome().await.agent_id, "agent-1");
    coordinator.stop().await;
}

#[tokio::test]
async fn rest_callers_need_the_token_but_probes_do_not() {
    let coordinator = start_coordinator(config().with_token(Token::new("s3cret"))).await;
    let agents = coordinator.url("/v1/agents");

    let (status, body) = get(&agents, None).await;
    assert_eq!(status, 401);
    assert!(body.contains("missing token"), "{body}");
    let (status, body) = get(&agents, Some("wrong")).await;
    assert_eq!(status, 401);
    assert!(body.contains("wrong token"), "{body}");
    let (status, body) = get(&agents, Some("s3cret")).await;
    assert_eq!((status, body.as_str()), (200, "[]"));

    assert_eq!(get(&coordinator.url("/healthz"), None).await.0, 200);
    assert_eq!(get(&coordinator.url("/readyz"), None).await.0, 503);
    // Runs and k6's control API are behind it too.
    for path in ["/v1/runs", "/v1/status", "/v1/metrics", "/v1/runs/run-1"] {
        assert_eq!(get(&coordinator.url(path), None).await.0, 401, "{path}");
    }
    // Unknown paths are not a way around the check.
    assert_eq!(get(&coordinator.url("/v1/nope"), None).await.0, 401);
    coordinator.stop().await;
}

#[tokio::test]
async fn without_a_token_everyone_is_welcome() {
    let coordinator = start_coordinator(config()).await;
    let mut agent = FakeAgent::connect(coordinator.addr, hello("w1").into(), Some("anything"))
        .await
        .unwrap();
    agent.welcome().await;
    assert_eq!(get(&coordinator.url("/v1/agents"), None).await.0, 200);
    coordinator.stop().await;
}
