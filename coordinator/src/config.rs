//! Command-line flags ([`Args`], each with a `K6R_*` variable) and the
//! validated [`Config`] the coordinator runs with.

use std::{fmt, net::SocketAddr, num::NonZeroUsize, time::Duration};

use crate::error::{Error, Result};

/// The shortest heartbeat interval accepted: below it, heartbeats become
/// load of their own.
pub const MIN_HEARTBEAT_INTERVAL: Duration = Duration::from_millis(10);
/// The longest heartbeat interval accepted: issue 6 wants a lost agent
/// noticed within seconds, and expiry is three intervals.
pub const MAX_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(60);

/// How long a run waits for its agents unless `--agents-timeout` says.
pub const DEFAULT_AGENTS_TIMEOUT: Duration = Duration::from_secs(60);
/// From Start to the common start instant: enough for a Start to reach
/// every agent on any sane network.
pub const DEFAULT_START_DELAY: Duration = Duration::from_secs(1);

/// From a live scenario change to the instant every agent applies it, by
/// default: a change loads nothing, so a link's latency is all it covers.
pub const DEFAULT_CHANGE_DELAY: Duration = Duration::from_millis(250);

/// The largest run request by default: 1 GiB.
pub const DEFAULT_MAX_BUNDLE: usize = 1 << 30;

/// How long a shutdown waits for the active run by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);

/// `k6r-coordinator`'s flags.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "k6r-coordinator", version, about)]
pub struct Args {
    /// Address for both the agents' gRPC and the REST API (one port; 0
    /// picks a free one, printed as `listening on ADDR`).
    #[arg(long, env = "K6R_LISTEN", default_value = "127.0.0.1:6565")]
    pub listen: SocketAddr,
    /// Agents a run waits for; /readyz answers 200 once this many are
    /// connected.
    #[arg(long, env = "K6R_AGENTS", default_value = "1")]
    pub agents: NonZeroUsize,
    /// How long a submitted run waits for its agents to connect before it
    /// fails.
    #[arg(long, env = "K6R_AGENTS_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub agents_timeout: Duration,
    /// How often agents send a heartbeat; one silent for three intervals is
    /// declared lost.
    #[arg(long, env = "K6R_HEARTBEAT_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub heartbeat_interval: Duration,
    /// From a run's Start message to the instant every agent starts: it
    /// must cover the slowest link to an agent.
    #[arg(long, env = "K6R_START_DELAY", default_value = "1s", value_parser = humantime::parse_duration)]
    pub start_delay: Duration,
    /// From a live scenario change (`PATCH /v1/scenarios/{name}`, the
    /// autopilot's) to the instant every agent applies it: it must cover
    /// the slowest link to an agent (an agent that gets it later applies
    /// it at once).
    #[arg(long, env = "K6R_CHANGE_DELAY", default_value = "250ms", value_parser = humantime::parse_duration)]
    pub change_delay: Duration,
    /// The largest run request `k6r-cli run --coordinator` may send, in
    /// MiB: the script, its modules and every file it opens, in base64
    /// (a third more than their size). Agents take messages of up to
    /// 1 GiB.
    #[arg(long, env = "K6R_MAX_BUNDLE_MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_bundle_mib: u64,
    /// On SIGTERM or ctrl-c: how long the active run gets to stop (its
    /// agents drain, teardown runs) and its result to be read by the
    /// waiting `k6r-cli` before the coordinator exits anyway.
    #[arg(long, env = "K6R_SHUTDOWN_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,
    /// Shared secret: agents and REST callers must send
    /// `authorization: Bearer <token>`.
    #[arg(long, env = "K6R_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Instead of serving: a one-shot check of a running coordinator.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `k6r-coordinator`'s subcommands.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Exits 0 when `GET URL` answers 200 within 2 s, 1 otherwise: the
    /// health check of an image that has no shell or curl.
    Probe {
        /// What to check.
        #[arg(default_value = "http://127.0.0.1:6565/healthz")]
        url: String,
    },
}

/// A shared secret; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// Whether an `authorization` header value carries this token as
    /// `Bearer <token>`. The comparison takes the same time wherever the
    /// first difference is.
    pub fn matches_bearer(&self, header: &[u8]) -> bool {
        let Some(presented) = header.strip_prefix(b"Bearer ") else {
            return false;
        };
        let expected = self.0.as_bytes();
        presented.len() == expected.len()
            && presented
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The coordinator's validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where `k6r-coordinator` listens (the library takes a bound listener).
    pub listen: SocketAddr,
    /// Agents needed for readiness and for a run.
    pub agents: NonZeroUsize,
    /// The interval agents are asked to heartbeat at.
    pub heartbeat_interval: Duration,
    /// How long a run waits for its agents.
    pub agents_timeout: Duration,
    /// The time between sending Start and the common start instant (it
    /// must cover the slowest link to an agent).
    pub start_delay: Duration,
    /// The time between a live scenario change and the instant every
    /// agent applies it.
    pub change_delay: Duration,
    /// How long a shutdown waits for the active run to stop and its result
    /// to be read.
    pub shutdown_timeout: Duration,
    /// The largest run request, in bytes.
    pub max_bundle: usize,
    /// When set, every request must carry it (except `/healthz`, `/readyz`).
    pub token: Option<Token>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 6565)),
            agents: NonZeroUsize::MIN,
            heartbeat_interval: Duration::from_secs(1),
            agents_timeout: DEFAULT_AGENTS_TIMEOUT,
            start_delay: DEFAULT_START_DELAY,
            change_delay: DEFAULT_CHANGE_DELAY,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            max_bundle: DEFAULT_MAX_BUNDLE,
            token: None,
        }
    }
}

