//! A run driven from outside (a k6r agent under its coordinator): instead
//! of running `setup()` itself and starting at once, the run waits at its
//! start gate for [`DriveCommand`]s, and after the scenarios it waits for
//! teardown or the end.
//!
//! ```text
//! driver ── Remote::new() ──▶ (Remote → Config::with_remote, Driver)
//!   Driver::events(): Ready{progress, controls, setup} ─ Started{at} ─ ScenariosEnded{aborted}
//!   Driver::send(Setup{reply})      gate: setup() on VU 0, reply
//!   setup.set_data(data)            the data every VU decodes (any time)
//!   Driver::send(Start{at})         gate: wait for `at`
//!   Driver::send(Teardown{data, reply} | Finish)   after the scenarios
//! ```
//!
//! The setup data goes through the [`SetupHandle`] of
//! [`DriveEvent::Ready`], in the driver's order: what Start's caller stored
//! before Start, then any change during the run (a `PUT /v1/setup` on
//! the coordinator), which reaches the VUs that have not iterated yet.
//!
//! Dropping the [`Driver`] (or its command sender) is [`DriveCommand::Finish`]:
//! a run never waits for a driver that is gone.

use std::sync::Arc;
use std::time::SystemTime;

use k6r_core::capacity::ControlledMax;
use k6r_engine::{ControlHandle, Progress};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::lifecycle::Ended;
use crate::setup::SetupHandle;

/// Depth of the command queue.
const COMMANDS: usize = 16;

/// What the driver tells the run.
#[derive(Debug)]
pub enum DriveCommand {
    /// Run `setup()` on a VU 0 of this run (at the start gate only).
    Setup {
        /// Its outcome.
        reply: oneshot::Sender<StageOutcome>,
    },
    /// Start the scenarios at `at` (a past instant: at once), with the
    /// data the [`SetupHandle`] holds.
    Start {
        /// When to start, wall clock.
        at: SystemTime,
    },
    /// After the scenarios: run `teardown(data)`, then end.
    Teardown {
        /// setup()'s data as JSON.
        data: Option<Arc<str>>,
        /// Its outcome.
        reply: oneshot::Sender<StageOutcome>,
    },
    /// Don't start (at the gate), or end without teardown (after the
    /// scenarios).
    Finish,
}

/// How `setup()` or `teardown()` ended.
#[derive(Debug)]
pub enum StageOutcome {
    /// It returned; its value as JSON (`None`: `undefined`).
    Returned(Option<String>),
    /// It called `exec.test.abort(reason)`.
    Aborted(Option<String>),
    /// The run was stopped while it ran.
    Interrupted,
    /// It threw or timed out (or was asked for at the wrong time).
    Failed {
        /// k6's exit code (107 exception, 100/101 timeout...).
        exit_code: i32,
        /// What happened.
        message: String,
    },
}

impl StageOutcome {
    pub(crate) fn failed(error: &Error) -> Self {
        StageOutcome::Failed {
            exit_code: error.exit_code(),
            message: error.to_string(),
        }
    }
}

impl From<crate::Result<Ended>> for StageOutcome {
    fn from(ended: crate::Result<Ended>) -> Self {
        match ended {
            Ok(Ended::Returned(value)) => StageOutcome::Returned(value),
            Ok(Ended::Aborted(reason)) => StageOutcome::Aborted(reason),
            Ok(Ended::Interrupted) => StageOutcome::Interrupted,
            Err(error) => StageOutcome::failed(&error),
        }
    }
}

/// What the run tells the driver.
#[derive(Debug)]
pub enum DriveEvent {
    /// The planned VUs are initialised; the run waits at its start gate.
    Ready {
        /// The engine's live counters.
        progress: Progress,
        /// The externally-controlled scenarios' handles, in plan order.
        controls: Vec<ControlHandle>,
        /// Every scenario's live-change handle, in plan order.
        steering: Vec<k6r_engine::Steer>,
        /// The setup data every VU decodes, and setup() on request.
        setup: SetupHandle,
        /// The most `maxVUs` the controlled scenarios may grow to here.
        controlled_max: ControlledMax,
    },
    /// The scenarios start now (wall clock).
    Started {
        /// The actual start.
        at: SystemTime,
    },
    /// Every scenario has ended; the run waits for
    /// [`DriveCommand::Teardown`] or [`DriveCommand::Finish`].
    ScenariosEnded {
        /// `Some` when `exec.test.abort(reason)` ended them (the reason,
        /// empty when none was given).
        aborted: Option<String>,
    },
}

