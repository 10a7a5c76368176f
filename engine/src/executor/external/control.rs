//! The control handle of an externally-controlled scenario: what the REST
//! API and `k6 scale/pause/resume` call. Each call is a request over a
//! bounded channel to the executor's task, which applies requests one at a
//! time and answers on a oneshot.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::error::ControlError;

/// How many requests may wait for the executor before callers wait too.
const QUEUE: usize = 32;

/// A change requested from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlCommand {
    /// Only read the status.
    Status,
    /// Set `vus` and/or `vus-max` (as one change, validated together).
    Update {
        /// New active VUs.
        vus: Option<u64>,
        /// New initialised VUs.
        max_vus: Option<u64>,
    },
    /// Let running iterations finish; start none.
    Pause,
    /// Undo [`ControlCommand::Pause`].
    Resume,
    /// Hard-stop every VU and end the scenario.
    Stop,
}

/// The scenario's state after a command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The configured active VUs.
    pub vus: u64,
    /// The configured max VUs.
    pub max_vus: u64,
    /// The script's `maxVUs`, below which `max_vus` may not go.
    pub start_max_vus: u64,
    /// VUs initialised and held by the scenario (grows up to `max_vus`
    /// as background initialisation completes).
    pub initialized_vus: u64,
    /// Whether paused.
    pub paused: bool,
    /// Whether stopped (by a command, its duration or the test).
    pub stopped: bool,
}

/// How long the scenario has been paused, in all: k6 does not count
/// paused time, neither toward the executor's `duration` nor in the
/// test-run duration. Written by the executor's task only.
#[derive(Debug, Default)]
pub(crate) struct Pauses(Mutex<PauseState>);

#[derive(Debug, Default)]
struct PauseState {
    /// Pauses that ended.
    total: Duration,
    /// The start of the pause going on.
    since: Option<Instant>,
}

impl Pauses {
    pub(crate) fn pause(&self) {
        let mut s = self.lock();
        s.since.get_or_insert_with(Instant::now);
    }

    pub(crate) fn resume(&self) {
        let mut s = self.lock();
        if let Some(since) = s.since.take() {
            s.total += since.elapsed();
        }
    }

    /// Paused time so far, the pause going on included.
    pub(crate) fn total(&self) -> Duration {
        let s = self.lock();
        s.total + s.since.map_or(Duration::ZERO, |since| since.elapsed())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PauseState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct Request {
    pub command: ControlCommand,
    pub reply: oneshot::Sender<Result<Status, ControlError>>,
}

/// The executor's end of the channel, and its "now taking commands"
/// signal.
pub(crate) struct Commands {
    rx: mpsc::Receiver<Request>,
    started: watch::Sender<bool>,
    pub(crate) pauses: Arc<Pauses>,
}

impl Commands {
    pub(crate) async fn recv(&mut self) -> Option<Request> {
        self.rx.recv().await
    }

    pub(crate) fn close(&mut self) {
        self.rx.close();
    }

    pub(crate) fn try_recv(&mut self) -> Result<Request, mpsc::error::TryRecvError> {
        self.rx.try_recv()
    }

    /// From now on commands are applied as they come (before, they wait).
    pub(crate) fn mark_started(&self) {
        self.started.send_replace(true);
    }
}

/// Sends commands to one externally-controlled scenario. Cheap to clone;
/// calls from many tasks are applied one at a time, in arrival order.
#[derive(Clone, Debug)]
pub struct ControlHandle {
    scenario: Arc<str>,
    tx: mpsc::Sender<Request>,
    started: watch::Receiver<bool>,
    pauses: Arc<Pauses>,
}

pub(crate) fn channel(scenario: &str) -> (ControlHandle, Commands) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let (started_tx, started) = watch::channel(false);
    let pauses = Arc::new(Pauses::default());
    (
        ControlHandle {
            scenario: Arc::from(scenario),
            tx,
            started,
            pauses: Arc::clone(&pauses),
        },
        Commands {
            rx,
            started: started_tx,
            pauses,
        },
    )
}

impl ControlHandle {
    /// The scenario this handle controls.
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// Whether the executor has started taking commands. Before that, a
    /// command waits for the scenario's start (which `startTime` or a
    /// `--paused` run may put off for long): callers that must answer at
    /// once check this first.
    pub fn is_started(&self) -> bool {
        *self.started.borrow()
    }

    /// How long the scenario has been paused in all (the pause going on
    /// included): time k6 leaves out of the test-run duration.
    pub fn paused_for(&self) -> Duration {
        self.pauses.total()
    }

    /// Resolves once the executor takes commands, or once it can no longer
    /// (the test ended before the scenario started).
    pub async fn started(&self) {
        let mut started = self.started.clone();
        let _ = started.wait_for(|s| *s).await;
    }

    /// Sends a command and waits for its result. Before the scenario has
    /// started, the call waits for the start.
    pub async fn send(&self, command: ControlCommand) -> Result<Status, ControlError> {
        let ended = || ControlError::Ended {
            scenario: self.scenario.to_string(),
        };
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { command, reply })
            .await
            .map_err(|_| ended())?;
        answer.await.map_err(|_| ended())?
    }

    /// The current status.
    pub async fn status(&self) -> Result<Status, ControlError> {
        self.send(ControlCommand::Status).await
    }

    /// Sets the active VUs; lowering hard-stops the top VUs.
    pub async fn set_vus(&self, vus: u64) -> Result<Status, ControlError> {
        self.update(Some(vus), None).await
    }

    /// Sets the initialised VUs; new ones are initialised in the
    /// background.
    pub async fn set_max_vus(&self, max_vus: u64) -> Result<Status, ControlError> {
        self.update(None, Some(max_vus)).await
    }

    /// Sets both at once (a `PATCH /v1/status` with both fields).
    pub async fn update(
        &self,
        vus: Option<u64>,
        max_vus: Option<u64>,
    ) -> Result<Status, ControlError> {
        self.send(ControlCommand::Update { vus, max_vus }).await
    }

    /// Pauses: running iterations finish, no new ones start.
    pub async fn pause(&self) -> Result<Status, ControlError> {
        self.send(ControlCommand::Pause).await
    }

    /// Resumes after a pause.
    pub async fn resume(&self) -> Result<Status, ControlError> {
        self.send(ControlCommand::Resume).await
    }

    /// Stops the scenario: every VU is hard-stopped.
    pub async fn stop(&self) -> Result<Status, ControlError> {
        self.send(ControlCommand::Stop).await
    }
}

#[cfg(test)]
mod tests {
    use super::channel;

    #[tokio::test]
    async fn started_flips_when_the_executor_takes_commands() {
        let (handle, commands) = channel("ext");
        assert!(!handle.is_started());
        let waiter = tokio::spawn({
            let handle = handle.clone();
            async move { handle.started().await }
        });
        commands.mark_started();
        waiter.await.unwrap();
        assert!(handle.is_started());
    }

    #[tokio::test]
    async fn started_resolves_when_the_executor_never_starts() {
        let (handle, commands) = channel("ext");
        drop(commands);
        handle.started().await;
        assert!(!handle.is_started());
    }
}
