//! The options of a test, as a script exports them and k6 consolidates them.
//!
//! [`Options::from_json`] reads the JSON of a script's `options` (or a config
//! file, or the environment's `K6_*` layer) into typed, null-able fields;
//! [`Options::apply`] stacks a higher layer on a lower one with k6's rules;
//! [`Options::derive_scenarios`] turns the shortcuts (`vus`, `duration`,
//! `iterations`, `stages`) into the `default` scenario; and
//! [`Options::validate`] reports every configuration error with k6's
//! messages. [`Options::consolidate`] is those two steps for a run or an
//! inspection, the one place every role finishes its options.
//! [`Options::to_json`] prints them as `k6 inspect` does.

mod consolidate;
mod env;
mod error;
pub(crate) mod json;
mod part;
mod print;
mod read;
mod scenario;
mod shortcuts;
mod stage;
pub mod tls;
mod validate;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub use consolidate::Purpose;
pub use env::from_env;
pub use error::{OptionsError, Warning};
pub use scenario::{
    ConstantArrivalRateConfig, ConstantVusConfig, Executor, ExecutorKind,
    ExternallyControlledConfig, IterationsConfig, RampingArrivalRateConfig, RampingVusConfig,
    Scenario, DEFAULT_GRACEFUL, DEFAULT_MAX_DURATION, DEFAULT_TIME_UNIT, UNSET_VUS,
};
pub use stage::Stage;
pub use tls::{TlsAuth, TlsOptions};

use crate::duration::Duration;
use crate::segment::{Segment, Sequence};

/// The default `setupTimeout` and `teardownTimeout`.
pub const DEFAULT_SETUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The default `summaryTrendStats`.
pub const DEFAULT_SUMMARY_TREND_STATS: [&str; 6] = ["avg", "min", "med", "max", "p(90)", "p(95)"];

/// The system tags k6 enables by default, in the order it prints them.
pub const DEFAULT_SYSTEM_TAGS: [&str; 14] = [
    "check",
    "error",
    "error_code",
    "expected_response",
    "group",
    "method",
    "name",
    "proto",
    "scenario",
    "service",
    "status",
    "subproto",
    "tls_version",
    "url",
];

/// The options of a test: each field `None` when no layer set it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// Start paused (`--paused`).
    pub paused: Option<bool>,
    /// Shortcut: VUs of the `default` scenario.
    pub vus: Option<i64>,
    /// Shortcut: a constant-vus `default` scenario of this duration.
    pub duration: Option<Duration>,
    /// Shortcut: a shared-iterations `default` scenario.
    pub iterations: Option<i64>,
    /// Shortcut: a ramping-vus `default` scenario.
    pub stages: Option<Vec<Stage>>,
    /// The scenarios by name.
    pub scenarios: Option<BTreeMap<String, Scenario>>,
    /// This instance's share of the test.
    pub execution_segment: Option<Segment>,
    /// How the whole test is split.
    pub execution_segment_sequence: Option<Sequence>,
    /// Skip `setup()`.
    pub no_setup: Option<bool>,
    /// Limit on `setup()` (default 60s).
    pub setup_timeout: Option<Duration>,
    /// Skip `teardown()`.
    pub no_teardown: Option<bool>,
    /// Limit on `teardown()` (default 60s).
    pub teardown_timeout: Option<Duration>,
    /// Global request rate limit per second.
    pub rps: Option<i64>,
    /// Redirects followed per request (default 10).
    pub max_redirects: Option<i64>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Parallel requests of `http.batch` (default 20).
    pub batch: Option<i64>,
    /// Parallel requests of `http.batch` per host (default 6).
    pub batch_per_host: Option<i64>,
    /// `""`, `"headers"` or `"full"`.
    pub http_debug: Option<String>,
    /// Skip TLS verification.
    pub insecure_skip_tls_verify: Option<bool>,
    /// Throw on failed requests.
    pub throw: Option<bool>,
    /// Thresholds by metric, kept as data until the metrics issue.
    pub thresholds: Option<Map<String, Value>>,
    /// Do not reuse connections at all.
    pub no_connection_reuse: Option<bool>,
    /// Do not reuse connections across iterations.
    pub no_vu_connection_reuse: Option<bool>,
    /// The least time an iteration takes.
    pub min_iteration_duration: Option<Duration>,
    /// Stats shown for trends in the summary.
    pub summary_trend_stats: Option<Vec<String>>,
    /// Time unit of the summary (`s`, `ms`, `us`).
    pub summary_time_unit: Option<String>,
    /// Which system tags samples carry.
    pub system_tags: Option<Vec<String>>,
    /// Tags on every sample of the run.
    pub tags: Option<BTreeMap<String, String>>,
    /// Sample buffer size of outputs.
    pub metric_samples_buffer_size: Option<i64>,
    /// Keep cookies across iterations.
    pub no_cookies_reset: Option<bool>,
    /// Do not keep response bodies.
    pub discard_response_bodies: Option<bool>,
    /// Options carried as given (`dns`, `hosts`, `tlsAuth`, ...).
    pub raw: BTreeMap<String, Value>,
    /// The value of `vus` when no layer sets it. k6 keeps a value behind
    /// an unset option: 0 for `k6 inspect`, but 1 for `k6 run`, whose
    /// `--vus` flag defaults to 1. The shortcut scenarios copy it, so
    /// `{duration: '2s'}` runs 1 VU yet fails validation in inspect.
    pub unset_vus: i64,
}

