//! Redirects: every hop is its own request; limits stop at the 3xx.

mod common;

use k6r_http::{Body, Client, ClientOptions, Request, ResponseBody};

#[tokio::test]
async fn redirects_are_followed_hop_by_hop() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let ex = client.execute(Request::get(srv.url("/redirect/3"))).await;
    assert_eq!(ex.response.status, 200);
    assert_eq!(ex.response.url, format!("{}", srv.url("/redirect/0")));
    assert_eq!(ex.response.body, ResponseBody::Text("done".into()));
    let statuses: Vec<_> = ex.hops.iter().map(|h| h.tags.status).collect();
    assert_eq!(statuses, [302, 302, 302, 200]);
    assert_eq!(ex.hops[1].tags.url, srv.url("/redirect/2"));
    assert!(!ex.redirect_limit_reached);
}

#[tokio::test]
async fn the_limit_returns_the_redirect() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default().with_max_redirects(2));
    let ex = client.execute(Request::get(srv.url("/redirect/5"))).await;
    assert_eq!(ex.response.status, 302);
    assert_eq!(ex.hops.len(), 3);
    assert!(ex.redirect_limit_reached);
    assert_eq!(ex.response.error_code, 0);

    let none = Request::get(srv.url("/redirect/5")).with_redirects(0);
    let ex = client.execute(none).await;
    assert_eq!(ex.response.status, 302);
    assert_eq!(ex.hops.len(), 1);
    assert!(!ex.redirect_limit_reached, "redirects: 0 is silent in k6");

    let more = Request::get(srv.url("/redirect/5")).with_redirects(5);
    assert_eq!(client.execute(more).await.response.status, 200);
}

#[tokio::test]
async fn see_other_becomes_get_and_307_keeps_the_method() {
    let srv = common::start().await;
    let client = Client::new(ClientOptions::default());
    let post = Request::new("POST", srv.url("/see-other")).with_body(Body::Text("x".into()));
    let r = client.execute(post).await.response;
    assert_eq!(r.body, ResponseBody::Text("GET\n".into()));
    let post = Request::new("POST", srv.url("/temporary")).with_body(Body::Text("x".into()));
    let r = client.execute(post).await.response;
    assert_eq!(r.body, ResponseBody::Text("POST\nx".into()));
}
