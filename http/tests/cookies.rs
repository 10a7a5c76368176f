//! The per-VU cookie jar.

mod common;

use k6r_http::{
    Client, ClientOptions, CookieJar, CookieOptions, Request, RequestCookie, ResponseBody,
};

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
    // k6 sends the request's own cookies before the jar's.
    assert_eq!(body(client.execute(req).await), "z=1; a=1");
    let mut req = Request::get(srv.url("/cookies"));
    req.params.jar = k6r_http::JarChoice::None;
    assert_eq!(body(client.execute(req).await), "");
}

#[test]
fn jar_sends_longer_paths_first_then_in_creation_order() {
    let jar = CookieJar::new();
    let root = url::Url::parse("http://h.test/").unwrap();
    for (name, value) in [("b", "1"), ("a", "2"), ("c", "3")] {
        jar.set(&root, name, value);
    }
    jar.set_with(
        &root,
        "deep",
        "4",
        &CookieOptions {
            path: Some("/x".into()),
            ..CookieOptions::default()
        },
    );
    // Set again: keeps its place.
    jar.set(&root, "b", "5");
    let url = url::Url::parse("http://h.test/x/y").unwrap();
    let names: Vec<String> = jar
        .cookies_for(&url)
        .into_iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    assert_eq!(names, ["deep=4", "b=5", "a=2", "c=3"]);
}

#[test]
fn delete_and_clear_remove_the_url_default_path_only() {
    let jar = CookieJar::new();
    let root = url::Url::parse("http://h.test/").unwrap();
    let deep = url::Url::parse("http://h.test/a/").unwrap();
    jar.set(&root, "top", "1");
    jar.set(&deep, "low", "2");
    let sent = |url: &url::Url| -> Vec<String> {
        jar.cookies_for(url).into_iter().map(|(n, _)| n).collect()
    };
    assert_eq!(sent(&deep), ["low", "top"]);
    // `/a/`'s default path is `/a`: `top` (path `/`) stays.
    jar.clear_url(&deep);
    assert_eq!(sent(&deep), ["top"]);
    jar.delete(&deep, "top");
    assert_eq!(sent(&deep), ["top"]);
    jar.delete(&root, "top");
    assert!(sent(&deep).is_empty());
}

#[test]
fn expires_takes_go_rfc1123_dates() {
    assert_eq!(
        k6r_http::cookies::rfc1123_expires("Mon, 02 Jan 2006 15:04:05 MST").as_deref(),
        Some("Mon, 02 Jan 2006 15:04:05 GMT")
    );
    assert_eq!(k6r_http::cookies::rfc1123_expires("5"), None);
    assert_eq!(k6r_http::cookies::rfc1123_expires("Mon, 02 Jan 2006"), None);
}
