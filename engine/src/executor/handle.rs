//! A VU handle: one task per VU slot of ramping-vus and
//! externally-controlled, told by its controller what to do through a
//! `watch` channel (the controller owns the desired state; the task only
//! reads it between iterations).
//!
//! | state | the task |
//! |---|---|
//! | `Run` | loops iterations (borrowing a VU from the pool first if it has none) |
//! | `Pause` | finishes the current iteration, starts none, keeps its VU |
//! | `Stop` | its `life` token fired (current iteration interrupted); gives its VU back to the pool unless it owns it |
//! | `Finish` | finishes the current iteration and ends, returning its VU |

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::iteration::{self, Numbers};
use super::ScenarioCtx;
use crate::pool::PooledVu;
use crate::vu::VuFactory;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Run,
    Pause,
    Stop,
    Finish,
}

#[derive(Clone, Debug)]
struct State {
    kind: Kind,
    /// Interrupts the iterations started under it.
    life: CancellationToken,
}

/// The controller's side of a handle.
pub(crate) struct Handle {
    tx: watch::Sender<State>,
    kind: Kind,
    life: CancellationToken,
    /// Fired when the scenario hard-stops everything.
    parent: CancellationToken,
}

impl Handle {
    /// Spawns the task of a handle, stopped. With `vu`, the handle owns it
    /// (externally-controlled) and keeps it while stopped; without, it
    /// borrows one from the pool whenever it starts.
    pub fn spawn<F: VuFactory>(
        ctx: &Arc<ScenarioCtx<F>>,
        tasks: &mut JoinSet<Option<PooledVu<F::Vu>>>,
        parent: &CancellationToken,
        vu: Option<PooledVu<F::Vu>>,
    ) -> Handle {
        let life = parent.child_token();
        life.cancel();
        let (tx, rx) = watch::channel(State {
            kind: Kind::Stop,
            life: life.clone(),
        });
        tasks.spawn(drive(Arc::clone(ctx), rx, vu));
        Handle {
            tx,
            kind: Kind::Stop,
            life,
            parent: parent.clone(),
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn send(&mut self, kind: Kind) {
        self.kind = kind;
        self.tx.send_replace(State {
            kind,
            life: self.life.clone(),
        });
    }

    /// Starts (or resumes) looping.
    pub fn run(&mut self) {
        if self.kind == Kind::Finish || self.kind == Kind::Run {
            return;
        }
        if self.life.is_cancelled() {
            self.life = self.parent.child_token();
        }
        self.send(Kind::Run);
    }

    /// Lets the current iteration finish and starts no new one.
    pub fn pause(&mut self) {
        if self.kind == Kind::Run {
            self.send(Kind::Pause);
        }
    }

    /// Interrupts the current iteration.
    pub fn hard_stop(&mut self) {
        self.life.cancel();
        if self.kind != Kind::Stop && self.kind != Kind::Finish {
            self.send(Kind::Stop);
        }
    }

    /// Ends the task once its current iteration is over.
    pub fn finish(&mut self) {
        if self.kind != Kind::Finish {
            self.send(Kind::Finish);
        }
    }
}

/// The handle's task; returns its VU (if it holds one) when finished.
async fn drive<F: VuFactory>(
    ctx: Arc<ScenarioCtx<F>>,
    mut rx: watch::Receiver<State>,
    mut vu: Option<PooledVu<F::Vu>>,
) -> Option<PooledVu<F::Vu>> {
    let owned = vu.is_some();
    let mut active = false;
    loop {
        let state = rx.borrow_and_update().clone();
        let running = state.kind == Kind::Run && !state.life.is_cancelled();
        if running {
            let current = match vu.as_mut() {
                Some(current) => current,
                None => {
                    tokio::select! {
                        taken = ctx.pool.take(&state.life) => match taken {
                            Some(taken) => vu.insert(taken),
                            None => continue,
                        },
                        changed = rx.changed() => {
                            if changed.is_err() {
                                break;
                            }
                            continue;
                        }
                    }
                }
            };
            if !active {
                active = true;
                ctx.activate(1);
            }
            // A paused scenario (a live change) starts no iteration; the
            // controller's orders still come through.
            if ctx.knobs.borrow().paused {
                let mut knobs = ctx.knobs.subscribe();
                tokio::select! {
                    _ = knobs.wait_for(|k| !k.paused) => {}
                    changed = rx.changed() => {
                        if changed.is_err() {
                            break;
                        }
                    }
                    () = state.life.cancelled() => {}
                }
                continue;
            }
            let (in_instance, in_test) = ctx.next_numbers();
            let numbers = Numbers {
                in_instance,
                in_test,
            };
            iteration::run(&ctx, current, numbers, &state.life).await;
            continue;
        }
        if active {
            active = false;
            ctx.counters.sub_active(1);
            ctx.pool.emit_vus();
        }
        match state.kind {
            Kind::Finish => break,
            Kind::Stop | Kind::Run if !owned => {
                if let Some(v) = vu.take() {
                    ctx.pool.put(v);
                }
            }
            _ => {}
        }
        if rx.changed().await.is_err() {
            break;
        }
    }
    if active {
        ctx.counters.sub_active(1);
        ctx.pool.emit_vus();
    }
    vu
}