impl Config {
    /// Sets the listen address.
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Sets the number of agents needed.
    pub fn with_agents(mut self, agents: NonZeroUsize) -> Self {
        self.agents = agents;
        self
    }

    /// Sets the heartbeat interval.
    pub fn with_heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// Sets how long a run waits for its agents.
    pub fn with_agents_timeout(mut self, timeout: Duration) -> Self {
        self.agents_timeout = timeout;
        self
    }

    /// Sets the delay from Start to the common start instant.
    pub fn with_start_delay(mut self, delay: Duration) -> Self {
        self.start_delay = delay;
        self
    }

    /// Sets the delay from a live scenario change to the instant every
    /// agent applies it.
    pub fn with_change_delay(mut self, delay: Duration) -> Self {
        self.change_delay = delay;
        self
    }

    /// Sets the largest run request, in bytes.
    pub fn with_max_bundle(mut self, bytes: usize) -> Self {
        self.max_bundle = bytes;
        self
    }

    /// Sets how long a shutdown waits for the active run.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Requires `token` from agents and REST callers.
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Checks the rules that span fields or ranges clap cannot express.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_HEARTBEAT_INTERVAL..=MAX_HEARTBEAT_INTERVAL).contains(&self.heartbeat_interval) {
            return Err(Error::InvalidConfig {
                option: "--heartbeat-interval",
                reason: format!(
                    "{} is outside {}..={}",
                    humantime::format_duration(self.heartbeat_interval),
                    humantime::format_duration(MIN_HEARTBEAT_INTERVAL),
                    humantime::format_duration(MAX_HEARTBEAT_INTERVAL),
                ),
            });
        }
        if self.token.as_ref().is_some_and(|t| t.0.is_empty()) {
            return Err(Error::InvalidConfig {
                option: "--token",
                reason: "is empty; leave it out to accept everyone".into(),
            });
        }
        Ok(())
    }
}

impl TryFrom<Args> for Config {
    type Error = Error;

    fn try_from(args: Args) -> Result<Self> {
        let config = Self {
            listen: args.listen,
            agents: args.agents,
            heartbeat_interval: args.heartbeat_interval,
            agents_timeout: args.agents_timeout,
            start_delay: args.start_delay,
            change_delay: args.change_delay,
            shutdown_timeout: args.shutdown_timeout,
            max_bundle: usize::try_from(args.max_bundle_mib << 20).unwrap_or(DEFAULT_MAX_BUNDLE),
            token: args.token.map(Token::new),
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
            "k6r-coordinator",
            "--listen",
            "0.0.0.0:7000",
            "--agents",
            "3",
            "--heartbeat-interval",
            "500ms",
            "--agents-timeout",
            "2m",
            "--start-delay",
            "250ms",
            "--change-delay",
            "100ms",
            "--token",
            "s3cret",
        ]);
        let config = Config::try_from(args).unwrap();
        assert_eq!(config.listen, "0.0.0.0:7000".parse().unwrap());
        assert_eq!(config.agents.get(), 3);
        assert_eq!(config.heartbeat_interval, Duration::from_millis(500));
        assert_eq!(config.agents_timeout, Duration::from_secs(120));
        assert_eq!(config.start_delay, Duration::from_millis(250));
        assert_eq!(config.change_delay, Duration::from_millis(100));
        assert_eq!(config.token, Some(Token::new("s3cret")));
        assert_eq!(format!("{:?}", config.token.unwrap()), "Token(<redacted>)");
    }

    #[test]
    fn zero_agents_and_odd_intervals_are_refused() {
        assert!(Args::try_parse_from(["k6r-coordinator", "--agents", "0"]).is_err());
        let args = Args::parse_from(["k6r-coordinator", "--heartbeat-interval", "2m"]);
        let err = Config::try_from(args).unwrap_err().to_string();
        assert!(err.contains("--heartbeat-interval"), "{err}");
        let args = Args::parse_from(["k6r-coordinator", "--token", ""]);
        assert!(Config::try_from(args).is_err());
    }

    #[test]
    fn bearer_matching() {
        let token = Token::new("abc");
        assert!(token.matches_bearer(b"Bearer abc"));
        assert!(!token.matches_bearer(b"Bearer abd"));
        assert!(!token.matches_bearer(b"Bearer ab"));
        assert!(!token.matches_bearer(b"abc"));
        assert!(!token.matches_bearer(b"Basic abc"));
    }
}
