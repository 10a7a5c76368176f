//! k6r-core's `Options` on the wire (an Assign's): typed messages that
//! round-trip exactly, thresholds that re-parse as sent, free-form JSON
//! that keeps integers apart from floats, and refusals that name the
//! field.

use std::collections::BTreeMap;

use k6r_core::duration::Duration;
use k6r_core::options::{Executor, Options, Purpose, Stage};
use k6r_core::segment::{Segment, Sequence};
use k6r_core::threshold::Config;
use k6r_proto::convert::OptionsWireError;
use k6r_proto::v1::{self, json_value::Kind};
use proptest::prelude::*;
use prost::Message;
use serde_json::{json, Map, Value};

fn secs(s: i64) -> Option<Duration> {
    Some(Duration::from_secs(s))
}

fn strings(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| s.to_string()).collect())
}

fn string_map(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Every executor, with the scenario fields and the executors' own
/// options set (and some left unset), as a script gives them.
fn scenarios() -> BTreeMap<String, k6r_core::options::Scenario> {
    let (options, _) = Options::from_json(&json!({"scenarios": {
        "shared": {"executor": "shared-iterations", "vus": 2, "iterations": 10,
            "maxDuration": "30s", "startTime": "1s", "gracefulStop": "3s",
            "env": {"A": "1"}, "exec": "api", "tags": {"t": "x"},
            "options": {"browser": {"type": "chromium"}, "n": 5, "f": 5.0}},
        "per_vu": {"executor": "per-vu-iterations", "iterations": 3},
        "constant": {"executor": "constant-vus", "vus": 4, "duration": "1m", "env": {}},
        "ramping": {"executor": "ramping-vus", "startVUs": 0, "gracefulRampDown": "0s",
            "stages": [{"duration": "10s", "target": 5}, {"target": 1}]},
        "car": {"executor": "constant-arrival-rate", "rate": 30, "timeUnit": "1m",
            "duration": "2m", "preAllocatedVUs": 5, "maxVUs": 10},
        "rar": {"executor": "ramping-arrival-rate", "startRate": 1, "timeUnit": "1s",
            "preAllocatedVUs": 2, "stages": []},
        "ctl": {"executor": "externally-controlled", "vus": 1, "maxVUs": 5, "duration": "0s"},
    }}))
    .unwrap();
    let mut scenarios = options.scenarios.unwrap();
    // A derived scenario copies the options' unset vus, which may be 0.
    if let Executor::ConstantVus(c) = &mut scenarios.get_mut("constant").unwrap().executor {
        c.unset_vus = 0;
    }
    scenarios.get_mut("per_vu").unwrap().options = Some(Value::Null);
    scenarios
}

/// Options with every field set, thresholds in both forms and free-form
/// JSON with nested objects, integers, floats and nulls. A struct literal,
/// so that a new field of `Options` fails to compile here until the test
/// (and the conversion) carry it.
fn rich() -> Options {
    Options {
        paused: Some(true),
        vus: Some(3),
        duration: secs(90),
        iterations: Some(12),
        stages: Some(vec![
            Stage::new(Duration::from_secs(5), 2),
            Stage {
                duration: None,
                target: Some(-1),
            },
        ]),
        scenarios: Some(scenarios()),
        execution_segment: Some(Segment::parse("1/3:2/3").unwrap()),
        execution_segment_sequence: Some(Sequence::parse("0,1/3,2/3,1").unwrap()),
        no_setup: Some(false),
        setup_timeout: secs(-2),
        no_teardown: Some(true),
        teardown_timeout: Some(Duration::from_nanos(1_500)),
        rps: Some(100),
        max_redirects: Some(0),
        user_agent: Some("k6r/test".into()),
        batch: Some(20),
        batch_per_host: Some(6),
        http_debug: Some("full".into()),
        insecure_skip_tls_verify: Some(true),
        throw: Some(false),
        thresholds: Some(object(json!({
            "http_req_duration": ["p(95)<200", "avg<100"],
            "checks": [{"threshold": "rate>0.9", "abortOnFail": true, "delayAbortEval": "10s"}],
            "iterations": [{"threshold": "count>1", "abortOnFail": true}],
            "http_req_duration{status:200}": [
                {"threshold": "max<1000", "abortOnFail": false, "delayAbortEval": "1m30.5s"},
            ],
            "empty": [],
        }))),
        no_connection_reuse: Some(true),
        no_vu_connection_reuse: Some(false),
        min_iteration_duration: Some(Duration::from_millis(250)),
        summary_trend_stats: strings(&["avg", "p(99.9)"]),
        summary_time_unit: Some("ms".into()),
        system_tags: strings(&[]),
        tags: string_map(&[("env", "staging"), ("team", "")]),
        metric_samples_buffer_size: Some(1000),
        no_cookies_reset: Some(true),
        discard_response_bodies: Some(false),
        raw: object(json!({
            "hosts": {"test.k6.io": "1.2.3.4", "z.example": "5.6.7.8:80"},
            "dns": {"ttl": "5m", "select": "first", "policy": null},
            "ext": {"n": [5, 5.0, -7, u64::MAX, i64::MIN,
                          1.5e300, -0.25, 0, true, "s", null, [], {}],
                    "nested": {"b": {"a": [{"deep": null}]}}},
        }))
        .into_iter()
        .collect(),
        unset_vus: 1,
    }
}

/// Out, encoded, decoded, back.
fn through_the_wire(options: &Options) -> Result<Options, OptionsWireError> {
    let wire = v1::Options::try_from(options)?;
    let bytes = wire.encode_to_vec();
    let decoded = v1::Options::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded, wire);
    Options::try_from(&decoded)
}

