//! [`Options::to_json`]: the options as `k6 inspect` prints them, and as a
//! running script reads them.

use serde_json::{Map, Value};

use super::{json, Options, Stage};

impl Options {
    /// The options as a running script reads them (`exec.test.options`):
    /// [`Options::to_json`] without the shortcuts (`vus`, `duration`,
    /// `iterations`, `stages`), which k6 has folded into `scenarios` by
    /// then, and with the two command-line-only options k6 adds at the
    /// end (`consoleOutput`, `localIPs`; k6r has neither flag, so `null`).
    pub fn to_test_json(&self) -> Map<String, Value> {
        let mut out = self.to_json();
        for shortcut in ["vus", "duration", "iterations", "stages"] {
            out.shift_remove(shortcut);
        }
        out.insert("consoleOutput".to_owned(), Value::Null);
        out.insert("localIPs".to_owned(), Value::Null);
        out
    }

    /// The options as `k6 inspect` prints them: every known key in k6's
    /// order, `null` where unset.
    pub fn to_json(&self) -> Map<String, Value> {
        let raw = |key: &str| self.raw.get(key).cloned().unwrap_or(Value::Null);
        let text = |v: Option<String>| v.map(Value::String).unwrap_or(Value::Null);
        let dns = match raw("dns") {
            Value::Null => serde_json::json!({"ttl": null, "select": null, "policy": null}),
            other => other,
        };
        let fields = [
            ("paused", json::opt(&self.paused)),
            ("vus", json::opt(&self.vus)),
            ("duration", json::opt(&self.duration)),
            ("iterations", json::opt(&self.iterations)),
            ("stages", self.stages_json()),
            ("scenarios", self.scenarios_json()),
            (
                "executionSegment",
                text(self.execution_segment.as_ref().map(|s| s.to_string())),
            ),
            (
                "executionSegmentSequence",
                text(
                    self.execution_segment_sequence
                        .as_ref()
                        .map(|s| s.to_string()),
                ),
            ),
            ("noSetup", json::opt(&self.no_setup)),
            ("setupTimeout", json::opt(&self.setup_timeout)),
            ("noTeardown", json::opt(&self.no_teardown)),
            ("teardownTimeout", json::opt(&self.teardown_timeout)),
            ("rps", json::opt(&self.rps)),
            ("dns", dns),
            ("maxRedirects", json::opt(&self.max_redirects)),
            ("userAgent", json::opt(&self.user_agent)),
            ("batch", json::opt(&self.batch)),
            ("batchPerHost", json::opt(&self.batch_per_host)),
            ("httpDebug", json::opt(&self.http_debug)),
            (
                "insecureSkipTLSVerify",
                json::opt(&self.insecure_skip_tls_verify),
            ),
            ("tlsCipherSuites", raw("tlsCipherSuites")),
            ("tlsVersion", raw("tlsVersion")),
            ("tlsAuth", raw("tlsAuth")),
            ("throw", json::opt(&self.throw)),
            ("thresholds", json::opt(&self.thresholds)),
            ("blacklistIPs", raw("blacklistIPs")),
            ("blockHostnames", raw("blockHostnames")),
            ("hosts", raw("hosts")),
            ("noConnectionReuse", json::opt(&self.no_connection_reuse)),
            (
                "noVUConnectionReuse",
                json::opt(&self.no_vu_connection_reuse),
            ),
            (
                "minIterationDuration",
                json::opt(&self.min_iteration_duration),
            ),
            ("ext", raw("ext")),
            ("summaryTrendStats", json::opt(&self.summary_trend_stats)),
            ("summaryTimeUnit", json::opt(&self.summary_time_unit)),
            ("systemTags", json::opt(&self.system_tags)),
            ("tags", json::opt(&self.tags)),
            (
                "metricSamplesBufferSize",
                json::opt(&self.metric_samples_buffer_size),
            ),
            ("noCookiesReset", json::opt(&self.no_cookies_reset)),
            (
                "discardResponseBodies",
                json::opt(&self.discard_response_bodies),
            ),
        ];
        fields
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect()
    }

    fn stages_json(&self) -> Value {
        match &self.stages {
            Some(s) => Value::Array(s.iter().map(Stage::to_json).collect()),
            None => Value::Null,
        }
    }

    fn scenarios_json(&self) -> Value {
        match &self.scenarios {
            Some(s) => Value::Object(
                s.iter()
                    .map(|(name, sc)| (name.clone(), sc.to_json()))
                    .collect(),
            ),
            None => Value::Null,
        }
    }
}
