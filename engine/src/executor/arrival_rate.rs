//! constant-arrival-rate and ramping-arrival-rate (§2.3): iteration `g`
//! starts at its tick's offset from the scenario start on an idle VU of
//! the scenario. Without one the tick is dropped (one `dropped_iterations`
//! of 1) and, while the unplanned budget lasts and no other unplanned VU
//! is initialising, one more VU is initialised in the background.
//!
//! A drain of the test ends the ticks; running iterations get
//! `gracefulStop`.
//!
//! One task (this loop) owns the idle VUs and the scenario's VU count;
//! iterations run in their own tasks and hand their VU back when done, and
//! an unplanned VU initialises in a task it holds and awaits.
//! The idle VUs form a queue, as k6's do: a tick takes the VU idle the
//! longest and a VU back from its iteration goes to the end, so every VU
//! of the pool takes turns (a script routing by `exec.vu.idInTest`
//! reaches every route) even when one VU could run every iteration.

use std::collections::VecDeque;
use std::sync::Arc;

use k6r_core::plan::{Tick, Work};
use k6r_core::Duration;
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::iteration::{self, Numbers};
use super::ScenarioCtx;
use crate::abort::AbortReason;
use crate::pool::PooledVu;
use crate::vu::{InitError, VuFactory};

/// The ticks of an arrival-rate scenario and what bounds them.
struct Schedule<'a> {
    /// VUs initialised before the start.
    pre_allocated: u64,
    /// The most VUs the scenario may hold.
    max_vus: u64,
    /// The regular end, from the scenario start.
    end: Duration,
    /// The iteration starts, in order.
    ticks: Box<dyn Iterator<Item = Tick> + Send + 'a>,
}

impl<'a> Schedule<'a> {
    /// The schedule of `work`, `None` for the other executors.
    fn of(work: &'a Work) -> Option<Schedule<'a>> {
        let (Work::ConstantArrivalRate {
            pre_allocated_vus,
            max_vus,
            ..
        }
        | Work::RampingArrivalRate {
            pre_allocated_vus,
            max_vus,
            ..
        }) = work
        else {
            return None;
        };
        let (end, ticks): (Duration, Box<dyn Iterator<Item = Tick> + Send + 'a>) = match work {
            Work::ConstantArrivalRate { schedule, .. } => {
                (schedule.duration, Box::new(schedule.ticks()))
            }
            Work::RampingArrivalRate { schedule, .. } => {
                (schedule.duration(), Box::new(schedule.ticks()))
            }
            _ => return None,
        };
        Some(Schedule {
            pre_allocated: *pre_allocated_vus,
            max_vus: *max_vus,
            end,
            ticks,
        })
    }
}

/// The scenario's VUs, as the loop owns them.
struct Vus<F: VuFactory> {
    /// The idle VUs, the one idle longest first.
    idle: VecDeque<PooledVu<F::Vu>>,
    /// The VUs the scenario holds, idle or running.
    count: u64,
    /// The most VUs the scenario may hold.
    max: u64,
    /// The unplanned VU being initialised, if any.
    init: Option<JoinHandle<Ready<F::Vu>>>,
    /// Whether the "Insufficient VUs" warning was given.
    warned: bool,
}

type Ready<V> = Result<PooledVu<V>, InitError>;

impl<F: VuFactory> Vus<F> {
    /// Starts `tick`'s iteration on the VU idle longest, or drops it and
    /// asks for one more VU while the budget lasts.
    fn start(
        &mut self,
        ctx: &Arc<ScenarioCtx<F>>,
        tick: Tick,
        hard: &CancellationToken,
        running: &mut JoinSet<PooledVu<F::Vu>>,
    ) {
        if let Some(mut vu) = self.idle.pop_front() {
            let (ctx, hard) = (Arc::clone(ctx), hard.clone());
            let numbers = Numbers {
                in_instance: tick.local.max(0) as u64,
                in_test: tick.global.max(0) as u64,
            };
            running.spawn(async move {
                iteration::run(&ctx, &mut vu, numbers, &hard).await;
                vu
            });
            return;
        }
        ctx.drop_iterations(1, None);
        if self.count < self.max {
            if self.init.is_none() {
                self.init = Some(spawn_init(ctx));
            }
        } else if !self.warned {
            self.warned = true;
            let vus = self.count;
            tracing::warn!(
                executor = %ctx.plan.kind,
                scenario = %ctx.name,
                "Insufficient VUs, reached {vus} active VUs and cannot initialize more"
            );
        }
    }

