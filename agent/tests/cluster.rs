//! Several agents on one coordinator.

mod common;

use std::collections::BTreeSet;

use common::start_cluster;

#[tokio::test]
async fn three_agents_register_with_their_own_ids_and_leave_one_by_one() {
    let (coordinator, agents) = start_cluster(3).await;
    let listed = coordinator.registry.list().await.unwrap();
    let ids: BTreeSet<_> = listed.iter().map(|a| a.id.to_string()).collect();
    let names: BTreeSet<_> = listed.iter().map(|a| a.name.clone()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        names,
        BTreeSet::from(["w0".into(), "w1".into(), "w2".into()])
    );

    for (left, agent) in agents.into_iter().enumerate() {
        agent.stop().await;
        coordinator.until_connected(2 - left).await;
    }
    coordinator.stop().await;
}