impl Options {
    /// The TLS options (`tlsVersion`, `tlsCipherSuites`, `tlsAuth`,
    /// `insecureSkipTLSVerify`). Their JSON was checked by
    /// [`Options::from_json`], so this fails only for options built
    /// another way.
    pub fn tls(&self) -> Result<TlsOptions, OptionsError> {
        let get = |key: &str| self.raw.get(key);
        let mut tls = tls::read(get("tlsVersion"), get("tlsCipherSuites"), get("tlsAuth"))?;
        tls.insecure_skip_verify = self.insecure_skip_tls_verify.unwrap_or(false);
        Ok(tls)
    }

    /// Stacks `higher` on `self` with k6's precedence: a field set in the
    /// higher layer wins. If the higher layer sets any of `duration`,
    /// `iterations`, `stages` or `scenarios`, all four are first cleared
    /// here; when that throws away scenarios, the warning names the layer
    /// (`"cli" level configuration overrode scenarios configuration entirely`).
    pub fn apply(&mut self, higher: Options, layer: &str) -> Option<Warning> {
        let mut warning = None;
        if higher.duration.is_some()
            || higher.iterations.is_some()
            || higher.stages.is_some()
            || higher.scenarios.is_some()
        {
            if self.scenarios.is_some() {
                warning = Some(Warning::scenarios_overridden(layer));
            }
            self.duration = None;
            self.iterations = None;
            self.stages = None;
            self.scenarios = None;
        }
        macro_rules! take {
            ($($field:ident),*) => {$(
                if higher.$field.is_some() {
                    self.$field = higher.$field;
                }
            )*};
        }
        take!(
            paused,
            vus,
            duration,
            iterations,
            stages,
            scenarios,
            execution_segment,
            execution_segment_sequence,
            no_setup,
            setup_timeout,
            no_teardown,
            teardown_timeout,
            rps,
            max_redirects,
            user_agent,
            batch,
            batch_per_host,
            http_debug,
            insecure_skip_tls_verify,
            throw,
            thresholds,
            no_connection_reuse,
            no_vu_connection_reuse,
            min_iteration_duration,
            summary_trend_stats,
            summary_time_unit,
            system_tags,
            tags,
            metric_samples_buffer_size,
            no_cookies_reset,
            discard_response_bodies
        );
        self.raw.extend(higher.raw);
        warning
    }

    /// Fills the defaults k6 applies after consolidation to the fields it
    /// prints with a value (`summaryTrendStats`, `systemTags`).
    pub fn with_print_defaults(mut self) -> Options {
        if self.summary_trend_stats.is_none() {
            self.summary_trend_stats = Some(
                DEFAULT_SUMMARY_TREND_STATS
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            );
        }
        if self.system_tags.is_none() {
            self.system_tags = Some(DEFAULT_SYSTEM_TAGS.iter().map(|s| s.to_string()).collect());
        }
        self
    }

    /// `setupTimeout`, default 60s.
    pub fn setup_timeout(&self) -> Duration {
        self.setup_timeout.unwrap_or(DEFAULT_SETUP_TIMEOUT)
    }

    /// `teardownTimeout`, default 60s.
    pub fn teardown_timeout(&self) -> Duration {
        self.teardown_timeout.unwrap_or(DEFAULT_SETUP_TIMEOUT)
    }

    /// The scenarios in k6's planning order: by `(startTime, name)`.
    pub fn scenarios_in_order(&self) -> Vec<&Scenario> {
        let mut list: Vec<&Scenario> = self.scenarios.iter().flat_map(|m| m.values()).collect();
        list.sort_by(|a, b| (a.start_time(), &a.name).cmp(&(b.start_time(), &b.name)));
        list
    }
}

#[cfg(test)]
mod tests;
