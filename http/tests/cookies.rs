//! The per-VU cookie jar.

mod common;

use k6r_http::{Client, ClientOptions, Request, RequestCookie, ResponseBody};

fn body(ex: k6r_http::Exchange) -> String {
    match ex.response.body {
        ResponseBody::Text(s) => s,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn server_cookies_are_sent_back_by_path() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let ex = client.execute(Request::get(srv.url("/setcookie"))).await;
    let c = &ex.response.cookies;
    assert_eq!(c["a"][0].value, "1");
    assert_eq!(c["b"][0].path, "/other");
    assert!(c["b"][0].http_only);
    assert_eq!(
        body(client.execute(Request::get(srv.url("/cookies"))).await),
        "a=1"
    );
    let other = body(client.execute(Request::get(srv.url("/other"))).await);
    let mut parts: Vec<_> = other.split("; ").collect();
    parts.sort();
    assert_eq!(parts, ["a=1", "b=2"]);
    let ex = client.execute(Request::get(srv.url("/cookies"))).await;
    assert_eq!(ex.response.request.cookies["a"][0].value, "1");
}

#[tokio::test]
async fn expiry_clear_and_iteration_reset() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    client.execute(Request::get(srv.url("/setcookie"))).await;
    client.execute(Request::get(srv.url("/expired"))).await;
    assert_eq!(
        body(client.execute(Request::get(srv.url("/cookies"))).await),
        ""
    );

    client.execute(Request::get(srv.url("/setcookie"))).await;
    client.jar().clear();
    assert_eq!(
        body(client.execute(Request::get(srv.url("/cookies"))).await),
        ""
    );

    client.execute(Request::get(srv.url("/setcookie"))).await;
    client.begin_iteration();
    assert_eq!(
        body(client.execute(Request::get(srv.url("/cookies"))).await),
        ""
    );

    let keep = Client::new(ClientOptions::default().with_no_cookies_reset(true));
    keep.execute(Request::get(srv.url("/setcookie"))).await;
    keep.begin_iteration();
    assert_eq!(
        body(keep.execute(Request::get(srv.url("/cookies"))).await),
        "a=1"
    );
}

#[tokio::test]
async fn request_cookies_and_no_jar() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    client.execute(Request::get(srv.url("/setcookie"))).await;
    let mut req = Request::get(srv.url("/cookies"));
    req.params.cookies = vec![RequestCookie {
        name: "a".into(),
        value: "9".into(),
        replace: true,
    }];
    assert_eq!(body(client.execute(req).await), "a=9");
    let mut req = Request::get(srv.url("/cookies"));
    req.params.cookies = vec![RequestCookie {
        name: "z".into(),
        value: "1".into(),
        replace: false,
    }];
    assert_eq!(body(client.execute(req).await), "a=1; z=1");
    let mut req = Request::get(srv.url("/cookies"));
    req.params.use_jar = false;
    assert_eq!(body(client.execute(req).await), "");
}
