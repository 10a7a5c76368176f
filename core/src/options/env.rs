//! The `K6_*` environment layer of the options.

use super::{json, Options, OptionsError, Stage};
use crate::duration::Duration;

/// Reads the options layer k6 takes from `K6_*` environment variables
/// (`K6_VUS`, `K6_DURATION`, `K6_ITERATIONS`, `K6_STAGES`, `K6_PAUSED`,
/// `K6_NO_SETUP`, `K6_NO_TEARDOWN`, `K6_SETUP_TIMEOUT`, `K6_TEARDOWN_TIMEOUT`,
/// ...). `lookup` returns a variable's value; `executionSegment`,
/// `executionSegmentSequence` and `scenarios` have no variable, as in k6.
pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Options, OptionsError> {
    let int = |name: &str| -> Result<Option<i64>, OptionsError> {
        match lookup(name) {
            None => Ok(None),
            Some(text) => json::int(Some(&serde_json::Value::String(text)), name),
        }
    };
    let boolean = |name: &str| -> Result<Option<bool>, OptionsError> {
        Ok(lookup(name).map(|t| matches!(t.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True")))
    };
    let dur =
        |name: &str| -> Result<Option<Duration>, OptionsError> {
            match lookup(name) {
                None => Ok(None),
                Some(text) => Duration::parse_extended(&text).map(Some).map_err(|source| {
                    OptionsError::Duration {
                        path: name.to_string(),
                        source,
                    }
                }),
            }
        };
    let stages = match lookup("K6_STAGES") {
        None => None,
        Some(text) => Some(
            text.split(',')
                .enumerate()
                .map(|(i, s)| Stage::parse_cli(s, i))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let list =
        |name: &str| lookup(name).map(|t| t.split(',').map(str::to_string).collect::<Vec<_>>());
    Ok(Options {
        paused: boolean("K6_PAUSED")?,
        vus: int("K6_VUS")?,
        duration: dur("K6_DURATION")?,
        iterations: int("K6_ITERATIONS")?,
        stages,
        no_setup: boolean("K6_NO_SETUP")?,
        setup_timeout: dur("K6_SETUP_TIMEOUT")?,
        no_teardown: boolean("K6_NO_TEARDOWN")?,
        teardown_timeout: dur("K6_TEARDOWN_TIMEOUT")?,
        rps: int("K6_RPS")?,
        max_redirects: int("K6_MAX_REDIRECTS")?,
        user_agent: lookup("K6_USER_AGENT"),
        batch: int("K6_BATCH")?,
        batch_per_host: int("K6_BATCH_PER_HOST")?,
        http_debug: lookup("K6_HTTP_DEBUG"),
        insecure_skip_tls_verify: boolean("K6_INSECURE_SKIP_TLS_VERIFY")?,
        throw: boolean("K6_THROW")?,
        no_connection_reuse: boolean("K6_NO_CONNECTION_REUSE")?,
        no_vu_connection_reuse: boolean("K6_NO_VU_CONNECTION_REUSE")?,
        min_iteration_duration: dur("K6_MIN_ITERATION_DURATION")?,
        summary_trend_stats: list("K6_SUMMARY_TREND_STATS"),
        summary_time_unit: lookup("K6_SUMMARY_TIME_UNIT"),
        system_tags: list("K6_SYSTEM_TAGS"),
        metric_samples_buffer_size: int("K6_METRIC_SAMPLES_BUFFER_SIZE")?,
        no_cookies_reset: boolean("K6_NO_COOKIES_RESET")?,
        discard_response_bodies: boolean("K6_DISCARD_RESPONSE_BODIES")?,
        ..Options::default()
    })
}
