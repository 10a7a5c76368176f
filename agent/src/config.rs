//! Command-line flags ([`Args`], each with a `K6R_*` variable) and the
//! validated [`Config`] the agent runs with.

use std::{
    fmt,
    num::{NonZeroU64, NonZeroUsize},
    time::Duration,
};

use tonic::metadata::{Ascii, MetadataValue};
use url::Url;

use crate::{
    error::{Error, Result},
    system,
};

/// `k6r-agent`'s flags.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "k6r-agent", version, about)]
pub struct Args {
    /// The coordinator's URL (`http://HOST:PORT`).
    #[arg(long, env = "K6R_COORDINATOR")]
    pub coordinator: Url,
    /// This agent's name, unique among live agents (default: the host name).
    #[arg(long, env = "K6R_AGENT_NAME")]
    pub name: Option<String>,
    /// The coordinator's shared secret, sent as `authorization: Bearer <token>`.
    #[arg(long, env = "K6R_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The most VUs this agent runs (default: what fits in 75% of its
    /// memory at 256 KiB per VU); the coordinator refuses a run whose part
    /// here could need more, naming this limit.
    #[arg(long, env = "K6R_MAX_VUS")]
    pub max_vus: Option<NonZeroU64>,
    /// How many threads run this agent's VUs (default: one per CPU).
    /// Agents that share a machine share its CPUs: give each its part.
    #[arg(long, env = "K6R_WORKERS")]
    pub workers: Option<NonZeroUsize>,
    /// The first reconnect delay; it doubles per failed attempt.
    #[arg(long, env = "K6R_RECONNECT_MIN", default_value = "250ms", value_parser = humantime::parse_duration)]
    pub reconnect_min: Duration,
    /// The longest reconnect delay.
    #[arg(long, env = "K6R_RECONNECT_MAX", default_value = "30s", value_parser = humantime::parse_duration)]
    pub reconnect_max: Duration,
    /// How often to ping the coordinator's connection (HTTP/2 keepalive);
    /// an unanswered ping ends the session after as long again, so a
    /// vanished coordinator is noticed within twice this.
    #[arg(long, env = "K6R_KEEPALIVE", default_value = "2s", value_parser = humantime::parse_duration)]
    pub keepalive: Duration,
}

/// A shared secret, ready to send; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(MetadataValue<Ascii>);

impl Token {
    /// `authorization: Bearer <secret>`; refused when the secret is empty
    /// or cannot be a header value.
    pub fn new(secret: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidConfig {
            option: "--token",
            reason: reason.into(),
        };
        if secret.is_empty() {
            return Err(invalid(
                "is empty; leave it out when the coordinator has none",
            ));
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("must be visible ASCII without spaces"));
        }
        format!("Bearer {secret}")
            .parse()
            .map(Self)
            .map_err(|_| invalid("must be visible ASCII"))
    }

    /// The `authorization` metadata value.
    pub fn header(&self) -> &MetadataValue<Ascii> {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The agent's validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The coordinator's URL.
    pub coordinator: Url,
    /// The name sent in Hello.
    pub name: String,
    /// Sent on every call when set.
    pub token: Option<Token>,
    /// Reported in Hello's capacity.
    pub max_vus: Option<NonZeroU64>,
    /// The VU worker threads of a run (`None`: one per CPU).
    pub workers: Option<NonZeroUsize>,
    /// The first reconnect delay.
    pub reconnect_min: Duration,
    /// The longest reconnect delay.
    pub reconnect_max: Duration,
    /// The longest wait for a TCP connection, and then for Welcome.
    pub connect_timeout: Duration,
    /// The HTTP/2 keepalive interval, and the wait for each ping's answer.
    pub keepalive: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            coordinator: Url::parse("http://127.0.0.1:6565").expect("a valid URL"),
            name: system::host_name(),
            token: None,
            max_vus: None,
            workers: None,
            reconnect_min: Duration::from_millis(250),
            reconnect_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(2),
        }
    }
}

impl Config {
    /// Sets the coordinator's URL.
    pub fn with_coordinator(mut self, coordinator: Url) -> Self {
        self.coordinator = coordinator;
        self
    }

