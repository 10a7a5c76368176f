//! [`Options::from_json`]: the JSON of a script's `options` (or a config
//! file, or the environment's layer) read into typed, null-able fields.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{json, tls, Options, OptionsError, Scenario, Stage, Warning};
use crate::segment::{Segment, Sequence};

/// Options k6r carries without interpreting yet; printed back as given.
const RAW_KEYS: [&str; 9] = [
    "dns",
    "tlsCipherSuites",
    "tlsVersion",
    "tlsAuth",
    "blacklistIPs",
    "blockHostnames",
    "hosts",
    "ext",
    "cloud",
];

/// Every top-level key k6 knows; others only draw a warning.
const KNOWN_KEYS: [&str; 40] = [
    "paused",
    "vus",
    "duration",
    "iterations",
    "stages",
    "scenarios",
    "executionSegment",
    "executionSegmentSequence",
    "noSetup",
    "setupTimeout",
    "noTeardown",
    "teardownTimeout",
    "rps",
    "dns",
    "maxRedirects",
    "userAgent",
    "batch",
    "batchPerHost",
    "httpDebug",
    "insecureSkipTLSVerify",
    "tlsCipherSuites",
    "tlsVersion",
    "tlsAuth",
    "throw",
    "thresholds",
    "blacklistIPs",
    "blockHostnames",
    "hosts",
    "noConnectionReuse",
    "noVUConnectionReuse",
    "minIterationDuration",
    "ext",
    "cloud",
    "summaryTrendStats",
    "summaryTimeUnit",
    "systemTags",
    "tags",
    "metricSamplesBufferSize",
    "noCookiesReset",
    "discardResponseBodies",
];

impl Options {
    /// Reads options from JSON, returning them with the warnings k6 gives
    /// (unknown top-level keys). Scenario keys are strict.
    pub fn from_json(value: &Value) -> Result<(Options, Vec<Warning>), OptionsError> {
        let map = match value {
            Value::Null => return Ok((Options::default(), Vec::new())),
            Value::Object(map) => map,
            other => {
                return Err(OptionsError::Type {
                    found: json::kind(other),
                    path: "Options".into(),
                    go_type: "lib.Options".into(),
                })
            }
        };
        let mut warnings = Vec::new();
        if let Some(unknown) = map.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            warnings.push(Warning::unknown_field(unknown));
        }
        let path = |key: &str| format!("Options.{key}");
        let get = |key: &str| map.get(key);
        let int = |key: &str| json::int(get(key), &path(key));
        let boolean = |key: &str| json::boolean(get(key), &path(key));
        let dur = |key: &str| json::duration(get(key), &path(key));
        let string = |key: &str| json::string(get(key), &path(key));
        let list = |key: &str| json::string_list(get(key), &path(key));

        let scenarios = scenarios(get("scenarios"))?;
        let execution_segment = segment_text(map, "executionSegment", "*lib.ExecutionSegment")?
            .map(|text| Segment::parse(&text))
            .transpose()?;
        // An explicitly empty sequence is kept: k6 then reports that the
        // segment cannot be found in it.
        let execution_segment_sequence = segment_text(
            map,
            "executionSegmentSequence",
            "*lib.ExecutionSegmentSequence",
        )?
        .map(|text| Sequence::parse(&text))
        .transpose()?;
        let thresholds = match get("thresholds") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(json::object(v, "Options.thresholds", "map[string]Thresholds")?.clone())
            }
        };
        // Read here so a bad value stops the load with k6's error.
        tls::read(get("tlsVersion"), get("tlsCipherSuites"), get("tlsAuth"))?;

        let options = Options {
            paused: boolean("paused")?,
            vus: int("vus")?,
            duration: dur("duration")?,
            iterations: int("iterations")?,
            stages: Stage::list_from_json(get("stages"), "Options.stages")?,
            scenarios,
            execution_segment,
            execution_segment_sequence,
            no_setup: boolean("noSetup")?,
            setup_timeout: dur("setupTimeout")?,
            no_teardown: boolean("noTeardown")?,
            teardown_timeout: dur("teardownTimeout")?,
            rps: int("rps")?,
            max_redirects: int("maxRedirects")?,
            user_agent: string("userAgent")?,
            batch: int("batch")?,
            batch_per_host: int("batchPerHost")?,
            http_debug: string("httpDebug")?,
            insecure_skip_tls_verify: boolean("insecureSkipTLSVerify")?,
            throw: boolean("throw")?,
            thresholds,
            no_connection_reuse: boolean("noConnectionReuse")?,
            no_vu_connection_reuse: boolean("noVUConnectionReuse")?,
            min_iteration_duration: dur("minIterationDuration")?,
            summary_trend_stats: list("summaryTrendStats")?,
            summary_time_unit: string("summaryTimeUnit")?,
            system_tags: list("systemTags")?,
            tags: json::string_map(get("tags"), "Options.tags")?,
            metric_samples_buffer_size: int("metricSamplesBufferSize")?,
            no_cookies_reset: boolean("noCookiesReset")?,
            discard_response_bodies: boolean("discardResponseBodies")?,
            raw: raw(map),
            unset_vus: 0,
        };
        Ok((options, warnings))
    }
}

/// `scenarios`: each entry read strictly under its name.
fn scenarios(value: Option<&Value>) -> Result<Option<BTreeMap<String, Scenario>>, OptionsError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let entries = json::object(value, "Options.scenarios", "lib.ScenarioConfigs")?;
    let mut out = BTreeMap::new();
    for (name, value) in entries {
        out.insert(name.clone(), Scenario::from_json(name, value)?);
    }
    Ok(Some(out))
}

/// The text of `executionSegment` or `executionSegmentSequence`; any other
/// JSON there is a type error naming `go_type`.
fn segment_text(
    map: &Map<String, Value>,
    key: &str,
    go_type: &str,
) -> Result<Option<String>, OptionsError> {
    let value = map.get(key);
    json::string(value, &format!("Options.{key}")).map_err(|_| OptionsError::Type {
        found: json::kind(value.unwrap_or(&Value::Null)),
        path: format!("Options.{key}"),
        go_type: go_type.into(),
    })
}

/// The options carried as given ([`RAW_KEYS`]), leaving out `null`s.
fn raw(map: &Map<String, Value>) -> BTreeMap<String, Value> {
    RAW_KEYS
        .iter()
        .filter_map(|k| {
            map.get(*k)
                .filter(|v| !v.is_null())
                .map(|v| ((*k).to_string(), v.clone()))
        })
        .collect()
}