    /// Takes back a VU whose iteration ended; a failed task loses its VU.
    fn joined(&mut self, joined: Option<Result<PooledVu<F::Vu>, JoinError>>) {
        match joined {
            Some(Ok(vu)) => self.idle.push_back(vu),
            Some(Err(e)) => {
                tracing::error!(error = %e, "a VU task failed");
                self.count = self.count.saturating_sub(1);
            }
            None => {}
        }
    }

    /// Adds an unplanned VU once initialised; a failed init aborts the test.
    fn initialised(&mut self, ctx: &ScenarioCtx<F>, joined: Result<Ready<F::Vu>, JoinError>) {
        self.init = None;
        match joined {
            Err(e) => tracing::error!(error = %e, "a VU initialisation failed"),
            Ok(Ok(vu)) => {
                self.count += 1;
                ctx.activate(1);
                self.idle.push_back(vu);
            }
            Ok(Err(e)) => ctx.abort.abort(AbortReason::VuInit(e)),
        }
    }
}

pub(crate) async fn run<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>) {
    let Some(Schedule {
        pre_allocated,
        max_vus,
        end,
        mut ticks,
    }) = Schedule::of(&ctx.plan.work)
    else {
        return;
    };
    let hard_end = ctx.at(end + ctx.plan.graceful_stop);
    let hard = ctx.stop.child_token();
    // The lowest VU first.
    let idle: VecDeque<PooledVu<F::Vu>> = ctx.take(pre_allocated).await.into();
    let mut vus = Vus {
        count: idle.len() as u64,
        idle,
        max: max_vus,
        init: None,
        warned: false,
    };
    let mut running: JoinSet<PooledVu<F::Vu>> = JoinSet::new();
    let mut next = ticks.next();
    let deadline = ctx.hard_end(hard_end);
    tokio::pin!(deadline);
    loop {
        if hard.is_cancelled() || ctx.drain.is_cancelled() {
            next = None;
        }
        if next.is_none() && running.is_empty() {
            break;
        }
        let tick_at = ctx.at(next.map_or(Duration::ZERO, |t| t.offset));
        tokio::select! {
            biased;
            joined = running.join_next(), if !running.is_empty() => vus.joined(joined),
            ready = async { vus.init.as_mut().expect("initialising").await }, if vus.init.is_some() => {
                vus.initialised(&ctx, ready);
            }
            _ = &mut deadline, if !hard.is_cancelled() => hard.cancel(),
            _ = hard.cancelled() => {}
            _ = ctx.drain.cancelled(), if next.is_some() => {}
            _ = tokio::time::sleep_until(tick_at), if next.is_some() => {
                let Some(tick) = next else { continue };
                next = ticks.next();
                vus.start(&ctx, tick, &hard, &mut running);
            }
        }
        ctx.counters.set_busy(running.len() as u64);
    }
    // An unplanned VU still initialising goes to the pool once ready.
    if let Some(init) = vus.init.take() {
        if let Ok(Ok(vu)) = init.await {
            ctx.pool.put(vu);
        }
    }
    ctx.release(vus.idle);
}

/// Gets an unplanned VU: an idle one from the pool (returned by another
/// scenario) or a newly initialised one.
fn spawn_init<F: VuFactory>(ctx: &Arc<ScenarioCtx<F>>) -> JoinHandle<Ready<F::Vu>> {
    let ctx = Arc::clone(ctx);
    tokio::spawn(async move {
        match ctx.pool.try_take() {
            Some(vu) => Ok(vu),
            None => ctx.pool.init_next().await,
        }
    })
}
