//! The seam between the session and test execution.
//!
//! The session hands every run command from the coordinator to a
//! [`Runner`] and gives it an [`Uplink`] for its answers. The real one is
//! [`ScriptRunner`] (k6r-runner underneath); [`Unsupported`] answers every
//! command with an `AgentError` (for tests of the session alone).
//!
//! How to plug in a runner:
//! 1. implement [`Runner`]: `command` must return at once (heartbeats wait
//!    while it runs), so hand the command to a task of your own;
//! 2. answer through the [`Uplink`] (`RunStatus`, `MetricDelta`,
//!    `SetupDone`, `RunDone`, `AgentError`), which lives as long as the
//!    session it came with;
//! 3. in `drain`, wind down in order on shutdown, reporting through the
//!    uplink before the session closes;
//! 4. in `session_ended`, stop generating load: the coordinator no longer
//!    supervises this agent (issue 6: within 10 s);
//! 5. build the agent with `Agent::new(config, Arc::new(your_runner))`.

mod command;
pub mod script;
mod uplink;

pub use command::Command;
pub use script::ScriptRunner;
pub use uplink::{Uplink, UplinkError};

use std::{future::Future, pin::Pin};

use k6r_core::exit::ExitCode;
use k6r_proto::v1::AgentError;

/// The future of [`Runner::drain`].
pub type Drain = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// k6's exit code for a generic engine error, used for commands this agent
/// cannot carry out.
pub const EXIT_GENERIC_ENGINE_ERROR: i32 = ExitCode::Stopped.code();

/// Carries out the coordinator's run commands.
pub trait Runner: Send + Sync + 'static {
    /// A run command arrived. Must not block: long work belongs to a task
    /// of the runner's own; answers go through `uplink`.
    fn command(&self, command: Command, uplink: &Uplink);

    /// The agent is shutting down (SIGTERM, ctrl-c). Drain in order:
    /// report `DRAINING`, stop starting iterations, let running ones finish
    /// within `gracefulStop`, flush the final metrics through `uplink`.
    /// The session stays open (heartbeats go on, commands such as Abort
    /// still arrive) until the returned future completes; a second signal
    /// exits the process at once. The default has nothing to drain.
    fn drain(&self, uplink: Uplink) -> Drain {
        let _ = uplink;
        Box::pin(std::future::ready(()))
    }

    /// The session ended (coordinator gone, refused, or shutdown). A run in
    /// progress must stop generating load.
    fn session_ended(&self) {}

    /// The run this agent is in, named in the next Hello so the
    /// coordinator can pick it up after a reconnect.
    fn active_run(&self) -> Option<String> {
        None
    }
}

/// A runner that runs nothing: every command gets an `AgentError` saying
/// so.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unsupported;

/// What [`Unsupported`] answers.
pub const UNSUPPORTED_MESSAGE: &str = "running tests arrives with the runner crate";

impl Runner for Unsupported {
    fn command(&self, command: Command, uplink: &Uplink) {
        tracing::warn!(
            run = command.run_id(),
            "refused {}: {UNSUPPORTED_MESSAGE}",
            command.name()
        );
        let error = AgentError {
            run_id: command.run_id().to_owned(),
            exit_code: EXIT_GENERIC_ENGINE_ERROR,
            message: format!(
                "this agent cannot {}: {UNSUPPORTED_MESSAGE}",
                command.name()
            ),
        };
        if let Err(err) = uplink.try_send(error) {
            tracing::warn!("could not answer {}: {err}", command.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use k6r_proto::v1::{agent_message::Kind, Assign};
    use tokio::sync::mpsc;
    use tokio_util::sync::CancellationToken;

    use super::*;

    #[test]
    fn unsupported_answers_assign_with_an_agent_error() {
        let (tx, mut rx) = mpsc::channel(4);
        let uplink = Uplink::new(tx, CancellationToken::new());
        let assign = Assign {
            run_id: "run-1".into(),
            ..Assign::default()
        };
        Unsupported.command(Command::Assign(Box::new(assign)), &uplink);
        let Some(Kind::Error(error)) = rx.try_recv().unwrap().kind else {
            panic!("expected an AgentError");
        };
        assert_eq!(error.run_id, "run-1");
        assert_eq!(error.exit_code, EXIT_GENERIC_ENGINE_ERROR);
        assert!(
            error.message.contains(UNSUPPORTED_MESSAGE),
            "{}",
            error.message
        );
    }
}
