//! Options: parsing, shortcuts and validation against k6's observed messages.

use serde_json::json;

use super::*;

/// Parses, derives the default scenario and validates, as a run does.
fn consolidate(value: serde_json::Value) -> Result<Options, OptionsError> {
    let (mut options, _) = Options::from_json(&value)?;
    options.derive_scenarios()?;
    options.validate(None)?;
    Ok(options)
}

/// The whole validation message, which must be a validation failure.
fn errors_of(value: serde_json::Value) -> String {
    match consolidate(value) {
        Err(e @ OptionsError::Invalid(_)) => e.to_string(),
        other => panic!("expected validation errors, got {other:?}"),
    }
}

fn scenario(executor: serde_json::Value) -> serde_json::Value {
    json!({ "scenarios": { "s": executor } })
}

#[test]
fn shortcuts_become_the_default_scenario() {
    let o = consolidate(json!({"iterations": 3, "vus": 2, "duration": "5s"})).unwrap();
    let s = &o.scenarios.as_ref().unwrap()["default"];
    assert_eq!(
        s.executor,
        Executor::SharedIterations(IterationsConfig {
            vus: Some(2),
            unset_vus: 0,
            iterations: Some(3),
            max_duration: Some(Duration::from_secs(5)),
        })
    );
    let o = consolidate(json!({"vus": 2, "duration": "10s"})).unwrap();
    assert_eq!(
        o.scenarios.unwrap()["default"].executor.kind(),
        ExecutorKind::ConstantVus
    );
    let o =
        consolidate(json!({"stages": [{"duration": "1s", "target": 2}, {"target": 3}]})).unwrap();
    match &o.scenarios.unwrap()["default"].executor {
        Executor::RampingVus(c) => {
            assert_eq!(c.stages().len(), 1, "stages without duration dropped")
        }
        other => panic!("{other:?}"),
    }
    let o = consolidate(json!({})).unwrap();
    assert_eq!(
        o.scenarios.unwrap()["default"].executor,
        Executor::PerVuIterations(IterationsConfig::default())
    );
}

#[test]
fn shortcut_conflicts_have_k6_messages() {
    let stages = json!([{"duration": "1s", "target": 1}]);
    let sc = json!({"a": {"executor": "constant-vus", "duration": "1s"}});
    let cases = [
        (json!({"iterations": 1, "stages": stages}), "using `iterations` and `stages` options simultaneously is not allowed"),
        (json!({"iterations": 1, "scenarios": sc}), "using `iterations` and `scenarios` options simultaneously is not allowed"),
        (json!({"duration": "1s", "stages": stages}), "using `duration` and `stages` options simultaneously is not allowed"),
        (json!({"duration": "1s", "scenarios": sc}), "using `duration` and `scenarios` options simultaneously is not allowed"),
        (json!({"stages": stages, "scenarios": sc}), "using `stages` and `scenarios` options simultaneously is not allowed"),
        (json!({"duration": "0s"}), "`duration` option should be more than 0, for infinite duration use the externally-controlled executor"),
        (json!({"duration": "-1s"}), "`duration` option should be more than 0, for infinite duration use the externally-controlled executor"),
    ];
    for (input, message) in cases {
        let err = consolidate(input.clone()).unwrap_err();
        assert_eq!(err.to_string(), message, "{input}");
        assert_eq!(err.exit_code(), 104);
    }
}

