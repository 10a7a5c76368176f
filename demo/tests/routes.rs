//! The demo target's routes, served on 127.0.0.1 port 0.

use std::net::SocketAddr;

use tokio_util::sync::CancellationToken;

async fn start() -> (SocketAddr, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(k6r_demo::serve(listener, shutdown.clone()));
    (addr, shutdown)
}

/// `GET url` as JSON.
async fn get_json(client: &reqwest::Client, url: &str) -> serde_json::Value {
    let text = client.get(url).send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn every_route_answers_and_stats_count_the_requests() {
    let (addr, shutdown) = start().await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://{addr}{path}");

    let page = client.get(url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("k6r demo target"));

    let json: serde_json::Value = get_json(&client, &url("/json")).await;
    assert_eq!(json["items"].as_array().unwrap().len(), 3);

    let teapot = client.get(url("/status/418")).send().await.unwrap();
    assert_eq!(teapot.status(), 418);
    let bad = client.get(url("/status/1000")).send().await.unwrap();
    assert_eq!(bad.status(), 400);

    let delayed = client.get(url("/delay/20")).send().await.unwrap();
    assert_eq!(delayed.text().await.unwrap(), "waited 20 ms\n");

    let echo = client
        .post(url("/echo"))
        .body(vec![0u8, 1, 255])
        .send()
        .await
        .unwrap();
    assert_eq!(echo.bytes().await.unwrap().as_ref(), [0, 1, 255]);

    let stats: serde_json::Value = get_json(&client, &url("/stats")).await;
    assert_eq!(stats["requests"], 6, "{stats}");
    let unknown = client.get(url("/nope")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    shutdown.cancel();
}
