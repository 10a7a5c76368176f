//! The task that holds the current run: it refuses a submission while a
//! run is active, and keeps the last run (its view and its actor) after
//! it is over.
//!
//! When the coordinator shuts down it drains: new submissions are refused,
//! the active run is stopped, and the drain ends once that run is finished
//! and its result was read (or [`RESULT_GRACE`] passed), so that a
//! following CLI still gets the interrupted result. The manager owns its
//! runs' actor tasks and awaits them before it ends.

use k6r_api::{RunState, RunView};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{actor, RunError, RunLink, Settings, Submission, RESULT_GRACE};
use crate::error::Error;
use crate::registry::RegistryHandle;

pub(super) enum RunsCommand {
    Submit {
        submission: Box<Submission>,
        reply: oneshot::Sender<Result<RunView, RunError>>,
    },
    Current {
        reply: oneshot::Sender<Option<(RunView, RunLink)>>,
    },
    /// The way to the current (or last) run's actor, without its view
    /// (the dashboard asks every second; a finished view carries the
    /// merged metrics).
    Link {
        reply: oneshot::Sender<Option<RunLink>>,
    },
    /// The view of run `id`, for its submitter (`GET /v1/runs/{id}`): a
    /// finished one counts as delivered.
    View {
        id: String,
        reply: oneshot::Sender<Option<RunView>>,
    },
    /// Start draining; `done` fires when the drain is over.
    Drain {
        done: oneshot::Sender<oneshot::Receiver<()>>,
    },
}

struct Slot {
    view: watch::Receiver<RunView>,
    link: RunLink,
    /// Whether its submitter read it finished.
    delivered: bool,
}

impl Slot {
    fn finished(&self) -> bool {
        self.view.borrow().state == RunState::Finished
    }
}

/// A drain (once started, submissions stay refused).
struct Drain {
    /// Fired when the drain is over; `None` after.
    done: Option<oneshot::Sender<()>>,
    /// When the drain gives up waiting for a reader of the result.
    until: Option<Instant>,
}

impl Drain {
    fn waiting(&self) -> bool {
        self.done.is_some()
    }

    fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        self.until = None;
    }
}

/// The manager's state, owned by its task.
struct Manager {
    registry: RegistryHandle,
    settings: Settings,
    shutdown: CancellationToken,
    /// The active run, or the last one.
    current: Option<Slot>,
    draining: Option<Drain>,
    /// The number of the next run's id.
    next: u64,
    /// The runs' actors: the current one and any still ending.
    actors: JoinSet<()>,
}

pub(super) async fn run(
    registry: RegistryHandle,
    settings: Settings,
    mut commands: mpsc::Receiver<RunsCommand>,
    shutdown: CancellationToken,
) {
    let mut manager = Manager {
        registry,
        settings,
        shutdown: shutdown.clone(),
        current: None,
        draining: None,
        next: 1,
        actors: JoinSet::new(),
    };
    loop {
        // While draining: the current run's next view, and the end of the
        // grace for reading its result.
        let drain_waits = manager.draining.as_ref().is_some_and(Drain::waiting);
        let watching = drain_waits && manager.current.as_ref().is_some_and(|s| !s.finished());
        let grace = manager.draining.as_ref().and_then(|d| d.until);
        let command = tokio::select! {
            _ = shutdown.cancelled() => break,
            command = commands.recv() => match command {
                Some(c) => c,
                None => break,
            },
            changed = async {
                manager.current.as_mut().expect("watching a run").view.changed().await
            }, if watching => {
                manager.run_changed(changed.is_ok());
                continue;
            }
            _ = tokio::time::sleep_until(grace.unwrap_or_else(Instant::now)), if grace.is_some() => {
                tracing::info!("no one read the stopped run's result; shutting down");
                if let Some(drain) = &mut manager.draining {
                    drain.finish();
                }
                continue;
            }
        };
        match command {
            RunsCommand::Submit { submission, reply } => {
                let _ = reply.send(manager.submit(*submission));
            }
            RunsCommand::Current { reply } => {
                let _ = reply.send(
                    manager
                        .current
                        .as_ref()
                        .map(|s| (s.view.borrow().clone(), s.link.clone())),
                );
            }
            RunsCommand::Link { reply } => {
                let _ = reply.send(manager.current.as_ref().map(|s| s.link.clone()));
            }
            RunsCommand::View { id, reply } => {
                let _ = reply.send(manager.view(&id));
                manager.finish_drain_if_delivered();
            }
            RunsCommand::Drain { done } => manager.drain(done).await,
        }
    }
    // Dropping the current run's link ends its actor if the shutdown did
    // not; then every actor is awaited.
    let Manager { mut actors, .. } = manager;
    while actors.join_next().await.is_some() {}
    tracing::debug!("run manager stopped");
}

