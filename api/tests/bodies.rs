//! Round trips of k6's exact bodies (spec §4): each parses into the DTOs
//! and serialises back byte for byte.

use k6r_api::{
    go_float, ErrorsBody, ExecutionStatus, GroupsEnvelope, MetricEnvelope, MetricsEnvelope,
    SetupEnvelope, Status, StatusEnvelope,
};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(body: &str) -> T {
    let value: T = serde_json::from_str(body).expect("parses");
    assert_eq!(serde_json::to_string(&value).expect("serialises"), body);
    value
}

#[test]
fn status() {
    let body = r#"{"data":{"type":"status","id":"default","attributes":{"status":7,"paused":false,"vus":2,"vus-max":5,"stopped":false,"running":true,"tainted":true}}}"#;
    let env: StatusEnvelope = round_trip(body);
    let s = env.data.attributes;
    assert_eq!(s.status, ExecutionStatus::Running);
    assert_eq!(
        (s.paused, s.vus, s.vus_max),
        (Some(false), Some(2), Some(5))
    );
    assert!(s.running && s.tainted && !s.stopped);
    assert_eq!(
        serde_json::to_string(&StatusEnvelope::from(s)).unwrap(),
        body
    );
}

#[test]
fn control_requests_as_k6_sends_them() {
    // `k6 scale -u 2` (null = not given).
    let body = r#"{"data":{"type":"status","id":"default","attributes":{"status":0,"paused":null,"vus":2,"vus-max":null,"stopped":false,"running":false,"tainted":false}}}"#;
    let env: StatusEnvelope = round_trip(body);
    assert_eq!(env.data.attributes.vus, Some(2));
    let pause = Status {
        paused: Some(true),
        ..Status::default()
    };
    assert_eq!(
        serde_json::to_string(&pause.into_envelope()).unwrap(),
        r#"{"data":{"type":"status","id":"default","attributes":{"status":0,"paused":true,"vus":null,"vus-max":null,"stopped":false,"running":false,"tainted":false}}}"#
    );
}

#[test]
fn every_execution_status_number() {
    for n in 0..=11 {
        let s = ExecutionStatus::from_code(n);
        assert_eq!(s.code(), n);
        assert_eq!(serde_json::to_string(&s).unwrap(), n.to_string());
    }
    assert_eq!(
        ExecutionStatus::from_code(4),
        ExecutionStatus::PausedBeforeRun
    );
    assert_eq!(ExecutionStatus::from_code(9), ExecutionStatus::Ended);
}

#[test]
fn metrics() {
    let body = r#"{"data":[{"type":"metrics","id":"http_req_duration","attributes":{"type":"trend","contains":"time","tainted":false,"sample":{"avg":0.96,"max":3.68,"med":0.65,"min":0.35,"p(90)":1.65,"p(95)":3.5}}},{"type":"metrics","id":"vus","attributes":{"type":"gauge","contains":"default","tainted":null,"sample":{"value":2}}},{"type":"metrics","id":"http_reqs","attributes":{"type":"counter","contains":"default","tainted":null,"sample":{"count":12,"rate":5.994}}}]}"#;
    let env: MetricsEnvelope = round_trip(body);
    assert_eq!(env.data.len(), 3);
    assert_eq!(env.data[1].attributes.sample["value"], 2.0);
    let one = r#"{"data":{"type":"metrics","id":"http_req_duration{expected_response:true}","attributes":{"type":"rate","contains":"default","tainted":true,"sample":{"rate":0}}}}"#;
    let env: MetricEnvelope = round_trip(one);
    assert_eq!(env.data.id, "http_req_duration{expected_response:true}");
}

#[test]
fn floats_are_written_as_go_writes_them() {
    for (v, text) in [
        (0.0, "0"),
        (5.0, "5"),
        (-3.0, "-3"),
        (0.96, "0.96"),
        (0.8343970919540229, "0.8343970919540229"),
        (1.3742566000000003, "1.3742566000000003"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (1e21, "1e+21"),
        (123456789012.0, "123456789012"),
    ] {
        assert_eq!(go_float(v), text, "{v}");
    }
}

#[test]
fn groups() {
    let body = r#"{"data":[{"type":"groups","id":"d41d8cd98f00b204e9800998ecf8427e","attributes":{"path":"","name":"","checks":null},"relationships":{"groups":{"data":[{"type":"groups","id":"c34b428ee7255085dfe7fef53d3394d5"}]},"parent":{"data":null}}},{"type":"groups","id":"c34b428ee7255085dfe7fef53d3394d5","attributes":{"path":"::outer","name":"outer","checks":null},"relationships":{"groups":{"data":[{"type":"groups","id":"b6c425bc7b9e3d21a2d56ce7a6de3614"}]},"parent":{"data":{"type":"groups","id":"d41d8cd98f00b204e9800998ecf8427e"}}}},{"type":"groups","id":"b6c425bc7b9e3d21a2d56ce7a6de3614","attributes":{"path":"::outer::inner","name":"inner","checks":[{"id":"dfd4a54de488742eae8543750acf294c","path":"::outer::inner::ok","name":"ok","passes":28,"fails":0}]},"relationships":{"groups":{"data":[]},"parent":{"data":{"type":"groups","id":"c34b428ee7255085dfe7fef53d3394d5"}}}}]}"#;
    let env: GroupsEnvelope = round_trip(body);
    assert_eq!(
        env.data[2].attributes.checks.as_ref().unwrap()[0].passes,
        28
    );
    assert!(env.data[0].relationships.parent.data.is_none());
}

#[test]
fn setup_data() {
    let with = r#"{"data":{"type":"setupData","id":"default","attributes":{"data":{"hello":"world","n":1}}}}"#;
    let env: SetupEnvelope = round_trip(with);
    assert_eq!(
        env.data.attributes.data.unwrap().get(),
        r#"{"hello":"world","n":1}"#
    );
    let without = r#"{"data":{"type":"setupData","id":"default","attributes":{}}}"#;
    let env: SetupEnvelope = round_trip(without);
    assert!(env.data.attributes.data.is_none());
    let null = r#"{"data":{"type":"setupData","id":"default","attributes":{"data":null}}}"#;
    let env: SetupEnvelope = round_trip(null);
    assert_eq!(env.data.attributes.data.unwrap().get(), "null");
}

#[test]
fn errors() {
    let body = r#"{"errors":[{"status":"400","title":"Config update error","detail":"invalid configuration supplied: the number of active VUs (6) must be less than or equal to the number of maxVUs (5)"}]}"#;
    let env: ErrorsBody = round_trip(body);
    assert_eq!(
        env.message().unwrap(),
        "Config update error: invalid configuration supplied: the number of active VUs (6) must be less than or equal to the number of maxVUs (5)"
    );
    assert_eq!(
        serde_json::to_string(&ErrorsBody::one(
            404,
            "Not Found",
            "No metric with that ID was found"
        ))
        .unwrap(),
        r#"{"errors":[{"status":"404","title":"Not Found","detail":"No metric with that ID was found"}]}"#
    );
}
