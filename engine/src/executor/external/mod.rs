//! externally-controlled (§2.3): `vus` of `maxVUs` owned VUs loop until
//! the duration is over (or forever, or until stopped); a
//! [`ControlHandle`] changes the numbers while it runs. The executor's task
//! owns all of its state and applies commands one at a time; VUs added by
//! raising `vus-max` are initialised in tasks it owns (a [`JoinSet`] it
//! polls beside the commands), so running VUs never stall and the scenario
//! ends only once they are back. Paused time does not count toward
//! `duration` (k6). At the end every VU is hard-stopped (there is no
//! gracefulStop).

mod control;

pub(crate) use control::{channel, Commands};
pub use control::{ControlCommand, ControlHandle, Status};

use std::sync::Arc;

use k6r_core::capacity::ControlledMax;
use k6r_core::plan::Work;
use k6r_core::scale::{self, Vus};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::handle::Handle;
use super::ScenarioCtx;
use crate::abort::AbortReason;
use crate::error::ControlError;
use crate::pool::PooledVu;
use crate::vu::{InitError, VuFactory};

type Ready<V> = Result<PooledVu<V>, InitError>;

/// The executor's state, owned by its task.
struct ControlActor<F: VuFactory> {
    ctx: Arc<ScenarioCtx<F>>,
    token: CancellationToken,
    tasks: JoinSet<Option<PooledVu<F::Vu>>>,
    handles: Vec<Handle>,
    vus: u64,
    max_vus: u64,
    start_max_vus: u64,
    /// Initialisations of VUs added by raising `vus-max`.
    inits: JoinSet<Ready<F::Vu>>,
    paused: bool,
    /// The paused time, shared with the control handles.
    pauses: Arc<control::Pauses>,
    stopped: bool,
}

pub(crate) async fn run<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>, commands: Option<Commands>) {
    let Work::ExternallyControlled {
        vus,
        max_vus,
        duration,
    } = ctx.plan.work
    else {
        return;
    };
    // Without a handle nobody can send commands: a closed channel.
    let mut commands = commands.unwrap_or_else(|| channel(&ctx.name).1);
    let token = ctx.stop.child_token();
    let mut actor = ControlActor {
        ctx: Arc::clone(&ctx),
        token,
        tasks: JoinSet::new(),
        handles: Vec::new(),
        vus: vus.min(max_vus),
        max_vus,
        start_max_vus: max_vus,
        inits: JoinSet::new(),
        paused: false,
        pauses: Arc::clone(&commands.pauses),
        stopped: false,
    };
    for vu in ctx.borrow(max_vus).await {
        actor.add(vu);
    }
    actor.reconcile();
    // Paused time does not count toward `duration` (k6): the end moves
    // on by every pause, and no end comes while paused.
    let end = duration.map(|d| ctx.at(d));
    let pauses = Arc::clone(&commands.pauses);
    commands.mark_started();
    let mut commands_open = true;
    loop {
        if actor.stopped && actor.tasks.is_empty() && actor.inits.is_empty() {
            break;
        }
        let deadline = end.map(|e| e + pauses.total());
        tokio::select! {
            request = commands.recv(), if commands_open => match request {
                Some(request) => {
                    let result = actor.apply(request.command);
                    let _ = request.reply.send(result);
                }
                None => commands_open = false,
            },
            joined = actor.inits.join_next(), if !actor.inits.is_empty() => match joined {
                Some(Ok(ready)) => actor.ready(ready),
                Some(Err(e)) => tracing::error!(error = %e, "a VU initialisation failed"),
                None => {}
            },
            joined = actor.tasks.join_next(), if !actor.tasks.is_empty() => match joined {
                Some(Ok(Some(vu))) => ctx.pool.put(vu),
                Some(Ok(None)) | None => {}
                Some(Err(e)) => tracing::error!(error = %e, "a VU task failed"),
            },
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)),
                if deadline.is_some() && !actor.stopped && !actor.paused => actor.end(),
            _ = ctx.stop.cancelled(), if !actor.stopped => actor.end(),
            // Without a gracefulStop, a drain ends it as a stop does.
            _ = ctx.drain.cancelled(), if !actor.stopped => actor.end(),
        }
    }
    commands.close();
    while let Ok(request) = commands.try_recv() {
        let _ = request.reply.send(Err(ControlError::Ended {
            scenario: ctx.name.to_string(),
        }));
    }
}

