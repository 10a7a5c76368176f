//! [`ScriptRunner`]: the agent's real [`Runner`], running its part of a
//! distributed test with k6r-runner.
//!
//! One run at a time: an Assign starts a `drive` task that owns the run's
//! state; later commands of that run go to it over a bounded queue, and
//! commands of another run are logged and ignored. The task ends after
//! RunDone (or an AgentError); a new Assign is accepted from then on.
//!
//! - `prepare`: Assign → runner config ([`PrepareError`] with k6's codes).
//! - `drive`: the run task, lifecycle and reporting order.
//! - `control`: Control → control handles, ControlAck.
//! - `steer`: a live scenario change, applied at its common instant and
//!   acknowledged with the scenario after it.
//! - `report`: the messages a run sends up.

mod control;
mod drive;
mod prepare;
mod report;
mod steer;

pub use prepare::PrepareError;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k6r_proto::v1::AgentError;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Command, Drain, Runner, Uplink};

/// The exit code of an AgentError for an Assign while another run is
/// active (k6's generic engine error).
pub const EXIT_BUSY: i32 = super::EXIT_GENERIC_ENGINE_ERROR;

/// Depth of a run's command queue.
const INBOX: usize = 64;

/// The longest a drain waits for the run to end (gracefulStop, teardown
/// and the final flush fit in it; a second signal exits at once anyway).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

/// What a run's task receives.
pub(crate) enum Input {
    Command(Command),
    Drain,
}

/// The run in progress.
struct Active {
    run_id: String,
    inbox: mpsc::Sender<Input>,
    cancel: CancellationToken,
    finished: CancellationToken,
}

/// What this agent's machine gives a run.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Host {
    /// VU worker threads (`None`: one per CPU).
    pub workers: Option<usize>,
    /// `--max-vus` (`None`: by memory).
    pub max_vus: Option<u64>,
}

/// Runs the coordinator's runs with k6r-runner, one at a time.
#[derive(Clone, Default)]
pub struct ScriptRunner {
    active: Arc<Mutex<Option<Active>>>,
    host: Host,
}

impl std::fmt::Debug for ScriptRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptRunner")
            .field("active_run", &self.active_run())
            .field("host", &self.host)
            .finish()
    }
}

impl ScriptRunner {
    /// A runner with one VU worker thread per CPU.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how many worker threads host the VUs of a run.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.host.workers = Some(workers.max(1));
        self
    }

    /// Sets the most VUs a run may need here (`--max-vus`; `None`: what
    /// the machine's memory holds). A part that could need more fails
    /// before any VU is made.
    pub fn with_max_vus(mut self, max_vus: Option<u64>) -> Self {
        self.host.max_vus = max_vus;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Active>> {
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn start(&self, assign: Box<k6r_proto::v1::Assign>, uplink: &Uplink) {
        let mut active = self.lock();
        if let Some(run) = active.as_ref().filter(|a| !a.finished.is_cancelled()) {
            let message = format!("busy with run {}", run.run_id);
            tracing::warn!(run = %assign.run_id, "refused Assign: {message}");
            let error = AgentError {
                run_id: assign.run_id.clone(),
                exit_code: EXIT_BUSY,
                message,
            };
            if let Err(e) = uplink.try_send(error) {
                tracing::warn!("could not refuse Assign: {e}");
            }
            return;
        }
        let (inbox, rx) = mpsc::channel(INBOX);
        let cancel = CancellationToken::new();
        let finished = CancellationToken::new();
        let run_id = assign.run_id.clone();
        tracing::info!(run = %run_id, lead = assign.lead, segment = %assign.execution_segment, "assigned");
        let task = drive::drive(assign, uplink.clone(), rx, cancel.clone(), self.host);
        let done = finished.clone();
        tokio::spawn(async move {
            task.await;
            done.cancel();
        });
        *active = Some(Active {
            run_id,
            inbox,
            cancel,
            finished,
        });
    }
}

impl Runner for ScriptRunner {
    fn command(&self, command: Command, uplink: &Uplink) {
        if let Command::Assign(assign) = command {
            return self.start(assign, uplink);
        }
        let active = self.lock();
        match active.as_ref().filter(|a| !a.finished.is_cancelled()) {
            Some(run) if run.run_id == command.run_id() => {
                let name = command.name();
                if let Err(e) = run.inbox.try_send(Input::Command(command)) {
                    tracing::warn!(run = %run.run_id, "dropped {name}: {e}");
                }
            }
            _ => tracing::info!(
                run = command.run_id(),
                "ignored {}: not the run in progress",
                command.name()
            ),
        }
    }

    fn drain(&self, uplink: Uplink) -> Drain {
        let _ = uplink;
        let active = self.lock();
        let Some(run) = active.as_ref().filter(|a| !a.finished.is_cancelled()) else {
            return Box::pin(std::future::ready(()));
        };
        if run.inbox.try_send(Input::Drain).is_err() {
            run.cancel.cancel();
        }
        let finished = run.finished.clone();
        Box::pin(async move {
            if tokio::time::timeout(DRAIN_TIMEOUT, finished.cancelled())
                .await
                .is_err()
            {
                tracing::warn!("the run did not drain in time");
            }
        })
    }

    fn session_ended(&self) {
        if let Some(run) = self.lock().as_ref() {
            if !run.finished.is_cancelled() {
                tracing::warn!(run = %run.run_id, "session ended: stopping the run");
            }
            run.cancel.cancel();
        }
    }

    fn active_run(&self) -> Option<String> {
        self.lock()
            .as_ref()
            .filter(|a| !a.finished.is_cancelled())
            .map(|a| a.run_id.clone())
    }
}
