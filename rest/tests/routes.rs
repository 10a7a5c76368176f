//! Every route of the API against a real server on 127.0.0.1:0 and a fake
//! backend: bodies, status codes and content types as k6 sends them.

mod common;

use common::{raw, start, Fake, Kind, OUTER, ROOT};

const JSON_UTF8: &str = "application/json; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

#[tokio::test]
async fn get_status() {
    let server = start(Fake::new(Kind::External)).await;
    let r = raw(server.addr, "GET", "/v1/status", b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(JSON_UTF8));
    assert_eq!(
        r.body,
        r#"{"data":{"type":"status","id":"default","attributes":{"status":7,"paused":false,"vus":2,"vus-max":5,"stopped":false,"running":true,"tainted":false}}}"#
    );
}

#[tokio::test]
async fn metrics_list_and_one() {
    let server = start(Fake::new(Kind::External)).await;
    let r = raw(server.addr, "GET", "/v1/metrics", b"").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some(TEXT)));
    assert!(r.body.starts_with(r#"{"data":[{"type":"metrics","id":"http_req_duration","attributes":{"type":"trend","contains":"time","tainted":null,"sample":{"avg":0.96,"max":3.68,"med":0.65,"min":0.35,"p(90)":1.65,"p(95)":3.5}}},"#), "{}", r.body);
    let r = raw(server.addr, "GET", "/v1/metrics/vus", b"").await;
    assert_eq!(
        r.body,
        r#"{"data":{"type":"metrics","id":"vus","attributes":{"type":"gauge","contains":"default","tainted":null,"sample":{"value":2}}}}"#
    );
    assert_eq!(r.header("content-type"), Some(TEXT));
    let sub = r#"{"data":{"type":"metrics","id":"http_req_duration{expected_response:true}","attributes":{"type":"rate","contains":"default","tainted":null,"sample":{"rate":1}}}}"#;
    for path in [
        "/v1/metrics/http_req_duration{expected_response:true}",
        "/v1/metrics/http_req_duration%7Bexpected_response:true%7D",
        "/v1/metrics/http_req_duration%7bexpected_response%3atrue%7d",
    ] {
        let r = raw(server.addr, "GET", path, b"").await;
        assert_eq!((r.status, r.body.as_str()), (200, sub), "{path}");
    }
    let missing = r#"{"errors":[{"status":"404","title":"Not Found","detail":"No metric with that ID was found"}]}"#;
    for path in [
        "/v1/metrics/nope",
        "/v1/metrics/",
        "/v1/metrics/http_req_duration{",
    ] {
        let r = raw(server.addr, "GET", path, b"").await;
        assert_eq!((r.status, r.body.as_str()), (404, missing), "{path}");
        assert_eq!(r.header("content-type"), Some(TEXT));
    }
}

#[tokio::test]
async fn prometheus_scrapes_openmetrics_text() {
    let server = start(Fake::new(Kind::External)).await;
    let r = raw(server.addr, "GET", "/metrics", b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(r.body.contains("\nk6_http_reqs_total 3.0\n"), "{}", r.body);
    assert!(r.body.ends_with("# EOF\n"), "{}", r.body);
}

#[tokio::test]
async fn groups_list_and_one() {
    let server = start(Fake::new(Kind::External)).await;
    let r = raw(server.addr, "GET", "/v1/groups", b"").await;
    assert_eq!((r.status, r.header("content-type")), (200, Some(TEXT)));
    let root = format!(
        r#"{{"type":"groups","id":"{ROOT}","attributes":{{"path":"","name":"","checks":null}},"relationships":{{"groups":{{"data":[{{"type":"groups","id":"{OUTER}"}}]}},"parent":{{"data":null}}}}}}"#
    );
    assert!(
        r.body.starts_with(&format!(r#"{{"data":[{root},"#)),
        "{}",
        r.body
    );
    let r = raw(server.addr, "GET", &format!("/v1/groups/{ROOT}"), b"").await;
    assert_eq!(r.body, format!(r#"{{"data":{root}}}"#));
    let r = raw(server.addr, "GET", &format!("/v1/groups/{OUTER}"), b"").await;
    assert!(r.body.contains(r#""checks":[{"id":"#) && r.body.contains(r#""relationships":{"groups":{"data":[]},"parent":{"data":{"type":"groups","id":"d41d8cd98f00b204e9800998ecf8427e"}}}"#), "{}", r.body);
    let missing = r#"{"errors":[{"status":"404","title":"Not Found","detail":"No group with that ID was found"}]}"#;
    for path in ["/v1/groups/nope", "/v1/groups/"] {
        let r = raw(server.addr, "GET", path, b"").await;
        assert_eq!((r.status, r.body.as_str()), (404, missing), "{path}");
    }
}

#[tokio::test]
async fn setup_and_teardown() {
    let server = start(Fake::new(Kind::External)).await;
    let r = raw(server.addr, "GET", "/v1/setup", b"").await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("application/json"))
    );
    assert_eq!(
        r.body,
        r#"{"data":{"type":"setupData","id":"default","attributes":{"data":{"hello":"world","n":1}}}}"#
    );
    let r = raw(
        server.addr,
        "PUT",
        "/v1/setup",
        br#"{ "put" : true, "n": 1.50 }"#,
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            r#"{"data":{"type":"setupData","id":"default","attributes":{"data":{"put":true,"n":1.50}}}}"#
        )
    );
    let r = raw(server.addr, "GET", "/v1/setup", b"").await;
    assert!(r.body.contains(r#"{"put":true,"n":1.50}"#));
    let r = raw(server.addr, "PUT", "/v1/setup", b"").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            r#"{"data":{"type":"setupData","id":"default","attributes":{}}}"#
        )
    );
    let r = raw(server.addr, "PUT", "/v1/setup", b"{bad json").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"errors":[{"status":"400","title":"Error parsing request body","detail":"invalid character 'b' looking for beginning of object key string"}]}"#
    );
    let r = raw(server.addr, "POST", "/v1/setup", b"").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            r#"{"data":{"type":"setupData","id":"default","attributes":{"data":{"again":true}}}}"#
        )
    );
    // The data setup() returned is stored.
    let r = raw(server.addr, "GET", "/v1/setup", b"").await;
    assert!(r.body.contains(r#"{"again":true}"#));
    let r = raw(server.addr, "POST", "/v1/teardown", b"").await;
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    assert_eq!(r.header("content-length"), Some("0"));
}

#[tokio::test]
async fn setup_and_teardown_errors() {
    let mut fake = Fake::new(Kind::External);
    fake.setup_fails = true;
    let server = start(fake).await;
    let r = raw(server.addr, "POST", "/v1/setup", b"").await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.body,
        r#"{"errors":[{"status":"500","title":"Error executing setup","detail":"Error: boom\n\tat setup (file:///s.js:3:9(3))"}]}"#
    );
    let r = raw(server.addr, "POST", "/v1/teardown", b"").await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.body,
        r#"{"errors":[{"status":"500","title":"Error executing teardown","detail":"teardown failed"}]}"#
    );
}

#[tokio::test]
async fn wrong_methods_are_405_with_an_empty_body() {
    let server = start(Fake::new(Kind::External)).await;
    for (method, path) in [
        ("DELETE", "/v1/setup"),
        ("GET", "/v1/teardown"),
        ("POST", "/v1/status"),
        ("HEAD", "/v1/status"),
        ("PUT", "/v1/metrics"),
        ("DELETE", "/v1/groups/x"),
        ("PATCH", "/v1/metrics/vus"),
    ] {
        let r = raw(server.addr, method, path, b"").await;
        assert_eq!((r.status, r.body.as_str()), (405, ""), "{method} {path}");
        assert_eq!(r.header("content-type"), None, "{method} {path}");
    }
}

#[tokio::test]
async fn paths_outside_the_routes() {
    let server = start(Fake::new(Kind::External)).await;
    for path in ["/v1/", "/v1/status/", "/v1/nope", "/v1/metrics/a/b"] {
        let r = raw(server.addr, "GET", path, b"").await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (404, "404 page not found\n"),
            "{path}"
        );
        assert_eq!(r.header("content-type"), Some(TEXT));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    let r = raw(server.addr, "GET", "/v1", b"").await;
    assert_eq!((r.status, r.header("location")), (301, Some("/v1/")));
    for path in ["/ping", "/", "/whatever", "/a/b?c=d"] {
        let r = raw(server.addr, "GET", path, b"").await;
        assert_eq!((r.status, r.body.as_str()), (200, "ok"), "{path}");
        assert_eq!(r.header("content-type"), Some(TEXT));
    }
    let r = raw(server.addr, "GET", "/debug/pprof/", b"").await;
    assert_eq!(
        r.body,
        "To enable profiling, please run k6 with the --profiling-enabled flag"
    );
}
