//! The remote-write output's settings, from k6's `K6_PROMETHEUS_RW_*`
//! environment variables.

use std::time::Duration;

use k6r_core::metrics::Stat;

/// Where and how to push.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `K6_PROMETHEUS_RW_SERVER_URL` (default
    /// `http://localhost:9090/api/v1/write`).
    pub url: String,
    /// `K6_PROMETHEUS_RW_PUSH_INTERVAL` (default 5 s).
    pub push_interval: Duration,
    /// `K6_PROMETHEUS_RW_HEADERS_<NAME>` and
    /// `K6_PROMETHEUS_RW_HTTP_HEADERS` (`name:value,name:value`).
    pub headers: Vec<(String, String)>,
    /// `K6_PROMETHEUS_RW_USERNAME` and `K6_PROMETHEUS_RW_PASSWORD`.
    pub basic_auth: Option<(String, String)>,
    /// `K6_PROMETHEUS_RW_BEARER_TOKEN`.
    pub bearer_token: Option<String>,
    /// `K6_PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY`.
    pub insecure_skip_tls_verify: bool,
    /// `K6_PROMETHEUS_RW_TREND_STATS` (default `p(99)`): each trend's
    /// stats pushed as gauges `k6_<name>_<suffix>`, besides its histogram.
    pub trend_stats: Vec<(String, Stat)>,
    /// `K6_PROMETHEUS_RW_LABELS` (`name=value,name=value`): labels on
    /// every series.
    pub labels: Vec<(String, String)>,
    /// `K6_PROMETHEUS_RW_STALE_MARKERS`: at the end, every series pushed
    /// is marked stale.
    pub stale_markers: bool,
}

/// A variable that can't be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}={value:?}: {reason}")]
pub struct ConfigError {
    /// The variable.
    pub variable: String,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

const PREFIX: &str = "K6_PROMETHEUS_RW_";

/// A trend stat's series suffix: `p(99)` → `p99`, `p(99.9)` → `p999`.
fn stat_suffix(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// `a<sep>b,c<sep>d` as pairs; `None` names the malformed item.
fn pairs(text: &str, sep: char) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| match item.split_once(sep) {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("{item:?} is not name{sep}value")),
        })
        .collect()
}

