//! `PATCH /v1/status`: every row of spec §4.3, bad input, oversized
//! bodies, and 100 concurrent PATCHes applied one at a time.

mod common;

use std::sync::atomic::Ordering;

use common::{raw, start, Fake, Kind};
use k6r_api::StatusEnvelope;

const JSON_UTF8: &str = "application/json; charset=utf-8";

fn status(vus: u64, max: u64, paused: bool, status: u8, stopped: bool) -> String {
    format!(
        r#"{{"data":{{"type":"status","id":"default","attributes":{{"status":{status},"paused":{paused},"vus":{vus},"vus-max":{max},"stopped":{stopped},"running":{},"tainted":false}}}}}}"#,
        status == 7
    )
}

fn error(code: u16, title: &str, detail: &str) -> String {
    format!(r#"{{"errors":[{{"status":"{code}","title":"{title}","detail":"{detail}"}}]}}"#)
}

/// (kind, earlier bodies, body, status code, response body)
type Row = (Kind, &'static [&'static str], &'static str, u16, String);

fn rows() -> Vec<Row> {
    use Kind::*;
    let bad = |detail: &str| error(400, "Invalid data", detail);
    let config = |detail: &str| error(400, "Config update error", detail);
    let pause = |detail: &str| error(500, "Pause error", detail);
    vec![
        (External, &[], r#"{"data":{"type":"status","id":"default","attributes":{"vus":4}}}"#, 200, status(4, 5, false, 7, false)),
        (External, &[], r#"{"data":{"attributes":{"vus":6}}}"#, 400, config("invalid configuration supplied: the number of active VUs (6) must be less than or equal to the number of maxVUs (5)")),
        (External, &[], r#"{"data":{"attributes":{"vus":6,"vus-max":8}}}"#, 200, status(6, 8, false, 7, false)),
        (External, &[r#"{"data":{"attributes":{"vus":6,"vus-max":8}}}"#], r#"{"data":{"attributes":{"vus-max":4}}}"#, 400, config("invalid configuration supplied: the number of active VUs (6) must be less than or equal to the number of maxVUs (4)")),
        (External, &[], r#"{"data":{"attributes":{"vus":1,"vus-max":4}}}"#, 400, config("the new number of max VUs cannot be lower than the starting number of max VUs (5)")),
        (External, &[r#"{"data":{"attributes":{"vus-max":6}}}"#], r#"{"data":{"attributes":{"vus-max":5}}}"#, 200, status(2, 5, false, 7, false)),
        (External, &[], r#"{"data":{"attributes":{"vus":-1}}}"#, 400, config("invalid configuration supplied: the number of VUs can't be negative")),
        (External, &[], r#"{"data":{"attributes":{"vus-max":1000000000000}}}"#, 400, config("invalid configuration supplied: the number of maxVUs (1000000000000) must be at most 1000000, what this machine holds beside the other scenarios (--max-vus)")),
        (External, &[], "{bad json", 400, bad("invalid character 'b' looking for beginning of object key string")),
        (External, &[], "", 400, bad("unexpected end of JSON input")),
        (External, &[], "[]", 400, bad("json: cannot unmarshal array into Go value of type v1.StatusJSONAPI")),
        (External, &[], r#"{"data":{"attributes":{"vus":"x"}}}"#, 400, bad(r#"strconv.ParseInt: parsing \"x\": invalid syntax"#)),
        (External, &[], "{}", 200, status(2, 5, false, 7, false)),
        (External, &[], r#"{"data":{"attributes":{}}}"#, 200, status(2, 5, false, 7, false)),
        (External, &[], r#"{"data":{"attributes":{"paused":true}}}"#, 200, status(0, 5, true, 7, false)),
        (External, &[r#"{"data":{"attributes":{"paused":true}}}"#], r#"{"data":{"attributes":{"paused":true}}}"#, 500, pause("test execution was already paused")),
        (External, &[r#"{"data":{"attributes":{"paused":true}}}"#], r#"{"data":{"attributes":{"vus":3}}}"#, 200, status(0, 5, true, 7, false)),
        (External, &[r#"{"data":{"attributes":{"paused":true}}}"#, r#"{"data":{"attributes":{"vus":3}}}"#], r#"{"data":{"attributes":{"paused":false}}}"#, 200, status(3, 5, false, 7, false)),
        (External, &[], r#"{"data":{"attributes":{"paused":false}}}"#, 500, pause("test execution wasn't paused")),
        (PausedBeforeRun, &[], r#"{"data":{"attributes":{"paused":true}}}"#, 500, pause("execution is already paused")),
        (PausedBeforeRun, &[], r#"{"data":{"attributes":{"vus":2}}}"#, 200, status(0, 5, true, 4, false)),
        (PausedBeforeRun, &[], r#"{"data":{"attributes":{"paused":false}}}"#, 200, status(2, 5, false, 7, false)),
        (ConstantVus, &[], r#"{"data":{"attributes":{"paused":true}}}"#, 500, pause("constant-vus executor 'cv' doesn't support pause and resume operations after its start")),
        (ConstantVus, &[], r#"{"data":{"attributes":{"vus":3}}}"#, 500, error(500, "Execution config error", "an externally-controlled executor needs to be configured for live configuration updates")),
        (External, &[], r#"{"data":{"attributes":{"stopped":true}}}"#, 200, status(2, 5, false, 7, true)),
    ]
}

#[tokio::test]
async fn every_row_of_the_spec_table() {
    for (kind, before, body, code, expected) in rows() {
        let server = start(Fake::new(kind)).await;
        for earlier in before {
            let r = raw(server.addr, "PATCH", "/v1/status", earlier.as_bytes()).await;
            assert_eq!(r.status, 200, "{earlier}: {}", r.body);
        }
        let r = raw(server.addr, "PATCH", "/v1/status", body.as_bytes()).await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (code, expected.as_str()),
            "{kind:?} {before:?} {body}"
        );
        assert_eq!(r.header("content-type"), Some(JSON_UTF8), "{body}");
    }
}

#[tokio::test]
async fn bodies_over_one_mib_are_refused() {
    let server = start(Fake::new(Kind::External)).await;
    let mut big = br#"{"data":{"attributes":{"vus":3}},"pad":""#.to_vec();
    big.resize(k6r_rest::MAX_BODY + 1, b' ');
    let r = raw(server.addr, "PATCH", "/v1/status", &big).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        error(400, "Couldn't read request", "http: request body too large")
    );
    let r = raw(server.addr, "PUT", "/v1/setup", &big).await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            error(
                400,
                "Error reading request body",
                "http: request body too large"
            )
        )
    );
    // Exactly the limit is fine.
    let mut ok = br#"{"data":{"attributes":{"vus":3}}}"#.to_vec();
    ok.resize(k6r_rest::MAX_BODY, b' ');
    let r = raw(server.addr, "PATCH", "/v1/status", &ok).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(server.patches.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_patches_are_applied_one_at_a_time() {
    let mut fake = Fake::new(Kind::External);
    fake.start_max = 100;
    fake.vus.max_vus = 100;
    let server = start(fake).await;
    let clients: Vec<reqwest::Client> = (0..5).map(|_| reqwest::Client::new()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 1..=100u64 {
        let client = clients[i as usize % clients.len()].clone();
        let url = server.url("/v1/status");
        tasks.spawn(async move {
            let body = format!(r#"{{"data":{{"attributes":{{"vus":{i}}}}}}}"#);
            let r = client.patch(url).body(body).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let env: StatusEnvelope = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
            (i, env.data.attributes.vus)
        });
    }
    let mut seen = 0;
    while let Some(done) = tasks.join_next().await {
        let (asked, answered) = done.unwrap();
        // Each answer is the state right after that request.
        assert_eq!(answered, Some(asked as i64));
        seen += 1;
    }
    assert_eq!(seen, 100);
    assert_eq!(server.patches.load(Ordering::SeqCst), 100);
}

#[tokio::test]
async fn the_control_handle_outlives_dropped_clients() {
    let server = start(Fake::new(Kind::External)).await;
    // A client that goes away mid-request leaves the task answering.
    for _ in 0..20 {
        let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        drop(stream);
    }
    let s = server.control.status().await.unwrap();
    assert_eq!(s.vus, Some(2));
}
