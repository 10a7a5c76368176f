//! Every error the coordinator's REST API answers is in k6's shape,
//! `{"errors":[{"status":"401","title":...,"detail":...}]}`, so k6's own
//! client (`k6 status`) and `k6r-cli` read its detail; where k6 has an
//! answer of its own (an unknown `/v1/` path, a wrong method on one of
//! k6's routes) the coordinator keeps k6's.

mod common;

use std::num::NonZeroUsize;

use common::{config, start_coordinator};
use k6r_api::ErrorsBody;
use k6r_coordinator::Token;
use serde_json::json;

/// One request: (status, content type, body).
async fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, String, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, url).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The one error of a k6-shaped body, checked against the answer's code.
fn k6_error(what: &str, status: u16, body: &str) -> (String, String) {
    let errors: ErrorsBody = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{what}: not k6's error shape ({e}): {body}"));
    assert_eq!(errors.errors.len(), 1, "{what}: {body}");
    let error = &errors.errors[0];
    assert_eq!(error.status, status.to_string(), "{what}: {body}");
    assert!(!error.title.is_empty(), "{what}: {body}");
    (error.title.clone(), error.detail.clone())
}

/// One refused request and what its answer must say: what it is, its
/// method, path, token and body, and the answer's status and a text its
/// title or detail holds.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    u16,
    &'static str,
);

/// The coordinator's token in the tests below.
const TOKEN: &str = "s3cret";

fn run_request() -> serde_json::Value {
    json!({
        "archive": {"entry": "/s.js", "files": {"/s.js": "ZXhwb3J0IGRlZmF1bHQgKCkgPT4ge30="}},
        "options": {"vus": 1, "iterations": 1},
        "exports": ["default"],
    })
}

/// Requests refused for their token, their path or their method.
fn refused_requests() -> Vec<Case> {
    let token = Some(TOKEN);
    vec![
        (
            "no token",
            "GET",
            "/v1/status",
            None,
            vec![],
            401,
            "missing token",
        ),
        (
            "a wrong token",
            "GET",
            "/v1/agents",
            Some("nope"),
            vec![],
            401,
            "wrong token",
        ),
        (
            "no token, unknown path",
            "GET",
            "/v1/nope",
            None,
            vec![],
            401,
            "missing token",
        ),
        (
            "an unknown run",
            "GET",
            "/v1/runs/run-9",
            token,
            vec![],
            404,
            "run-9",
        ),
        (
            "stopping an unknown run",
            "POST",
            "/v1/runs/run-9/stop",
            token,
            vec![],
            404,
            "run-9",
        ),
        (
            "a wrong method",
            "DELETE",
            "/v1/runs",
            token,
            vec![],
            405,
            "DELETE",
        ),
        (
            "a wrong method on a run",
            "PUT",
            "/v1/runs/run-1",
            token,
            vec![],
            405,
            "PUT",
        ),
    ]
}

/// Submissions refused for their body, or for the run already in progress
/// (`submit` is a valid submission).
fn refused_submissions(submit: Vec<u8>) -> Vec<Case> {
    let token = Some(TOKEN);
    let mut over_limit = b"{\"archive\":\"".to_vec();
    over_limit.resize(3 << 20, b'a');
    let bad_options = serde_json::to_vec(&json!({
        "archive": {"entry": "/s.js", "files": {"/s.js": ""}},
        "options": {"vus": "many"},
    }))
    .unwrap();
    vec![
        (
            "a run in progress",
            "POST",
            "/v1/runs",
            token,
            submit,
            409,
            "in progress",
        ),
        (
            "a bad JSON body",
            "POST",
            "/v1/runs",
            token,
            b"{".to_vec(),
            400,
            "EOF",
        ),
        (
            "a body that is no request",
            "POST",
            "/v1/runs",
            token,
            b"[]".to_vec(),
            400,
            "body",
        ),
        (
            "bad options",
            "POST",
            "/v1/runs",
            token,
            bad_options,
            400,
            "options",
        ),
        (
            "a body over the limit",
            "POST",
            "/v1/runs",
            token,
            over_limit,
            413,
            "over this coordinator's limit of 2 MiB (--max-bundle-mib)",
        ),
    ]
}

#[tokio::test]
async fn every_error_of_the_coordinators_own_routes_has_k6s_shape() {
    let c = start_coordinator(
        config()
            .with_token(Token::new(TOKEN))
            .with_agents(NonZeroUsize::new(1).unwrap())
            .with_max_bundle(2 << 20),
    )
    .await;
    let runs = c.url("/v1/runs");
    let submit = serde_json::to_vec(&run_request()).unwrap();
    // A run waits for its agent (none comes): a second one conflicts.
    let (code, _, text) = call("POST", &runs, Some(TOKEN), submit.clone()).await;
    assert_eq!(code, 201, "{text}");

    let cases = refused_requests()
        .into_iter()
        .chain(refused_submissions(submit));
    for (what, method, path, token, body, status, needle) in cases {
        let (code, content_type, text) = call(method, &c.url(path), token, body).await;
        assert_eq!(code, status, "{what}: {text}");
        assert_eq!(content_type, "application/json", "{what}");
        let (title, detail) = k6_error(what, status, &text);
        assert!(
            detail.contains(needle) || title.contains(needle),
            "{what}: {title}: {detail}"
        );
    }
    c.stop().await;
}

#[tokio::test]
async fn k6s_own_answers_stay_k6s() {
    let c = start_coordinator(config()).await;
    // Go's mux: an unknown /v1/ path is plain text.
    let (code, content_type, text) = call("GET", &c.url("/v1/nope"), None, "").await;
    assert_eq!(
        (code, content_type.as_str(), text.as_str()),
        (404, "text/plain; charset=utf-8", "404 page not found\n")
    );
    // A wrong method on one of k6's routes: 405, empty.
    let (code, _, text) = call("POST", &c.url("/v1/status"), None, "").await;
    assert_eq!((code, text.as_str()), (405, ""));
    // An id that is not UTF-8 names no metric (k6 answers its 404).
    let (code, _, text) = call("GET", &c.url("/v1/metrics/%ff"), None, "").await;
    assert_eq!(code, 404, "{text}");
    assert_eq!(
        k6_error("metric", 404, &text),
        (
            "Not Found".to_owned(),
            "No metric with that ID was found".to_owned()
        )
    );
    let (code, _, text) = call("GET", &c.url("/v1/groups/%ff"), None, "").await;
    assert_eq!(code, 404, "{text}");
    k6_error("group", 404, &text);
    c.stop().await;
}
