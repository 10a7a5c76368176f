//! The task that holds the current run: it refuses a submission while a
//! run is active, and keeps the last run (its view and its actor) after
//! it is over.
//!
//! When the coordinator shuts down it drains: new submissions are refused,
//! the active run is stopped, and the drain ends once that run is finished
//! and its result was read (or [`RESULT_GRACE`] passed), so that a
//! following CLI still gets the interrupted result.

use k6r_api::{RunState, RunView};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{actor, RunError, RunLink, Settings, Submission, RESULT_GRACE};
use crate::error::Error;
use crate::registry::RegistryHandle;

pub(super) enum Command {
    Submit {
        submission: Box<Submission>,
        reply: oneshot::Sender<Result<RunView, RunError>>,
    },
    Current {
        reply: oneshot::Sender<Option<(RunView, RunLink)>>,
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

pub(super) async fn run(
    registry: RegistryHandle,
    settings: Settings,
    mut commands: mpsc::Receiver<Command>,
    shutdown: CancellationToken,
) {
    let mut current: Option<Slot> = None;
    let mut draining: Option<Drain> = None;
    let mut next = 1u64;
    loop {
        // While draining: the current run's next view, and the end of the
        // grace for reading its result.
        let drain_waits = draining.as_ref().is_some_and(Drain::waiting);
        let watching = drain_waits && current.as_ref().is_some_and(|s| !s.finished());
        let grace = draining.as_ref().and_then(|d| d.until);
        let command = tokio::select! {
            _ = shutdown.cancelled() => break,
            command = commands.recv() => match command {
                Some(c) => c,
                None => break,
            },
            changed = async { current.as_mut().expect("watching a run").view.changed().await },
                if watching =>
            {
                let drain = draining.as_mut().expect("draining");
                match current.as_ref() {
                    // The actor is gone: nothing is left to deliver.
                    _ if changed.is_err() => drain.finish(),
                    Some(slot) if slot.finished() && slot.delivered => drain.finish(),
                    Some(slot) if slot.finished() => {
                        drain.until = Some(Instant::now() + RESULT_GRACE);
                    }
                    _ => {}
                }
                continue;
            }
            _ = tokio::time::sleep_until(grace.unwrap_or_else(Instant::now)), if grace.is_some() => {
                tracing::info!("no one read the stopped run's result; shutting down");
                if let Some(drain) = &mut draining {
                    drain.finish();
                }
                continue;
            }
        };
        match command {
            Command::Submit { submission, reply } => {
                if draining.is_some() {
                    let _ = reply.send(Err(RunError::Stopped(Error::ShuttingDown)));
                    continue;
                }
                if let Some(slot) = &current {
                    let view = slot.view.borrow();
                    if view.state != RunState::Finished {
                        let _ = reply.send(Err(RunError::InProgress(view.id.clone())));
                        continue;
                    }
                }
                let id = format!("run-{next}");
                next += 1;
                tracing::info!(run = %id, "run submitted");
                let (view, link) = actor::spawn(
                    id,
                    *submission,
                    registry.clone(),
                    settings,
                    shutdown.child_token(),
                );
                let first = view.borrow().clone();
                // Replacing the slot drops the last run's command sender,
                // which ends its actor.
                current = Some(Slot {
                    view,
                    link,
                    delivered: false,
                });
                let _ = reply.send(Ok(first));
            }
            Command::Current { reply } => {
                let _ = reply.send(
                    current
                        .as_ref()
                        .map(|s| (s.view.borrow().clone(), s.link.clone())),
                );
            }
            Command::View { id, reply } => {
                let view = current.as_mut().and_then(|slot| {
                    let view = slot.view.borrow().clone();
                    if view.id != id {
                        return None;
                    }
                    slot.delivered |= view.state == RunState::Finished;
                    Some(view)
                });
                let _ = reply.send(view);
                let delivered = current.as_ref().is_some_and(|s| s.delivered);
                if let Some(drain) = draining.as_mut().filter(|d| d.until.is_some()) {
                    if delivered {
                        drain.finish();
                    }
                }
            }
            Command::Drain { done } => {
                let (finished, over) = oneshot::channel();
                let _ = done.send(over);
                if draining.is_some() {
                    // Already draining (or drained): over at once.
                    let _ = finished.send(());
                    continue;
                }
                let mut drain = Drain {
                    done: Some(finished),
                    until: None,
                };
                match &current {
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
                draining = Some(drain);
            }
        }
    }
    tracing::debug!("run manager stopped");
}
