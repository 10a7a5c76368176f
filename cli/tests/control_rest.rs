//! A differential test of the REST API: the same requests, in the same
//! order, to a real `k6 run --paused` and to a k6r run; status codes,
//! content types and bodies compared (metric values, which depend on the
//! run, only by shape).

#[path = "control_harness.rs"]
mod harness;

use harness::{raw, stop, until_metric, K6r, Raw, K6};
use serde_json::Value;

/// (method, path, body, compare the body by shape only)
const REQUESTS: &[(&str, &str, &str, bool)] = &[
    ("GET", "/v1/status", "", false),
    ("GET", "/v1/metrics/vus_max", "", true),
    ("GET", "/v1/metrics/nope", "", false),
    ("GET", "/v1/metrics/", "", false),
    ("GET", "/v1/groups", "", false),
    (
        "GET",
        "/v1/groups/d41d8cd98f00b204e9800998ecf8427e",
        "",
        false,
    ),
    ("GET", "/v1/groups/nope", "", false),
    ("GET", "/v1/groups/", "", false),
    ("GET", "/v1/setup", "", false),
    (
        "PUT",
        "/v1/setup",
        r#"{ "put" : true, "n": [1.50, -0, 1e3], "s": "<&>" }"#,
        false,
    ),
    ("GET", "/v1/setup", "", false),
    ("PUT", "/v1/setup", "{bad", false),
    ("PUT", "/v1/setup", r#"{"a":1e400}"#, false),
    ("PUT", "/v1/setup", "", false),
    ("GET", "/v1/setup", "", false),
    ("DELETE", "/v1/setup", "", false),
    ("GET", "/v1/teardown", "", false),
    ("POST", "/v1/status", "", false),
    ("HEAD", "/v1/status", "", false),
    ("GET", "/v1", "", false),
    ("GET", "/v1/", "", false),
    ("GET", "/v1/status/", "", false),
    ("GET", "/ping", "", false),
    ("GET", "/", "", false),
    ("GET", "/whatever", "", false),
    ("GET", "/debug/pprof/", "", false),
    ("PATCH", "/v1/status", "", false),
    ("PATCH", "/v1/status", "{bad json", false),
    ("PATCH", "/v1/status", "[]", false),
    ("PATCH", "/v1/status", "5", false),
    ("PATCH", "/v1/status", "null", false),
    ("PATCH", "/v1/status", "{}", false),
    ("PATCH", "/v1/status", "{} x", false),
    ("PATCH", "/v1/status", r#"{"a":1,}"#, false),
    ("PATCH", "/v1/status", r#"{"data":5}"#, false),
    ("PATCH", "/v1/status", r#"{"data":{"type":5}}"#, false),
    ("PATCH", "/v1/status", r#"{"data":{"attributes":5}}"#, false),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":"x"}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":1.5}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":1e2}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":99999999999999999999}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":true}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":[]}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"paused":"true"}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"paused":1}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"stopped":"x"}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"running":1}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"status":"x"}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"stopped":null,"vus":""}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":-1}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":6}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":1,"vus-max":4}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"paused":true}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"type":"status","id":"default","attributes":{"vus":2}}}"#,
        false,
    ),
    (
        "PATCH",
        "/v1/status",
        r#"{"data":{"attributes":{"vus":{"Int64":3,"Valid":true}}}}"#,
        false,
    ),
    ("GET", "/v1/status", "", false),
];

/// The same JSON type at every position (objects: the same keys).
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_shape(v, w))
        }
        (Value::Number(_), Value::Number(_)) => true,
        (x, y) => {
            std::mem::discriminant(x) == std::mem::discriminant(y) && (x.is_string() || x == y)
        }
    }
}

fn compare(request: &(&str, &str, &str, bool), k6: &Raw, ours: &Raw) {
    let (method, path, body, shape) = request;
    let what = format!("{method} {path} {body:?}");
    assert_eq!(
        ours.status, k6.status,
        "{what}: status\n  k6:  {}\n  k6r: {}",
        k6.body, ours.body
    );
    assert_eq!(
        ours.header("content-type"),
        k6.header("content-type"),
        "{what}: content type"
    );
    if *shape {
        let (a, b): (Value, Value) = (
            serde_json::from_str(&k6.body).unwrap(),
            serde_json::from_str(&ours.body).unwrap(),
        );
        assert!(same_shape(&a, &b), "{what}: shape\n  k6:  {a}\n  k6r: {b}");
    } else {
        assert_eq!(ours.body, k6.body, "{what}: body");
    }
}

#[test]
fn the_same_requests_get_the_same_answers() {
    let mut k6 = K6::start();
    // k6 emits the VU gauges once a second.
    until_metric(k6.addr, "vus_max");
    let answers: Vec<Raw> = REQUESTS
        .iter()
        .map(|(m, p, b, _)| raw(k6.addr, m, p, b.as_bytes()))
        .collect();
    let stopped_k6 = stop(k6.addr);
    assert_eq!(k6.wait(), Some(103));
    let mut ours = K6r::start(true);
    for (request, k6_answer) in REQUESTS.iter().zip(&answers) {
        let (m, p, b, _) = request;
        let answer = raw(ours.addr, m, p, b.as_bytes());
        compare(request, k6_answer, &answer);
    }
    let stopped = stop(ours.addr);
    compare(
        &("PATCH", "/v1/status", "stopped", false),
        &stopped_k6,
        &stopped,
    );
    assert_eq!(ours.wait(), 103);
}