#[test]
fn unset_vus_of_shortcuts_follows_the_layer_default() {
    // k6 inspect: an unset vus is 0, so {iterations: 3} fails validation.
    assert_eq!(
        consolidate(json!({"iterations": 3})).unwrap_err().to_string(),
        "There were problems with the specified script configuration:\n\t- scenario default has configuration errors: the number of VUs must be more than 0"
    );
    // k6 run: the --vus flag's default 1 stands behind it.
    let (mut o, _) = Options::from_json(&json!({"duration": "2s"})).unwrap();
    o.unset_vus = 1;
    o.derive_scenarios().unwrap();
    o.validate(None).unwrap();
    match &o.scenarios.unwrap()["default"].executor {
        Executor::ConstantVus(c) => assert_eq!((c.vus, c.vus()), (None, 1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fallback_warnings() {
    let warn = |v: serde_json::Value| {
        let (mut o, _) = Options::from_json(&v).unwrap();
        o.derive_scenarios()
            .unwrap()
            .into_iter()
            .map(|w| w.message)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        warn(json!({"vus": 5})),
        ["`vus=5` option will be ignored, it only works in conjunction with `iterations`, `duration`, or `stages`"]
    );
    assert_eq!(
        warn(json!({"stages": []})),
        ["`stages` was explicitly set to an empty value, running the script with 1 iteration in 1 VU"]
    );
    assert_eq!(
        warn(json!({"scenarios": {}})),
        ["`scenarios` was explicitly set to an empty value, running the script with 1 iteration in 1 VU"]
    );
    assert!(warn(json!({"vus": 1})).is_empty());
    let (_, w) = Options::from_json(&json!({"foo": 1})).unwrap();
    assert_eq!(
        w[0].message,
        "There were unknown fields in the options exported in the script"
    );
    assert_eq!(
        w[0].fields,
        [(
            "error".to_string(),
            "json: unknown field \"foo\"".to_string()
        )]
    );
}

#[test]
fn validation_messages_match_k6() {
    let p = "There were problems with the specified script configuration:\n\t- scenario";
    let cases = [
        (json!({"vus": -1, "duration": "1s"}), "default has configuration errors: the number of VUs must be more than 0"),
        (scenario(json!({"executor": "constant-vus", "vus": 2})), "s has configuration errors: the duration is unspecified"),
        (scenario(json!({"executor": "constant-vus", "duration": "500ms"})), "s has configuration errors: the duration must be at least 1s, but is 500ms"),
        (scenario(json!({"executor": "shared-iterations", "vus": 5, "iterations": 3})), "s has configuration errors: the number of iterations (3) can't be less than the number of VUs (5)"),
        (scenario(json!({"executor": "per-vu-iterations", "vus": 0, "iterations": 0, "maxDuration": "0s", "startTime": "-1s", "gracefulStop": "-1s"})),
            "s has configuration errors: the startTime can't be negative, the gracefulStop timeout can't be negative, the number of VUs must be more than 0, the number of iterations must be more than 0, the maxDuration must be at least 1s, but is 0s"),
        (scenario(json!({"executor": "externally-controlled", "vus": 2, "maxVUs": 1, "duration": "10s", "gracefulStop": "1s"})),
            "s has configuration errors: the number of active VUs (2) must be less than or equal to the number of maxVUs (1), gracefulStop is not supported by the externally controlled executor"),
        (scenario(json!({"executor": "externally-controlled", "vus": -2})),
            "s has configuration errors: the number of VUs can't be negative, the duration must be specified, for infinite duration use 0"),
        (scenario(json!({"executor": "externally-controlled", "duration": "-1s", "gracefulStop": 0})),
            "s has configuration errors: the duration can't be negative, for infinite duration use 0, gracefulStop is not supported by the externally controlled executor"),
        (scenario(json!({"executor": "constant-arrival-rate"})),
            "s has configuration errors: the iteration rate isn't specified, the duration is unspecified, the number of preAllocatedVUs isn't specified"),
        (scenario(json!({"executor": "constant-arrival-rate", "rate": 0, "timeUnit": "0s", "duration": "0.5s", "preAllocatedVUs": -1, "maxVUs": -3})),
            "s has configuration errors: the iteration rate must be more than 0, the timeUnit must be more than 0, the duration must be at least 1s, but is 500ms, the number of preAllocatedVUs can't be negative, maxVUs can't be less than preAllocatedVUs"),
        (scenario(json!({"executor": "ramping-arrival-rate", "startRate": -1, "timeUnit": "-1s", "stages": [{"duration": "1s"}, {"target": 3}, {"duration": "-1s", "target": -2}], "preAllocatedVUs": 2, "maxVUs": 1})),
            "s has configuration errors: the startRate value can't be negative, the timeUnit must be more than 0, stage 1 doesn't have a target, stage 2 doesn't have a duration, the duration for stage 3 can't be negative, the target for stage 3 can't be negative, maxVUs can't be less than preAllocatedVUs"),
        (scenario(json!({"executor": "ramping-vus", "startVUs": -1, "stages": []})),
            "s has configuration errors: the number of start VUs can't be negative, either startVUs or one of the stages' target values must be greater than 0, at least one stage has to be specified"),
        (scenario(json!({"executor": "ramping-vus", "stages": [{"duration": "1s", "target": 200000000}]})),
            "s has configuration errors: target for stage 1 exceeds max limit of 100000000"),
        (json!({"scenarios": {"bad name": {"executor": "constant-vus", "duration": "1s"}}}),
            "bad name has configuration errors: the scenario name should contain only numbers, latin letters, underscores, and dashes"),
        (scenario(json!({"executor": "constant-vus", "duration": "1s", "exec": ""})),
            "s has configuration errors: exec value cannot be empty"),
    ];
    for (input, tail) in cases {
        assert_eq!(errors_of(input.clone()), format!("{p} {tail}"), "{input}");
    }
}

#[test]
fn every_problem_is_reported_with_the_block_header() {
    let err = consolidate(json!({"scenarios": {
        "a": {"executor": "constant-vus", "vus": 2},
        "b": {"executor": "per-vu-iterations", "vus": 0, "iterations": 0},
    }}))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "There were problems with the specified script configuration:\n\t- scenario a has configuration errors: the duration is unspecified\n\t- scenario b has configuration errors: the number of VUs must be more than 0, the number of iterations must be more than 0"
    );
}

#[test]
fn missing_exec_functions_come_last() {
    let (mut o, _) = Options::from_json(&json!({"scenarios": {
        "s": {"executor": "constant-vus", "duration": "1s", "exec": "nothere"},
        "t": {"executor": "constant-vus", "duration": "0.5s"},
    }}))
    .unwrap();
    o.derive_scenarios().unwrap();
    let exports = vec!["default".to_string()];
    assert_eq!(
        o.validate(Some(&exports)).unwrap_err().to_string(),
        "There were problems with the specified script configuration:\n\t- scenario t has configuration errors: the duration must be at least 1s, but is 500ms\n\t- executor s: function 'nothere' not found in exports"
    );
}

#[test]
fn parse_errors_have_k6_messages() {
    let err = |v: serde_json::Value| Options::from_json(&v).unwrap_err().to_string();
    assert_eq!(
        err(scenario(json!({"executor": "nope"}))),
        "unknown executor type 'nope'"
    );
    assert_eq!(
        err(scenario(json!({"executor": "Constant-VUs"}))),
        "unknown executor type 'Constant-VUs'"
    );
    assert_eq!(
        err(scenario(json!({"vus": 1}))),
        "scenario 's' doesn't have a specified executor type"
    );
    assert_eq!(
        err(scenario(
            json!({"executor": "constant-arrival-rate", "vus": 1})
        )),
        "json: unknown field \"vus\""
    );
    assert_eq!(
        err(json!({"vus": 1.5})),
        "json: cannot unmarshal number 1.5 into Go struct field Options.vus of type int64"
    );
    assert_eq!(
        err(json!({"vus": "abc"})),
        "strconv.ParseInt: parsing \"abc\": invalid syntax"
    );
    assert_eq!(
        err(scenario(json!({"executor": "constant-vus", "tags": {"a": 1}}))),
        "json: cannot unmarshal number into Go struct field Options.scenarios.BaseConfig.tags of type string"
    );
    assert_eq!(
        err(json!({"duration": "1x"})),
        "time: unknown unit \"x\" in duration \"1x\""
    );
    assert_eq!(
        err(json!({"duration": true})),
        "'true' is not a valid duration value"
    );
    for e in [json!({"vus": 1.5}), scenario(json!({"executor": "nope"}))] {
        let e = Options::from_json(&e).unwrap_err();
        assert!(e.is_load_error());
        assert_eq!(e.exit_code(), 104);
    }
}

#[test]
fn integers_may_be_strings() {
    let (o, _) = Options::from_json(&json!({"vus": "3", "iterations": ""})).unwrap();
    assert_eq!(o.vus, Some(3));
    assert_eq!(o.iterations, None);
}

#[test]
fn higher_layers_clear_all_four_execution_options() {
    let (mut script, _) = Options::from_json(&json!({
        "scenarios": {"s": {"executor": "constant-vus", "duration": "1s"}}, "vus": 4,
        "setupTimeout": "5s"
    }))
    .unwrap();
    let cli = Options {
        iterations: Some(4),
        vus: Some(2),
        ..Options::default()
    };
    let warning = script.apply(cli, "cli").unwrap();
    assert_eq!(
        warning.message,
        "\"cli\" level configuration overrode scenarios configuration entirely"
    );
    assert_eq!(script.scenarios, None);
    assert_eq!(script.iterations, Some(4));
    assert_eq!(script.vus, Some(2));
    assert_eq!(script.setup_timeout, Some(Duration::from_secs(5)));
    // vus alone does not clear the group.
    let (mut script, _) = Options::from_json(&json!({"duration": "3s"})).unwrap();
    assert!(script
        .apply(
            Options {
                vus: Some(9),
                ..Options::default()
            },
            "env"
        )
        .is_none());
    assert_eq!(script.duration, Some(Duration::from_secs(3)));
}

#[test]
fn env_layer_reads_k6_variables() {
    let env = from_env(|k| match k {
        "K6_VUS" => Some("5".into()),
        "K6_DURATION" => Some("1500".into()),
        "K6_STAGES" => Some("1s:2,1s:0".into()),
        "K6_NO_SETUP" => Some("true".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(env.vus, Some(5));
    assert_eq!(env.duration, Some(Duration::from_millis(1500)));
    assert_eq!(
        env.stages.unwrap(),
        [
            Stage::new(Duration::SECOND, 2),
            Stage::new(Duration::SECOND, 0)
        ]
    );
    assert_eq!(env.no_setup, Some(true));
    assert_eq!(
        Stage::parse_cli(":3", 0).unwrap_err().to_string(),
        "stage 0 doesn't have a specified duration"
    );
    assert_eq!(Stage::parse_cli("1s", 0).unwrap().target, None);
}

#[test]
fn timeouts_must_be_positive() {
    assert_eq!(
        consolidate(json!({"setupTimeout": "0s"})).unwrap_err().to_string(),
        "There were problems with the specified script configuration:\n\t- setupTimeout must be positive"
    );
    assert!(
        consolidate(json!({"teardownTimeout": "-1s"})).is_ok(),
        "k6 does not check it"
    );
}

#[test]
fn prints_like_k6_inspect() {
    let (o, _) = Options::from_json(&json!({"scenarios": {
        "v": {"executor": "externally-controlled", "duration": 0, "vus": 0},
        "s": {"executor": "constant-vus", "vus": "3", "duration": 90000, "startTime": "1.5m",
              "gracefulStop": "1d2h", "exec": "default", "env": {"A": "1"},
              "options": {"browser": {"type": "chromium"}}},
    }, "setupTimeout": "5s", "thresholds": {"http_req_duration": ["p(95)<200"]}}))
    .unwrap();
    let out = serde_json::Value::Object(o.with_print_defaults().to_json());
    assert_eq!(
        out["scenarios"]["s"],
        json!({"executor": "constant-vus", "startTime": "1m30s", "gracefulStop": "26h0m0s",
               "env": {"A": "1"}, "exec": "default", "tags": null,
               "options": {"browser": {"type": "chromium"}}, "vus": 3, "duration": "1m30s"})
    );
    assert_eq!(
        out["scenarios"]["v"],
        json!({"executor": "externally-controlled", "startTime": null, "gracefulStop": null,
               "env": null, "exec": null, "tags": null, "vus": 0, "duration": "0s", "maxVUs": 0})
    );
    assert_eq!(out["setupTimeout"], "5s");
    assert_eq!(
        out["dns"],
        json!({"ttl": null, "select": null, "policy": null})
    );
    assert_eq!(out["summaryTrendStats"][5], "p(95)");
    assert_eq!(out["systemTags"].as_array().unwrap().len(), 14);
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys.first().unwrap().as_str(), "paused");
    assert_eq!(keys.last().unwrap().as_str(), "discardResponseBodies");
    assert_eq!(keys.len(), 39);
}

/// k6 accepts any ramp whose targets stay within 100000000 VUs, then takes
/// minutes and gigabytes to plan one step per VU started or stopped (a
/// single stage to 10⁸ VUs: over a minute and 14 GB in k6 v1.1.0). k6r
/// refuses ramping-vus scenarios that start or stop more than two million
/// VUs in all, so that a submitted run cannot exhaust the coordinator.
#[test]
fn ramps_too_long_to_plan_are_refused() {
    let p = "There were problems with the specified script configuration:\n\t- ";
    let ramp = |start: i64, targets: &[i64]| {
        let stages: Vec<_> = targets
            .iter()
            .map(|t| json!({"duration": "1s", "target": t}))
            .collect();
        json!({"executor": "ramping-vus", "startVUs": start, "stages": stages})
    };
    let cases = [
        (json!({"s": ramp(0, &[100_000_000])}), 100_000_000),
        (json!({"s": ramp(1_000_000, &[0, 1_000_000])}), 2_000_000),
        (
            json!({"a": ramp(0, &[1_500_000]), "b": ramp(1, &[500_001])}),
            2_000_000,
        ),
    ];
    for (scenarios, changes) in cases {
        let options = json!({ "scenarios": scenarios });
        if changes <= 2_000_000 {
            assert!(consolidate(options).is_ok(), "{changes}");
            continue;
        }
        assert_eq!(
            errors_of(options),
            format!(
                "{p}the ramping-vus scenarios start or stop {changes} VUs in all, \
                 more than the 2000000 k6r plans"
            )
        );
    }
    let over = json!({"scenarios": {"a": ramp(0, &[1_500_000]), "b": ramp(0, &[500_001])}});
    assert_eq!(
        errors_of(over),
        format!(
            "{p}the ramping-vus scenarios start or stop 2000001 VUs in all, \
             more than the 2000000 k6r plans"
        )
    );
}
