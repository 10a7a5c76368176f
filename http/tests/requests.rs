//! Methods, bodies, headers, statuses and response types.

mod common;

use k6r_http::{Body, Client, ClientOptions, Params, Request, ResponseBody, ResponseType};

fn text(r: &k6r_http::Response) -> &str {
    match &r.body {
        ResponseBody::Text(s) => s,
        other => panic!("expected text body, got {other:?}"),
    }
}

#[tokio::test]
async fn every_method_with_every_body_kind() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let bodies = [
        (Body::None, ""),
        (Body::Text("hello".into()), "hello"),
        (Body::Bytes(vec![b'b', b'y']), "by"),
        (
            Body::Form(vec![("a".into(), "b".into()), ("c".into(), "d".into())]),
            "a=b&c=d",
        ),
    ];
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        for (body, expect) in &bodies {
            let req = Request::new(method, srv.url("/echo")).with_body(body.clone());
            let r = client.execute(req).await.response;
            assert_eq!(r.status, 200, "{method} {r:?}");
            assert_eq!(r.headers.canonical()["X-Method"], method);
            assert_eq!(text(&r), format!("{method}\n{expect}"));
            assert_eq!(r.request.method, method);
            assert_eq!(r.request.body, *expect);
            if matches!(body, Body::Form(_)) {
                assert_eq!(
                    r.headers.canonical()["X-Got-Content-Type"],
                    "application/x-www-form-urlencoded"
                );
            }
        }
    }
    let head = client.execute(Request::new("HEAD", srv.url("/echo"))).await;
    assert_eq!(head.response.status, 200);
    assert_eq!(text(&head.response), "");
}

#[tokio::test]
async fn response_fields_follow_k6() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let ex = client.execute(Request::get(srv.url("/multi"))).await;
    let r = &ex.response;
    assert_eq!(r.status_text, "200 OK");
    assert_eq!(r.proto, "HTTP/1.1");
    assert_eq!(r.headers.canonical()["X-Multi"], "one, two");
    assert_eq!(r.remote_ip, "127.0.0.1");
    assert_eq!(r.remote_port, srv.addr.port());
    assert_eq!(r.url, srv.url("/multi"));
    assert_eq!((r.error.as_str(), r.error_code), ("", 0));
    let tags = &ex.hops[0].tags;
    assert_eq!(tags.method, "GET");
    assert_eq!(tags.status, 200);
    assert_eq!(tags.proto, "HTTP/1.1");
    assert_eq!(tags.url, srv.url("/multi"));
    assert_eq!(tags.name(), srv.url("/multi"));
    assert_eq!(tags.expected_response, Some(true));
    assert_eq!(tags.error_code, None);
}

#[tokio::test]
async fn headers_in_user_agent_and_name_tag() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let req = Request::get(srv.url("/echo"))
        .with_header("X-Custom", "1")
        .with_header("X-Custom", "2")
        .with_tag("name", "named")
        .with_tag("kind", "api");
    let ex = client.execute(req).await;
    let r = &ex.response;
    assert_eq!(r.headers.canonical()["X-Got-X-Custom"], "1, 2");
    assert_eq!(
        r.headers.canonical()["X-Got-User-Agent"],
        k6r_http::DEFAULT_USER_AGENT
    );
    assert_eq!(r.request.headers["X-Custom"], vec!["1", "2"]);
    let tags = &ex.hops[0].tags;
    assert_eq!((tags.url.as_str(), tags.name()), ("named", "named"));
    assert_eq!(tags.user, vec![("kind".to_string(), "api".to_string())]);

    let custom = Client::new(ClientOptions::default().with_user_agent(Some("mine/1".into())));
    let r = custom
        .execute(Request::get(srv.url("/echo")))
        .await
        .response;
    assert_eq!(r.headers.canonical()["X-Got-User-Agent"], "mine/1");
    let overridden = Request::get(srv.url("/echo")).with_header("User-Agent", "hdr");
    let r = custom.execute(overridden).await.response;
    assert_eq!(r.headers.canonical()["X-Got-User-Agent"], "hdr");
}

