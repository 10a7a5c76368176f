//! Transport failures are responses with k6's error and error_code.

mod common;

use std::time::{Duration, Instant};

use k6r_http::{Client, ClientOptions, ErrorKind, Request, ResponseBody};

#[tokio::test]
async fn connection_refused_is_1212() {
    let addr = common::closed_port().await;
    let client = Client::new(ClientOptions::default());
    let ex = client
        .execute(Request::get(format!("http://{addr}/")))
        .await;
    let r = &ex.response;
    assert_eq!(r.status, 0);
    assert_eq!(r.error, "dial: connection refused");
    assert_eq!(r.error_code, 1212);
    assert_eq!(r.body, ResponseBody::None);
    let m = &ex.hops[0];
    assert_eq!(m.reqs, 1);
    assert_eq!(m.tags.status, 0);
    assert_eq!(m.tags.error.as_deref(), Some("dial: connection refused"));
    assert_eq!(m.tags.error_code, Some(1212));
    assert_eq!(m.failed, Some(true));
    assert_eq!(m.timings.duration, 0.0);
}

#[tokio::test]
async fn timeout_is_1050_and_bounded() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let req = Request::get(srv.url("/delay/2000")).with_timeout(Duration::from_millis(150));
    let t0 = Instant::now();
    let ex = client.execute(req).await;
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_eq!(ex.response.status, 0);
    assert_eq!(ex.response.error, "request timeout");
    assert_eq!(ex.response.error_code, 1050);
    assert_eq!(ex.hops[0].tags.error_code, Some(1050));
    // The request was written, so the time went to waiting.
    let t = ex.response.timings;
    assert!(t.waiting >= 100.0, "{t:?}");
    assert!(ex.hops[0].data_sent > 0);
}

#[tokio::test]
async fn bad_urls_fail_as_in_k6() {
    let client = Client::new(ClientOptions::default());
    // Go parses these but cannot send them: a request failure (1000) with
    // its metrics.
    for url in ["not a url", "ftp://127.0.0.1/x", "http://"] {
        let ex = client.execute(Request::get(url)).await;
        assert_eq!(ex.response.error_code, 1000, "{url}: {:?}", ex.response);
        assert_eq!(ex.response.failure.unwrap().kind, ErrorKind::Generic);
        assert_eq!(ex.hops.len(), 1, "{url}");
    }
    // Go cannot parse this one: 1020 before the request, no metrics.
    let ex = client.execute(Request::get("http://[::1")).await;
    assert_eq!(ex.response.error_code, 1020);
    assert_eq!(
        ex.response.error,
        "invalid URL: parse \"http://[::1\": missing ']' in host"
    );
    assert!(ex.hops.is_empty());
    assert_eq!(ex.response.url, "");
}

#[tokio::test]
async fn tls_to_a_plain_server_is_a_tls_error() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default().with_insecure_skip_tls_verify(true));
    let req = Request::get(format!("https://{}/", srv.addr)).with_timeout(Duration::from_secs(5));
    let ex = client.execute(req).await;
    assert_eq!(ex.response.status, 0);
    let code = ex.response.error_code;
    assert!(
        (1300..1400).contains(&code),
        "{code} {:?}",
        ex.response.error
    );
}

#[test]
fn dns_failures_map_to_k6_codes() {
    use std::io;
    let nx = io::Error::other("failed to lookup address information: Name or service not known");
    let f = k6r_http::Failure::from_dns("nosuch.invalid", &nx);
    assert_eq!(
        (f.kind.code(), f.message.as_str()),
        (1101, "lookup: no such host")
    );
    // Go's words name the host and the name server asked.
    let go = f.go_text();
    assert!(
        go.starts_with("lookup nosuch.invalid on ") && go.ends_with(":53: no such host"),
        "{go}"
    );
    let other = io::Error::other("failed to lookup address information: Temporary failure");
    assert_eq!(k6r_http::Failure::from_dns("h", &other).kind.code(), 1100);
    let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    let f = k6r_http::Failure::from_io("read", &reset);
    assert_eq!(
        (f.kind.code(), f.message.as_str()),
        (1220, "read: connection reset by peer")
    );
}