/// A switch's value: `true`/`1`, `false`/`0`/empty.
fn boolean(value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

impl Config {
    /// The settings from `vars` (the process's environment); unset
    /// variables take k6's defaults.
    pub fn from_env(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut config = Config {
            url: "http://localhost:9090/api/v1/write".into(),
            push_interval: Duration::from_secs(5),
            headers: Vec::new(),
            basic_auth: None,
            bearer_token: None,
            insecure_skip_tls_verify: false,
            trend_stats: vec![("p99".into(), Stat::Percentile(99.0))],
            labels: Vec::new(),
            stale_markers: false,
        };
        let mut username = None;
        let mut password = None;
        for (variable, value) in vars {
            let Some(key) = variable.strip_prefix(PREFIX) else {
                continue;
            };
            let invalid = |reason: String| ConfigError {
                variable: variable.clone(),
                value: value.clone(),
                reason,
            };
            match key {
                "SERVER_URL" => {
                    let url = reqwest::Url::parse(&value).map_err(|e| invalid(e.to_string()))?;
                    if !matches!(url.scheme(), "http" | "https") {
                        return Err(invalid("the URL must be http or https".into()));
                    }
                    config.url = value.clone();
                }
                "PUSH_INTERVAL" => {
                    let d = k6r_core::duration::Duration::parse_extended(&value)
                        .map_err(|e| invalid(e.to_string()))?
                        .to_std();
                    if d.is_zero() {
                        return Err(invalid("the interval must be more than 0".into()));
                    }
                    config.push_interval = d;
                }
                "HTTP_HEADERS" => config.headers.extend(pairs(&value, ':').map_err(invalid)?),
                "USERNAME" => username = Some(value.clone()),
                "PASSWORD" => password = Some(value.clone()),
                "BEARER_TOKEN" => config.bearer_token = Some(value.clone()),
                "INSECURE_SKIP_TLS_VERIFY" => {
                    config.insecure_skip_tls_verify = boolean(&value).map_err(invalid)?;
                }
                "STALE_MARKERS" => config.stale_markers = boolean(&value).map_err(invalid)?,
                "TREND_STATS" => {
                    config.trend_stats = value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| {
                            Stat::parse_trend(s)
                                .map(|stat| (stat_suffix(s), stat))
                                .ok_or_else(|| invalid(format!("{s:?} is not a trend stat")))
                        })
                        .collect::<Result<_, _>>()?;
                }
                "LABELS" => config.labels = pairs(&value, '=').map_err(invalid)?,
                "TREND_AS_NATIVE_HISTOGRAM" if value == "true" || value == "1" => {
                    return Err(invalid(
                        "native histograms are not supported: trends are pushed as classic \
                         histograms (k6_<name>_seconds_bucket, the buckets /metrics serves) \
                         and K6_PROMETHEUS_RW_TREND_STATS gauges; unset it"
                            .into(),
                    ));
                }
                _ => {
                    if let Some(name) = key.strip_prefix("HEADERS_") {
                        config.headers.push((name.to_owned(), value.clone()));
                    }
                }
            }
        }
        config.basic_auth = match (username, password) {
            (None, None) => None,
            (u, p) => Some((u.unwrap_or_default(), p.unwrap_or_default())),
        };
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn k6s_variables_and_defaults() {
        let config = env(&[
            (
                "K6_PROMETHEUS_RW_SERVER_URL",
                "http://127.0.0.1:9/api/v1/write",
            ),
            ("K6_PROMETHEUS_RW_PUSH_INTERVAL", "1s"),
            ("K6_PROMETHEUS_RW_TREND_STATS", "p(95),p(99.9),max"),
            ("K6_PROMETHEUS_RW_HEADERS_X-Tenant", "a"),
            ("K6_PROMETHEUS_RW_HTTP_HEADERS", "x-b:1,x-c:2"),
            ("K6_PROMETHEUS_RW_LABELS", "testid=t1"),
            ("K6_PROMETHEUS_RW_USERNAME", "u"),
            ("HOME", "/root"),
        ])
        .unwrap();
        assert_eq!(config.url, "http://127.0.0.1:9/api/v1/write");
        assert_eq!(config.push_interval, Duration::from_secs(1));
        let suffixes: Vec<&str> = config.trend_stats.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(suffixes, ["p95", "p999", "max"]);
        assert_eq!(config.headers.len(), 3);
        assert_eq!(config.labels, [("testid".to_string(), "t1".to_string())]);
        assert_eq!(config.basic_auth, Some(("u".into(), String::new())));
        let defaults = env(&[]).unwrap();
        assert_eq!(defaults.push_interval, Duration::from_secs(5));
        assert_eq!(
            defaults.trend_stats,
            [("p99".to_string(), Stat::Percentile(99.0))]
        );
    }

    #[test]
    fn a_bad_variable_is_named() {
        for (variable, value) in [
            ("K6_PROMETHEUS_RW_SERVER_URL", "ftp://x"),
            ("K6_PROMETHEUS_RW_PUSH_INTERVAL", "soon"),
            ("K6_PROMETHEUS_RW_PUSH_INTERVAL", "0s"),
            ("K6_PROMETHEUS_RW_TREND_STATS", "p(99),mode"),
            ("K6_PROMETHEUS_RW_LABELS", "nolabel"),
            ("K6_PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY", "maybe"),
            ("K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM", "true"),
        ] {
            let e = env(&[(variable, value)]).unwrap_err();
            assert_eq!(
                (e.variable.as_str(), e.value.as_str()),
                (variable, value),
                "{e}"
            );
        }
    }

    #[test]
    fn stale_markers_are_a_switch() {
        assert!(!env(&[]).unwrap().stale_markers);
        let on = env(&[("K6_PROMETHEUS_RW_STALE_MARKERS", "true")]).unwrap();
        assert!(on.stale_markers);
        let bad = env(&[("K6_PROMETHEUS_RW_STALE_MARKERS", "yes")]).unwrap_err();
        assert_eq!(bad.variable, "K6_PROMETHEUS_RW_STALE_MARKERS");
    }
}