impl<F: VuFactory> ControlActor<F> {
    fn status(&self) -> Status {
        Status {
            vus: self.vus,
            max_vus: self.max_vus,
            start_max_vus: self.start_max_vus,
            initialized_vus: self.handles.len() as u64,
            paused: self.paused,
            stopped: self.stopped,
        }
    }

    fn add(&mut self, vu: PooledVu<F::Vu>) {
        let handle = Handle::spawn(&self.ctx, &mut self.tasks, &self.token, Some(vu));
        self.handles.push(handle);
    }

    /// Makes every handle match `vus` and `paused`.
    fn reconcile(&mut self) {
        if self.stopped {
            return;
        }
        for (i, handle) in self.handles.iter_mut().enumerate() {
            if (i as u64) >= self.vus {
                handle.hard_stop();
            } else if self.paused {
                handle.pause();
            } else {
                handle.run();
            }
        }
    }

    fn apply(&mut self, command: ControlCommand) -> Result<Status, ControlError> {
        if self.stopped {
            return Err(ControlError::Ended {
                scenario: self.ctx.name.to_string(),
            });
        }
        match command {
            ControlCommand::Status => {}
            ControlCommand::Update { vus, max_vus } => self.update(vus, max_vus)?,
            ControlCommand::Pause if self.paused => return Err(ControlError::AlreadyPaused),
            ControlCommand::Pause => {
                self.paused = true;
                self.pauses.pause();
            }
            ControlCommand::Resume if !self.paused => return Err(ControlError::NotPaused),
            ControlCommand::Resume => {
                self.paused = false;
                self.pauses.resume();
            }
            ControlCommand::Stop => {
                self.end();
                return Ok(self.status());
            }
        }
        self.reconcile();
        Ok(self.status())
    }

    fn update(&mut self, vus: Option<u64>, max_vus: Option<u64>) -> Result<(), ControlError> {
        // k6's rules, written once; the machine's cap is the caller's
        // (the REST API's or the agent's), so none here.
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let now = Vus {
            vus: self.vus,
            max_vus: self.max_vus,
        };
        let no_cap = ControlledMax(u64::MAX);
        let Vus {
            vus: new_vus,
            max_vus: new_max,
        } = scale::update(
            now,
            self.start_max_vus,
            no_cap,
            vus.map(count),
            max_vus.map(count),
        )?;
        self.vus = new_vus;
        self.max_vus = new_max;
        let held = self.handles.len() as u64;
        if new_max < held {
            for mut handle in self.handles.drain(new_max as usize..) {
                handle.hard_stop();
                handle.finish();
            }
        }
        let wanted = new_max.saturating_sub(held + self.inits.len() as u64);
        for _ in 0..wanted {
            let ctx = Arc::clone(&self.ctx);
            self.inits.spawn(async move {
                match ctx.pool.try_take() {
                    Some(vu) => Ok(vu),
                    None => ctx.pool.init_next().await,
                }
            });
        }
        Ok(())
    }

    /// A background initialisation finished.
    fn ready(&mut self, ready: Ready<F::Vu>) {
        match ready {
            Ok(vu) if !self.stopped && (self.handles.len() as u64) < self.max_vus => {
                self.add(vu);
                self.reconcile();
            }
            Ok(vu) => self.ctx.pool.put(vu),
            Err(e) => self.ctx.abort.abort(AbortReason::VuInit(e)),
        }
    }

    /// Hard-stops everything; the loop ends when every handle is done.
    fn end(&mut self) {
        self.stopped = true;
        // A pause going on ends with the scenario.
        self.pauses.resume();
        for handle in &mut self.handles {
            handle.hard_stop();
            handle.finish();
        }
    }
}
