//! The dashboard on a real coordinator: the page is open and its data
//! needs the token; viewers are bounded and their streams end when the
//! coordinator shuts down, without holding its drain.

mod common;

use std::time::{Duration, Instant};

use common::{config, get, start_coordinator};
use k6r_coordinator::{server::DRAIN_TIMEOUT, Token};
use k6r_dashboard::MAX_VIEWERS;

#[tokio::test]
async fn the_page_is_open_and_its_data_needs_the_token() {
    let coordinator = start_coordinator(config().with_token(Token::new("s3cret"))).await;
    let (status, page) = get(&coordinator.url("/"), None).await;
    assert_eq!(status, 200);
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(page.contains("id=\"chart-latency\""), "{page}");
    for asset in [
        "/dashboard/style.css",
        "/dashboard/chart.js",
        "/dashboard/app.js",
    ] {
        let (status, body) = get(&coordinator.url(asset), None).await;
        assert_eq!(status, 200, "{asset}");
        assert!(page.contains(asset) && !body.is_empty(), "{asset}");
    }
    for data in [
        "/v1/dashboard/events",
        "/v1/dashboard/history",
        "/v1/dashboard/report",
    ] {
        assert_eq!(get(&coordinator.url(data), None).await.0, 401, "{data}");
    }
    let (status, history) = get(&coordinator.url("/v1/dashboard/history"), Some("s3cret")).await;
    assert_eq!(status, 200, "{history}");
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history["points"], serde_json::json!([]));
    let (status, report) = get(&coordinator.url("/v1/dashboard/report"), Some("s3cret")).await;
    assert_eq!(status, 200);
    assert!(report.contains("id=\"k6r-report\""), "{report}");
    coordinator.stop().await;
}

#[tokio::test]
async fn viewers_are_bounded_and_their_streams_end_at_shutdown() {
    let coordinator = start_coordinator(config()).await;
    let url = coordinator.url("/v1/dashboard/events");
    let client = reqwest::Client::new();
    let mut streams = Vec::new();
    for _ in 0..MAX_VIEWERS {
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "{response:?}"
        );
        streams.push(response);
    }
    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("too many dashboard viewers"));

    // Every viewer gets the same frame.
    let mut firsts = Vec::new();
    for stream in &mut streams[..3] {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("a frame within 5 s")
            .unwrap()
            .expect("an open stream");
        let text = String::from_utf8(chunk.to_vec()).unwrap();
        assert!(text.starts_with("event: frame\ndata: {"), "{text}");
        firsts.push(text);
    }
    assert!(firsts.windows(2).all(|w| w[0] == w[1]), "{firsts:?}");

    // A closed viewer's place is freed once the server notices (at its
    // next frame).
    drop(streams.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    let again = loop {
        let response = client.get(&url).send().await.unwrap();
        if response.status() == 200 {
            break response;
        }
        assert!(Instant::now() < deadline, "the place was never freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    streams.push(again);

    // Shutdown ends every stream: the server returns well before the
    // drain deadline that open connections would run into.
    let started = Instant::now();
    coordinator.shutdown.cancel();
    tokio::time::timeout(DRAIN_TIMEOUT - Duration::from_secs(2), coordinator.task)
        .await
        .expect("the server returned before the drain deadline")
        .unwrap()
        .unwrap();
    for stream in &mut streams {
        // Frames sent before the end, then the end.
        loop {
            match tokio::time::timeout(Duration::from_secs(1), stream.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None) | Err(_)) => break,
                Err(_) => panic!("a stream still open after shutdown"),
            }
        }
    }
    assert!(started.elapsed() < DRAIN_TIMEOUT);
}
