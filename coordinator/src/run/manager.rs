//! The task that holds the current run: it refuses a submission while a
//! run is active, and keeps the last run (its view and its actor) after
//! it is over.

use k6r_api::{RunState, RunView};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::{actor, RunError, RunLink, Settings, Submission};
use crate::registry::RegistryHandle;

pub(super) enum Command {
    Submit {
        submission: Box<Submission>,
        reply: oneshot::Sender<Result<RunView, RunError>>,
    },
    Current {
        reply: oneshot::Sender<Option<(RunView, RunLink)>>,
    },
}

struct Slot {
    view: watch::Receiver<RunView>,
    link: RunLink,
}

pub(super) async fn run(
    registry: RegistryHandle,
    settings: Settings,
    mut commands: mpsc::Receiver<Command>,
    shutdown: CancellationToken,
) {
    let mut current: Option<Slot> = None;
    let mut next = 1u64;
    loop {
        let command = tokio::select! {
            _ = shutdown.cancelled() => break,
            command = commands.recv() => match command {
                Some(c) => c,
                None => break,
            },
        };
        match command {
            Command::Submit { submission, reply } => {
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
                current = Some(Slot { view, link });
                let _ = reply.send(Ok(first));
            }
            Command::Current { reply } => {
                let _ = reply.send(
                    current
                        .as_ref()
                        .map(|s| (s.view.borrow().clone(), s.link.clone())),
                );
            }
        }
    }
    tracing::debug!("run manager stopped");
}