#[test]
fn rich_options_round_trip_exactly() {
    let options = rich();
    let back = through_the_wire(&options).unwrap();
    assert_eq!(back, options);
    // Maps compare without order; the thresholds and JSON objects keep it.
    let keys = |o: &Options| {
        o.thresholds
            .as_ref()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&back), keys(&options));
    assert_eq!(
        serde_json::to_string(&back.raw).unwrap(),
        serde_json::to_string(&options.raw).unwrap()
    );
    // Also inside an Assign, the way the coordinator sends them.
    let assign = v1::Assign {
        run_id: "r".into(),
        options: Some(v1::Options::try_from(&options).unwrap()),
        ..v1::Assign::default()
    };
    let back = v1::Assign::decode(assign.encode_to_vec().as_slice()).unwrap();
    assert_eq!(Options::try_from(&back.options.unwrap()).unwrap(), options);
}

#[test]
fn unset_and_empty_stay_apart() {
    assert_eq!(
        Options::try_from(&v1::Options::default()).unwrap(),
        Options::default()
    );
    let empty = Options {
        stages: Some(Vec::new()),
        scenarios: Some(BTreeMap::new()),
        thresholds: Some(Map::new()),
        summary_trend_stats: Some(Vec::new()),
        tags: Some(BTreeMap::new()),
        execution_segment_sequence: Some(Sequence::parse("").unwrap()),
        ..Options::default()
    };
    assert_eq!(through_the_wire(&empty).unwrap(), empty);
}

#[test]
fn options_read_from_a_script_survive_as_read() {
    // Options as parsed and as consolidated both survive the wire.
    let submitted = json!({
        "stages": [{"duration": "10s", "target": 3}],
        "thresholds": {"http_reqs": ["count>0"]},
        "hosts": {"a.test": "127.0.0.1"},
        "tlsVersion": {"min": "tls1.2", "max": "tls1.3"},
    });
    let (options, _) = Options::from_json(&submitted).unwrap();
    let back = through_the_wire(&options).unwrap();
    assert_eq!(back, options);
    assert_eq!(back.tls().unwrap(), options.tls().unwrap());
    let consolidated = |o: &Options| {
        let mut o = o.clone();
        o.consolidate(Purpose::Run, None).unwrap();
        o
    };
    let run = consolidated(&options);
    assert_eq!(consolidated(&back), run);
    assert_eq!(through_the_wire(&run).unwrap(), run);
}

#[test]
fn integers_stay_integers_and_floats_floats() {
    let value = json!([5, 5.0, -5, 0.1, u64::MAX, i64::MIN, -0.0, 1e-300]);
    let wire = v1::JsonValue::from(&value);
    let Some(Kind::ListValue(list)) = &wire.kind else {
        panic!("not a list")
    };
    let kinds: Vec<_> = list
        .values
        .iter()
        .map(|v| v.kind.clone().unwrap())
        .collect();
    assert_eq!(kinds[0], Kind::UintValue(5));
    assert_eq!(kinds[1], Kind::DoubleValue(5.0));
    assert_eq!(kinds[2], Kind::IntValue(-5));
    let back = Value::try_from(&wire).unwrap();
    assert_eq!(back.to_string(), value.to_string());
    assert_eq!(
        back.to_string(),
        "[5,5.0,-5,0.1,18446744073709551615,-9223372036854775808,-0.0,1e-300]"
    );
}

