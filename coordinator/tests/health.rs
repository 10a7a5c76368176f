//! `/healthz`, `/readyz` and `wait_for_agents`.

mod common;

use std::{num::NonZeroUsize, time::Duration};

use common::{config, get, start_coordinator, FakeAgent};

#[tokio::test]
async fn readyz_flips_when_enough_agents_are_connected() {
    let two = NonZeroUsize::new(2).unwrap();
    let coordinator = start_coordinator(config().with_agents(two)).await;
    let readyz = coordinator.url("/readyz");
    assert_eq!(
        get(&coordinator.url("/healthz"), None).await,
        (200, "ok\n".into())
    );
    assert_eq!(
        get(&readyz, None).await,
        (
            503,
            "not ready: 0 of 2 agents connected (--agents 2)\n".into()
        )
    );

    let (first, _) = FakeAgent::welcomed(coordinator.addr, "w1").await;
    assert_eq!(get(&readyz, None).await.0, 503);
    let (_second, _) = FakeAgent::welcomed(coordinator.addr, "w2").await;
    assert_eq!(
        get(&readyz, None).await,
        (200, "ready: 2 of 2 agents connected\n".into())
    );

    drop(first);
    coordinator.until_connected(1).await;
    assert_eq!(get(&readyz, None).await.0, 503);
    coordinator.stop().await;
}

#[tokio::test]
async fn wait_for_agents_names_how_many_arrived() {
    let coordinator = start_coordinator(config()).await;
    let (_agent, _) = FakeAgent::welcomed(coordinator.addr, "w1").await;
    let err = coordinator
        .registry
        .wait_for_agents(3, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "only 1 of 3 agents connected within 200ms");
    assert_eq!(
        coordinator
            .registry
            .wait_for_agents(1, Duration::from_millis(200))
            .await
            .unwrap(),
        1
    );
    coordinator.stop().await;
}

#[tokio::test]
async fn unknown_v1_paths_get_k6s_404() {
    // k6's control API is mounted on the coordinator, with its router's
    // answers to unknown paths.
    let coordinator = start_coordinator(config()).await;
    let (status, body) = get(&coordinator.url("/v1/nothing"), None).await;
    assert_eq!(status, 404);
    assert_eq!(body, "404 page not found\n");
    coordinator.stop().await;
}
