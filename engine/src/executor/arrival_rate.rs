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
//! iterations run in their own tasks and hand their VU back when done.
//! The idle VUs form a queue, as k6's do: a tick takes the VU idle the
//! longest and a VU back from its iteration goes to the end, so every VU
//! of the pool takes turns (a script routing by `exec.vu.idInTest`
//! reaches every route) even when one VU could run every iteration.

use std::collections::VecDeque;
use std::sync::Arc;

use k6r_core::plan::{Tick, Work};
use k6r_core::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::iteration::{self, Numbers};
use super::ScenarioCtx;
use crate::abort::AbortReason;
use crate::pool::PooledVu;
use crate::vu::{InitError, VuFactory};

pub(crate) async fn run<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>) {
    let (pre_allocated, max_vus, end, mut ticks): (
        u64,
        u64,
        Duration,
        Box<dyn Iterator<Item = Tick> + Send + '_>,
    ) = match &ctx.plan.work {
        Work::ConstantArrivalRate {
            pre_allocated_vus,
            max_vus,
            schedule,
        } => (
            *pre_allocated_vus,
            *max_vus,
            schedule.duration,
            Box::new(schedule.ticks()),
        ),
        Work::RampingArrivalRate {
            pre_allocated_vus,
            max_vus,
            schedule,
        } => (
            *pre_allocated_vus,
            *max_vus,
            schedule.duration(),
            Box::new(schedule.ticks()),
        ),
        _ => return,
    };
    let hard_end = ctx.at(end + ctx.plan.graceful_stop);
    let hard = ctx.stop.child_token();
    // The lowest VU first.
    let mut idle: VecDeque<PooledVu<F::Vu>> = ctx.take(pre_allocated).await.into();
    let mut vus = idle.len() as u64;
    let (init_tx, mut init_rx) = mpsc::channel::<Result<PooledVu<F::Vu>, InitError>>(1);
    let mut initialising = false;
    let mut warned = false;
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
            joined = running.join_next(), if !running.is_empty() => match joined {
                Some(Ok(vu)) => idle.push_back(vu),
                Some(Err(e)) => {
                    tracing::error!(error = %e, "a VU task failed");
                    vus = vus.saturating_sub(1);
                }
                None => {}
            },
            Some(ready) = init_rx.recv(), if initialising => {
                initialising = false;
                match ready {
                    Ok(vu) => {
                        vus += 1;
                        ctx.activate(1);
                        idle.push_back(vu);
                    }
                    Err(e) => ctx.abort.abort(AbortReason::VuInit(e)),
                }
            }
            _ = &mut deadline, if !hard.is_cancelled() => hard.cancel(),
            _ = hard.cancelled() => {}
            _ = ctx.drain.cancelled(), if next.is_some() => {}
            _ = tokio::time::sleep_until(tick_at), if next.is_some() => {
                let Some(tick) = next else { continue };
                next = ticks.next();
                if let Some(mut vu) = idle.pop_front() {
                    let (ctx, hard) = (Arc::clone(&ctx), hard.clone());
                    let numbers = Numbers {
                        in_instance: tick.local.max(0) as u64,
                        in_test: tick.global.max(0) as u64,
                    };
                    running.spawn(async move {
                        iteration::run(&ctx, &mut vu, numbers, &hard).await;
                        vu
                    });
                    continue;
                }
                ctx.drop_iterations(1, None);
                if vus < max_vus {
                    if !initialising {
                        initialising = true;
                        spawn_init(&ctx, init_tx.clone());
                    }
                } else if !warned {
                    warned = true;
                    tracing::warn!(
                        executor = %ctx.plan.kind,
                        scenario = %ctx.name,
                        "Insufficient VUs, reached {vus} active VUs and cannot initialize more"
                    );
                }
            }
        }
    }
    // An unplanned VU still initialising goes to the pool by itself once
    // the channel is closed; one already sent is taken here.
    init_rx.close();
    while let Ok(ready) = init_rx.try_recv() {
        if let Ok(vu) = ready {
            ctx.pool.put(vu);
        }
    }
    ctx.release(idle);
}

/// Gets an unplanned VU: an idle one from the pool (returned by another
/// scenario) or a newly initialised one.
fn spawn_init<F: VuFactory>(
    ctx: &Arc<ScenarioCtx<F>>,
    tx: mpsc::Sender<Result<PooledVu<F::Vu>, InitError>>,
) {
    let ctx = Arc::clone(ctx);
    tokio::spawn(async move {
        let got = match ctx.pool.try_take() {
            Some(vu) => Ok(vu),
            None => ctx.pool.init_next().await,
        };
        if let Err(mpsc::error::SendError(Ok(vu))) = tx.send(got).await {
            ctx.pool.put(vu);
        }
    });
}
