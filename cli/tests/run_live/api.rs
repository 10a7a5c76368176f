//! What the live-run tests read from the REST API: status answers as
//! `k6 status` prints them, and metric samples.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::harness::{raw, Outcome2};
use crate::process::DEADLINE;

pub(crate) fn status_yaml(status: u8, paused: bool, vus: u64, max: u64, running: bool) -> String {
    format!(
        "status: {status}\npaused: \"{paused}\"\nvus: \"{vus}\"\nvus-max: \"{max}\"\nstopped: false\nrunning: {running}\ntainted: false\n"
    )
}

pub(crate) fn ok(stdout: String) -> Outcome2 {
    Outcome2 {
        code: Some(0),
        stdout,
        msg: String::new(),
    }
}

/// A metric's `sample` from `/v1/metrics/{name}` (`Null` until observed).
pub(crate) fn sample(addr: SocketAddr, name: &str) -> serde_json::Value {
    let r = raw(addr, "GET", &format!("/v1/metrics/{name}"), b"");
    serde_json::from_str::<serde_json::Value>(&r.body)
        .map(|v| v["data"]["attributes"]["sample"].clone())
        .unwrap_or_default()
}

/// Polls a metric's sample until `ok` holds.
pub(crate) fn until_sample(addr: SocketAddr, name: &str, ok: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let s = sample(addr, name);
        if ok(&s) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} never matched: {s}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn iterations(addr: SocketAddr) -> f64 {
    sample(addr, "iterations")["count"].as_f64().unwrap_or(0.0)
}

/// `/v1/metrics` as a map from id to attributes.
pub(crate) fn all_metrics(addr: SocketAddr) -> serde_json::Map<String, serde_json::Value> {
    let r = raw(addr, "GET", "/v1/metrics", b"");
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["attributes"].clone(),
            )
        })
        .collect()
}

pub(crate) fn close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    }
}