    /// Sets the agent's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sends `token` on every call.
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Sets the reconnect delays.
    pub fn with_reconnect(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min;
        self.reconnect_max = max;
        self
    }

    /// Sets the HTTP/2 keepalive interval (and ping timeout).
    pub fn with_keepalive(mut self, keepalive: Duration) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Checks what clap cannot.
    pub fn validate(&self) -> Result<()> {
        if self.coordinator.scheme() != "http" || self.coordinator.host().is_none() {
            return Err(Error::InvalidConfig {
                option: "--coordinator",
                reason: format!("{} is not an http://HOST:PORT URL", self.coordinator),
            });
        }
        if self.name.trim().is_empty() {
            return Err(Error::InvalidConfig {
                option: "--name",
                reason: "is empty".into(),
            });
        }
        if self.reconnect_min.is_zero() || self.reconnect_max < self.reconnect_min {
            return Err(Error::InvalidConfig {
                option: "--reconnect-min",
                reason: format!(
                    "need 0 < --reconnect-min ({}) <= --reconnect-max ({})",
                    humantime::format_duration(self.reconnect_min),
                    humantime::format_duration(self.reconnect_max)
                ),
            });
        }
        if self.keepalive < Duration::from_millis(100) {
            return Err(Error::InvalidConfig {
                option: "--keepalive",
                reason: "must be at least 100ms".into(),
            });
        }
        Ok(())
    }
}

impl TryFrom<Args> for Config {
    type Error = Error;

    fn try_from(args: Args) -> Result<Self> {
        let defaults = Self::default();
        let config = Self {
            coordinator: args.coordinator,
            name: args.name.unwrap_or(defaults.name),
            token: args.token.as_deref().map(Token::new).transpose()?,
            max_vus: args.max_vus,
            workers: args.workers,
            reconnect_min: args.reconnect_min,
            reconnect_max: args.reconnect_max,
            connect_timeout: defaults.connect_timeout,
            keepalive: args.keepalive,
        };
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn flags_become_a_config() {
        let args = Args::parse_from([
            "k6r-agent",
            "--coordinator",
            "http://10.0.0.1:6565",
            "--name",
            "w1",
            "--token",
            "s3cret",
            "--max-vus",
            "500",
            "--reconnect-max",
            "5s",
            "--workers",
            "1",
        ]);
        let config = Config::try_from(args).unwrap();
        assert_eq!(config.workers.map(NonZeroUsize::get), Some(1));
        assert_eq!(config.coordinator.as_str(), "http://10.0.0.1:6565/");
        assert_eq!(config.name, "w1");
        assert_eq!(config.token.unwrap().header(), "Bearer s3cret");
        assert_eq!(config.max_vus.map(NonZeroU64::get), Some(500));
        assert_eq!(config.reconnect_max, Duration::from_secs(5));
    }

    #[test]
    fn the_name_defaults_to_the_host_name() {
        let args = Args::parse_from(["k6r-agent", "--coordinator", "http://c:6565"]);
        assert_eq!(Config::try_from(args).unwrap().name, system::host_name());
    }

    #[test]
    fn bad_values_are_refused() {
        let bad = |extra: &[&str]| {
            let mut argv = vec!["k6r-agent", "--coordinator", "http://c:6565"];
            argv.extend_from_slice(extra);
            Config::try_from(Args::parse_from(argv))
                .unwrap_err()
                .to_string()
        };
        assert!(bad(&["--token", ""]).contains("--token"));
        assert!(bad(&["--token", "é"]).contains("--token"));
        assert!(bad(&["--name", " "]).contains("--name"));
        assert!(
            bad(&["--reconnect-min", "10s", "--reconnect-max", "1s"]).contains("--reconnect-min")
        );
        let args = Args::parse_from(["k6r-agent", "--coordinator", "https://c:6565"]);
        assert!(Config::try_from(args)
            .unwrap_err()
            .to_string()
            .contains("--coordinator"));
        assert!(Args::try_parse_from(["k6r-agent"]).is_err());
    }
}
