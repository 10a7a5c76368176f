//! batch(): order, limits and cancellation.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use k6r_http::{CancellationToken, Client, ClientOptions, Outcome, Request};

#[tokio::test]
async fn results_keep_request_order() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let reqs = vec![
        Request::get(srv.url("/delay/60")),
        Request::get(srv.url("/status/404")),
        Request::get(srv.url("/bytes/3")),
    ];
    let out = client.batch(reqs, &CancellationToken::new()).await;
    let statuses: Vec<u16> = out
        .into_iter()
        .map(|o| o.done().unwrap().response.status)
        .collect();
    assert_eq!(statuses, [200, 404, 200]);
}

#[tokio::test]
async fn concurrency_is_bounded_by_batch_per_host() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default().with_batch(10, 2));
    let reqs = (0..6).map(|_| Request::get(srv.url("/delay/40"))).collect();
    let t0 = Instant::now();
    let out = client.batch(reqs, &CancellationToken::new()).await;
    assert!(out.iter().all(|o| matches!(o, Outcome::Done(_))));
    assert_eq!(srv.stats.max_in_flight.load(Ordering::SeqCst), 2);
    assert!(
        t0.elapsed() >= Duration::from_millis(120),
        "3 waves of 40ms"
    );
    assert_eq!(srv.connections(), 2);

    let global = Client::new(ClientOptions::default().with_batch(3, 0));
    srv.stats.max_in_flight.store(0, Ordering::SeqCst);
    let reqs = (0..6).map(|_| Request::get(srv.url("/delay/40"))).collect();
    global.batch(reqs, &CancellationToken::new()).await;
    assert_eq!(srv.stats.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn cancellation_drops_the_request_promptly() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let cancel = CancellationToken::new();
    let stats = srv.stats.clone();
    let trigger = cancel.clone();
    let t0 = Instant::now();
    let (outcome, ()) = tokio::join!(
        client.request(Request::get(srv.url("/gate")), &cancel),
        async move {
            stats.gate.notified().await;
            trigger.cancel();
        }
    );
    assert!(matches!(outcome, Outcome::Cancelled));
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(
        client.idle_connections(),
        0,
        "the in-flight connection is dropped"
    );
    let after = client
        .request(Request::get(srv.url("/")), &CancellationToken::new())
        .await;
    assert_eq!(after.done().unwrap().response.status, 200);
}
