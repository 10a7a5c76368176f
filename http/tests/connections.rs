//! Connection reuse, timings and byte counts.

mod common;

use k6r_http::{Client, ClientOptions, Request};

#[tokio::test]
async fn one_connection_for_sequential_requests() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    for _ in 0..10 {
        let r = client.execute(Request::get(srv.url("/"))).await.response;
        assert_eq!(r.status, 200);
    }
    assert_eq!(srv.connections(), 1);
    assert_eq!(client.idle_connections(), 1);
}

#[tokio::test]
async fn no_connection_reuse_dials_every_time() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default().with_no_connection_reuse(true));
    for _ in 0..10 {
        let ex = client.execute(Request::get(srv.url("/"))).await;
        assert_eq!(ex.response.status, 200);
        assert!(ex.response.timings.connecting > 0.0);
    }
    assert_eq!(srv.connections(), 10);
    assert_eq!(client.idle_connections(), 0);
}

#[tokio::test]
async fn vu_connection_reuse_off_resets_per_iteration() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default().with_no_vu_connection_reuse(true));
    for _ in 0..3 {
        client.begin_iteration();
        client.execute(Request::get(srv.url("/"))).await;
        client.execute(Request::get(srv.url("/"))).await;
    }
    assert_eq!(srv.connections(), 3);
    client.reset_connections();
    client.execute(Request::get(srv.url("/"))).await;
    assert_eq!(srv.connections(), 4);
}

#[tokio::test]
async fn timings_are_consistent() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let first = client.execute(Request::get(srv.url("/delay/30"))).await;
    let second = client.execute(Request::get(srv.url("/bytes/100000"))).await;
    for ex in [&first, &second] {
        let t = ex.response.timings;
        let sum = t.sending + t.waiting + t.receiving;
        assert!((t.duration - sum).abs() < 1e-9, "{t:?}");
        assert!(t.duration > 0.0 && t.blocked >= t.connecting, "{t:?}");
        assert_eq!(ex.hops[0].timings, t);
        assert_eq!(t.looking_up, 0.0, "IP literal: no DNS");
        assert_eq!(t.tls_handshaking, 0.0);
    }
    let (t1, t2) = (first.response.timings, second.response.timings);
    assert!(t1.connecting > 0.0, "new connection: {t1:?}");
    assert!(t1.waiting >= 25.0, "server delayed 30ms: {t1:?}");
    assert_eq!(t2.connecting, 0.0, "reused connection: {t2:?}");
}

#[tokio::test]
async fn bytes_on_the_wire_are_counted() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let ex = client.execute(Request::get(srv.url("/bytes/1000"))).await;
    let m = &ex.hops[0];
    // "GET /bytes/1000 HTTP/1.1\r\n" + headers, and status line + headers + 1000.
    assert!(m.data_sent > 40 && m.data_sent < 400, "{}", m.data_sent);
    assert!(
        m.data_received > 1000 && m.data_received < 1300,
        "{}",
        m.data_received
    );
    let again = client.execute(Request::get(srv.url("/bytes/1000"))).await;
    assert_eq!(
        again.hops[0].data_sent, m.data_sent,
        "per request, not per connection"
    );
    assert_eq!(again.hops[0].data_received, m.data_received);
}

#[tokio::test]
async fn a_connection_closed_by_the_server_is_replaced() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Answers one request per connection, then closes it without saying so.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut accepted = 0;
        while let Ok((mut tcp, _)) = listener.accept().await {
            accepted += 1;
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = tcp.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await
                .unwrap();
            drop(tcp);
            if accepted == 2 {
                return accepted;
            }
        }
        accepted
    });
    let client = Client::new(ClientOptions::default());
    for _ in 0..2 {
        let ex = client
            .execute(Request::get(format!("http://{addr}/")))
            .await;
        assert_eq!(ex.response.status, 200, "{:?}", ex.response.error);
    }
    assert_eq!(server.await.unwrap(), 2);
}