impl Manager {
    /// While draining, the current run's view changed (`alive` false when
    /// its actor is gone).
    fn run_changed(&mut self, alive: bool) {
        let drain = self.draining.as_mut().expect("draining");
        match self.current.as_ref() {
            // The actor is gone: nothing is left to deliver.
            _ if !alive => drain.finish(),
            Some(slot) if slot.finished() && slot.delivered => drain.finish(),
            Some(slot) if slot.finished() => {
                drain.until = Some(Instant::now() + RESULT_GRACE);
            }
            _ => {}
        }
    }

    /// Starts a run unless draining or another one is active.
    fn submit(&mut self, submission: Submission) -> Result<RunView, RunError> {
        if self.draining.is_some() {
            return Err(RunError::Stopped(Error::ShuttingDown));
        }
        if let Some(slot) = &self.current {
            let view = slot.view.borrow();
            if view.state != RunState::Finished {
                return Err(RunError::InProgress(view.id.clone()));
            }
        }
        let id = format!("run-{}", self.next);
        self.next += 1;
        tracing::info!(run = %id, "run submitted");
        // Reap the actors of runs that are over.
        while self.actors.try_join_next().is_some() {}
        let (view, link) = actor::spawn(
            id,
            submission,
            self.registry.clone(),
            self.settings,
            self.shutdown.child_token(),
            &mut self.actors,
        );
        let first = view.borrow().clone();
        // Replacing the slot drops the last run's command sender,
        // which ends its actor.
        self.current = Some(Slot {
            view,
            link,
            delivered: false,
        });
        Ok(first)
    }

    /// The view of run `id`, marked delivered if it is finished.
    fn view(&mut self, id: &str) -> Option<RunView> {
        self.current.as_mut().and_then(|slot| {
            let view = slot.view.borrow().clone();
            if view.id != id {
                return None;
            }
            slot.delivered |= view.state == RunState::Finished;
            Some(view)
        })
    }

    /// Ends a drain waiting for the result to be read once it was.
    fn finish_drain_if_delivered(&mut self) {
        let delivered = self.current.as_ref().is_some_and(|s| s.delivered);
        if let Some(drain) = self.draining.as_mut().filter(|d| d.until.is_some()) {
            if delivered {
                drain.finish();
            }
        }
    }

    /// Starts draining: stops the active run, or waits a grace for a
    /// finished one's result to be read.
    async fn drain(&mut self, done: oneshot::Sender<oneshot::Receiver<()>>) {
        let (finished, over) = oneshot::channel();
        let _ = done.send(over);
        if self.draining.is_some() {
            // Already draining (or drained): over at once.
            let _ = finished.send(());
            return;
        }
        let mut drain = Drain {
            done: Some(finished),
            until: None,
        };
        match &self.current {
            Some(slot) if !slot.finished() => {
                tracing::info!(run = %slot.view.borrow().id, "stopping the run for shutdown");
                slot.link.shutdown().await;
            }
            // Just finished: its submitter may not have read it yet.
            Some(slot) if !slot.delivered => {
                drain.until = Some(Instant::now() + RESULT_GRACE);
            }
            // Nothing runs: nothing to wait for.
            _ => drain.finish(),
        }
        self.draining = Some(drain);
    }
}