#[test]
fn objects_keep_their_key_order() {
    let value = json!({"z": 1, "a": {"y": 2, "b": 3}});
    let back = Value::try_from(&v1::JsonValue::from(&value)).unwrap();
    assert_eq!(back.to_string(), r#"{"z":1,"a":{"y":2,"b":3}}"#);
}

/// The thresholds of one metric, through the wire, as k6r-core reads them.
fn thresholds_back(list: Value) -> Vec<Config> {
    let options = Options {
        thresholds: Some(object(json!({ "m": list }))),
        ..Options::default()
    };
    let back = through_the_wire(&options).unwrap();
    Config::parse_list(&back.thresholds.unwrap()["m"]).unwrap()
}

#[test]
fn thresholds_in_any_json_form_re_parse_as_sent() {
    let forms = json!([
        "p(95)<200",
        null,
        {"threshold": "avg<1"},
        {"threshold": "avg<2", "abortOnFail": false, "delayAbortEval": null},
        {"threshold": "avg<3", "abortOnFail": true, "delayAbortEval": 1500},
        {"threshold": "avg<4", "abortOnFail": false, "delayAbortEval": "1d2h"},
        {"threshold": "avg<5", "abortOnFail": true, "delayAbortEval": 0.0015, "ignored": 1},
    ]);
    assert_eq!(
        thresholds_back(forms.clone()),
        Config::parse_list(&forms).unwrap()
    );
    assert!(thresholds_back(Value::Null).is_empty());
}

proptest! {
    #[test]
    fn any_delay_abort_eval_re_parses_to_the_nanosecond(nanos in any::<i64>(), abort in any::<bool>()) {
        let list = json!([{
            "threshold": "count>0",
            "abortOnFail": abort,
            "delayAbortEval": Duration::from_nanos(nanos).to_string(),
        }]);
        let back = thresholds_back(list);
        prop_assert_eq!(back[0].delay_abort_eval, Some(Duration::from_nanos(nanos)));
        prop_assert_eq!(back[0].abort_on_fail, abort);
    }
}

#[test]
fn the_ends_of_the_duration_range_survive_as_delays() {
    for nanos in [i64::MIN, i64::MAX, -1, 1, 999, 1_500, 86_400_000_000_000] {
        let list = json!([{"threshold": "count>0",
            "delayAbortEval": Duration::from_nanos(nanos).to_string()}]);
        let back = thresholds_back(list);
        assert_eq!(back[0].delay_abort_eval, Some(Duration::from_nanos(nanos)));
    }
}

#[test]
fn thresholds_that_do_not_parse_are_refused_naming_the_metric() {
    let options = Options {
        thresholds: Some(object(
            json!({"ok": ["avg<1"], "http_req_duration": "p(95)<1"}),
        )),
        ..Options::default()
    };
    let e = v1::Options::try_from(&options).unwrap_err().to_string();
    assert!(
        e.starts_with(r#"options.thresholds["http_req_duration"]: json: cannot unmarshal string"#),
        "{e}"
    );
}

/// The wire form of `rich()`, to break.
fn wire() -> v1::Options {
    v1::Options::try_from(&rich()).unwrap()
}

fn refusal(wire: &v1::Options) -> String {
    Options::try_from(wire).unwrap_err().to_string()
}

#[test]
fn a_scenario_without_executor_is_refused() {
    let mut w = wire();
    let scenarios = w.scenarios.as_mut().unwrap();
    scenarios.by_name.get_mut("car").unwrap().executor = None;
    assert_eq!(refusal(&w), r#"options.scenarios["car"].executor: missing"#);
    // A map entry without its value.
    let mut w = wire();
    w.scenarios = Some(v1::Scenarios {
        by_name: [("load".to_owned(), v1::Scenario::default())].into(),
    });
    assert_eq!(
        refusal(&w),
        r#"options.scenarios["load"].executor: missing"#
    );
}

#[test]
fn segments_and_sequences_that_do_not_parse_are_refused() {
    let mut w = wire();
    w.execution_segment = Some("2/3:1/3".into());
    assert_eq!(
        refusal(&w),
        "options.execution_segment: segment start(0.67) must be less than its end(0.33)"
    );
    let mut w = wire();
    w.execution_segment_sequence = Some("0,x,1".into());
    let e = refusal(&w);
    assert!(
        e.starts_with("options.execution_segment_sequence: 'x' is not"),
        "{e}"
    );
}

#[test]
fn json_without_kind_is_refused_where_it_is() {
    let mut w = wire();
    let ext = w.raw.get_mut("ext").unwrap();
    let Some(Kind::ObjectValue(object)) = &mut ext.kind else {
        panic!("ext is an object")
    };
    let Some(Kind::ListValue(list)) = &mut object.fields[0].value.as_mut().unwrap().kind else {
        panic!("ext.n is a list")
    };
    list.values[2].kind = None;
    assert_eq!(refusal(&w), r#"options.raw["ext"]["n"][2].kind: missing"#);

    let mut w = wire();
    let shared = w
        .scenarios
        .as_mut()
        .unwrap()
        .by_name
        .get_mut("shared")
        .unwrap();
    let Some(Kind::ObjectValue(object)) = &mut shared.options.as_mut().unwrap().kind else {
        panic!("options is an object")
    };
    object.fields[0].value = None;
    assert_eq!(
        refusal(&w),
        r#"options.scenarios["shared"].options["browser"].value: missing"#
    );
}

#[test]
fn non_finite_floats_are_refused() {
    for (value, text) in [(f64::NAN, "NaN"), (f64::INFINITY, "inf")] {
        let mut w = v1::Options::default();
        w.raw.insert(
            "dns".into(),
            v1::JsonValue {
                kind: Some(Kind::ListValue(v1::JsonList {
                    values: vec![v1::JsonValue {
                        kind: Some(Kind::DoubleValue(value)),
                    }],
                })),
            },
        );
        assert_eq!(
            refusal(&w),
            format!(r#"options.raw["dns"][0].double_value: {text} is not a finite number"#)
        );
    }
}
