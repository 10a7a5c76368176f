//! k6r's agent: keeps one session with the coordinator and runs its part
//! of a test (k6r-runner underneath).
//!
//! ```text
//! Agent::run ──▶ session::run_once ──Hello──▶ coordinator
//!    ▲   │            │ ◀──Welcome/Refused──
//!    │   │            ├─ heartbeat every interval ─▶
//!    │   │            └─ Assign/Start/Control/... ─▶ Runner ──Uplink──▶
//!    └───┴─ backoff (jitter, capped, reset after a session) ◀─ session ends
//! ```
//!
//! The agent never gives up on its own: an unreachable coordinator, a
//! wrong token or a refusal are logged and retried with backoff, and only
//! the shutdown token ends [`Agent::run`].
//!
//! # Layout
//! - [`config`]: the flags ([`Args`]) and the validated [`Config`].
//! - [`error`]: the crate's [`Error`] enum.
//! - [`runner`]: the [`Runner`] trait the session hands commands to, its
//!   [`Uplink`], the real [`ScriptRunner`] (`runner::script`) and the
//!   placeholder [`Unsupported`].
//! - [`backoff`]: [`Backoff`], exponential with jitter.
//! - [`system`]: host name and capacity for Hello.
//! - `session`: one session from connect to goodbye.
#![warn(missing_docs)]

pub mod backoff;
pub mod config;
pub mod error;
pub mod runner;
mod session;
pub mod system;

use std::{num::NonZeroU64, sync::Arc, time::Duration};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use backoff::Backoff;
pub use config::{Args, Config, Token};
pub use error::{Error, Result};
pub use runner::{Command, Drain, Runner, ScriptRunner, Unsupported, Uplink};

use session::SessionEnd;

/// Where the agent is, published for tests and health reporting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Opening a session; `attempt` counts failures since the last session.
    Connecting {
        /// Failed attempts since the last established session.
        attempt: u32,
    },
    /// In a session.
    Connected {
        /// The coordinator's id for this agent.
        agent_id: String,
    },
    /// Waiting before the next attempt.
    Waiting {
        /// Why the last attempt failed or the session ended.
        error: String,
        /// The delay before the next attempt.
        retry_in: Duration,
    },
    /// [`Agent::run`] has returned.
    Stopped,
}

/// An agent: its configuration and the runner it hands commands to.
pub struct Agent {
    config: Config,
    runner: Arc<dyn Runner>,
    state: watch::Sender<State>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("config", &self.config)
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// An agent that hands run commands to `runner`.
    pub fn new(config: Config, runner: Arc<dyn Runner>) -> Self {
        Self {
            config,
            runner,
            state: watch::Sender::new(State::Connecting { attempt: 0 }),
        }
    }

    /// Follows the agent's [`State`].
    pub fn subscribe(&self) -> watch::Receiver<State> {
        self.state.subscribe()
    }

    /// Keeps a session with the coordinator, reconnecting with backoff,
    /// until `shutdown` is cancelled; then closes the session and returns.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        self.config.validate()?;
        let url = self.config.coordinator.as_str().trim_end_matches('/');
        let mut backoff = Backoff::new(self.config.reconnect_min, self.config.reconnect_max);
        tracing::info!(name = %self.config.name, "agent starting; coordinator {url}");
        loop {
            self.state.send_replace(State::Connecting {
                attempt: backoff.attempts(),
            });
            let outcome =
                session::run_once(&self.config, &self.runner, &self.state, &shutdown).await;
            let (error, established) = match outcome {
                Ok(SessionEnd::Shutdown) => break,
                Ok(SessionEnd::Ended(reason)) => {
                    backoff.reset();
                    (reason, true)
                }
                Err(err) => (err.to_string(), false),
            };
            let retry_in = backoff.next_delay();
            // Whole milliseconds read better than `232ms 378us 424ns`.
            let retry = humantime::format_duration(Duration::from_millis(
                u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
            ));
            if established {
                tracing::warn!("session ended: {error}; reconnecting in {retry}");
            } else {
                tracing::warn!(attempt = backoff.attempts(), "{error}; retrying in {retry}");
            }
            self.state.send_replace(State::Waiting { error, retry_in });
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(retry_in) => {}
            }
        }
        tracing::info!("agent stopped");
        self.state.send_replace(State::Stopped);
        Ok(())
    }
}

/// Runs an agent with `config` and the [`ScriptRunner`] until `shutdown`
/// is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<()> {
    let mut runner = ScriptRunner::new().with_max_vus(config.max_vus.map(NonZeroU64::get));
    if let Some(workers) = config.workers {
        runner = runner.with_workers(workers.get());
    }
    Agent::new(config, Arc::new(runner)).run(shutdown).await
}