#[tokio::test]
async fn basic_auth_from_url_userinfo() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let url = format!("http://user:pa%20ss@{}/echo", srv.addr);
    let ex = client.execute(Request::get(url)).await;
    // base64("user:pa ss")
    assert_eq!(
        ex.response.headers.canonical()["X-Got-Authorization"],
        "Basic dXNlcjpwYSBzcw=="
    );
    // As in k6: the tags mask the user and password, the response's URL
    // keeps them as the script gave them.
    assert_eq!(
        ex.hops[0].tags.url,
        format!("http://****:****@{}/echo", srv.addr)
    );
    assert_eq!(
        ex.response.url,
        format!("http://user:pa%20ss@{}/echo", srv.addr)
    );
}

#[tokio::test]
async fn error_statuses_get_1000_plus_status() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    for (status, code) in [(404u16, 1404u32), (500, 1500)] {
        let ex = client
            .execute(Request::get(srv.url(&format!("/status/{status}"))))
            .await;
        assert_eq!(ex.response.status, status);
        assert_eq!(ex.response.error, "");
        assert_eq!(ex.response.error_code, code);
        assert_eq!(ex.hops[0].tags.error_code, Some(code));
        assert_eq!(ex.hops[0].tags.error, None);
        assert_eq!(ex.hops[0].tags.expected_response, Some(false));
        assert_eq!(ex.hops[0].failed, Some(true));
    }
}

#[tokio::test]
async fn response_types_and_discarded_bodies() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let bin = Request::get(srv.url("/binary")).with_response_type(ResponseType::Binary);
    let r = client.execute(bin).await.response;
    assert_eq!(r.body, ResponseBody::Binary(vec![0, 159, 146, 150]));
    let none = Request::get(srv.url("/bytes/100")).with_response_type(ResponseType::None);
    let ex = client.execute(none).await;
    assert_eq!(ex.response.body, ResponseBody::None);
    assert!(ex.hops[0].data_received > 100, "body still counted");

    let discard = Client::new(ClientOptions::default().with_discard_response_bodies(true));
    let r = discard
        .execute(Request::get(srv.url("/bytes/10")))
        .await
        .response;
    assert_eq!(r.body, ResponseBody::None);
    let text_again = Request::get(srv.url("/bytes/3")).with_response_type(ResponseType::Text);
    let r = discard.execute(text_again).await.response;
    assert_eq!(r.body, ResponseBody::Text("xxx".into()));
}

#[tokio::test]
async fn expected_statuses_drive_the_failed_flag() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    client.set_expected_statuses(Some(k6r_http::ExpectedStatuses::none().with_status(404)));
    let ex = client.execute(Request::get(srv.url("/status/404"))).await;
    assert_eq!(ex.hops[0].failed, Some(false));
    let ex = client.execute(Request::get(srv.url("/"))).await;
    assert_eq!(ex.hops[0].failed, Some(true));
    client.set_expected_statuses(None);
    let ex = client.execute(Request::get(srv.url("/"))).await;
    assert_eq!(ex.hops[0].failed, None);
    assert_eq!(ex.hops[0].tags.expected_response, None);
    let _ = Params::default();
}

#[tokio::test]
async fn a_request_keeps_the_expected_statuses_it_started_with() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    // join! polls the request first: it starts (and takes the predicate)
    // before the predicate is dropped.
    let (exchange, ()) = tokio::join!(client.execute(Request::get(srv.url("/delay/20"))), async {
        client.set_expected_statuses(None)
    });
    assert_eq!(exchange.hops[0].tags.expected_response, Some(true));
    let later = client.execute(Request::get(srv.url("/"))).await;
    assert_eq!(later.hops[0].tags.expected_response, None);
}