/// The drive events' queue: a run sends each of its three kinds once.
const EVENTS: usize = 3;

/// The run's end of a remote drive; give it to
/// [`Config::with_remote`](crate::Config::with_remote).
#[derive(Debug)]
pub struct Remote {
    commands: mpsc::Receiver<DriveCommand>,
    events: mpsc::Sender<DriveEvent>,
    /// [`DriveEvent::Ready`], from the run's attach until its gate.
    pub(crate) ready: Option<DriveEvent>,
    started: bool,
}

/// The driver's end.
#[derive(Debug)]
pub struct Driver {
    /// Commands to the run.
    pub commands: mpsc::Sender<DriveCommand>,
    /// The run's events, in order.
    pub events: mpsc::Receiver<DriveEvent>,
}

impl Remote {
    /// A remote drive and its driver.
    pub fn new() -> (Remote, Driver) {
        let (commands_tx, commands) = mpsc::channel(COMMANDS);
        let (events, events_rx) = mpsc::channel(EVENTS);
        (
            Remote {
                commands,
                events,
                ready: None,
                started: false,
            },
            Driver {
                commands: commands_tx,
                events: events_rx,
            },
        )
    }

    pub(crate) fn event(&self, event: DriveEvent) {
        // A driver that is gone hears nothing; the run goes on to its end.
        // Each event is sent at most once, so the queue never fills.
        if let Err(e) = self.events.try_send(event) {
            tracing::debug!("a drive event was not delivered: {e}");
        }
    }

    /// The start gate: setup on request, then the start instant; `false`:
    /// don't start.
    pub(crate) async fn wait_for_start(
        &mut self,
        setup: &SetupHandle,
        shutdown: &CancellationToken,
    ) -> bool {
        loop {
            let command = tokio::select! {
                command = self.commands.recv() => command,
                () = shutdown.cancelled() => return false,
            };
            let Some(command) = command else {
                return false;
            };
            match command {
                DriveCommand::Setup { reply } => {
                    let ended = setup.call_setup(shutdown.child_token()).await;
                    let _ = reply.send(ended.into());
                }
                DriveCommand::Start { at } => {
                    let wait = at.duration_since(SystemTime::now()).unwrap_or_default();
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = shutdown.cancelled() => return false,
                    }
                    self.started = true;
                    self.event(DriveEvent::Started {
                        at: SystemTime::now(),
                    });
                    return true;
                }
                DriveCommand::Teardown { reply, .. } => {
                    let _ = reply.send(StageOutcome::failed(&Error::Plan(
                        "teardown before the scenarios ran".into(),
                    )));
                }
                DriveCommand::Finish => return false,
            }
        }
    }

    /// After the scenarios: `Some(data)` to run teardown with (and where
    /// its outcome goes), `None` to end without it (at once when the
    /// scenarios never started).
    pub(crate) async fn after_scenarios(
        &mut self,
        aborted: Option<String>,
    ) -> Option<(Option<Arc<str>>, oneshot::Sender<StageOutcome>)> {
        self.event(DriveEvent::ScenariosEnded { aborted });
        if !self.started {
            return None;
        }
        loop {
            match self.commands.recv().await? {
                DriveCommand::Teardown { data, reply } => return Some((data, reply)),
                DriveCommand::Finish => return None,
                DriveCommand::Setup { reply } => {
                    let _ = reply.send(StageOutcome::failed(&Error::Plan(
                        "setup after the scenarios ran".into(),
                    )));
                }
                DriveCommand::Start { .. } => {}
            }
        }
    }
}
