//! The executors whose VUs loop from the start: shared-iterations,
//! per-vu-iterations and constant-vus (§2.3). Each VU is one task that
//! starts iterations while the regular end has not passed (and its work is
//! not exhausted) and the test is not draining; at the hard end (regular
//! end + gracefulStop, or gracefulStop after a drain) the scenario's token
//! interrupts what still runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use k6r_core::plan::Work;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::iteration::{self, Numbers};
use super::{spawn_on, ScenarioCtx};
use crate::pool::PooledVu;
use crate::vu::{Vu, VuFactory};

/// Next iteration numbers as [`Numbers`].
fn numbers<F: VuFactory>(ctx: &ScenarioCtx<F>) -> Numbers {
    let (in_instance, in_test) = ctx.next_numbers();
    Numbers {
        in_instance,
        in_test,
    }
}

/// Waits for every VU task, firing `hard` at the hard end (`hard_end`, or
/// `gracefulStop` after a drain); returns what the tasks returned (a task
/// that panicked loses its VU, logged).
async fn finish<F: VuFactory, T: Send + 'static>(
    ctx: &ScenarioCtx<F>,
    tasks: &mut JoinSet<T>,
    hard_end: Instant,
    hard: &CancellationToken,
) -> Vec<T> {
    let mut out = Vec::new();
    let deadline = ctx.hard_end(hard_end);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(Ok(v)) => out.push(v),
                Some(Err(e)) => tracing::error!(error = %e, "a VU task failed"),
                None => break,
            },
            _ = &mut deadline, if !hard.is_cancelled() => hard.cancel(),
        }
    }
    out
}

/// shared-iterations: VUs claim iteration numbers from one counter.
pub(crate) async fn shared_iterations<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>) {
    let Work::SharedIterations {
        vus,
        iterations,
        max_duration,
    } = ctx.plan.work
    else {
        return;
    };
    let (regular_end, hard_end, hard) = ctx.window(max_duration);
    let attempted = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for mut vu in ctx.take(vus).await {
        let (ctx, hard, attempted) = (Arc::clone(&ctx), hard.clone(), Arc::clone(&attempted));
        let runs_on = vu.vu.runtime();
        spawn_on(&mut tasks, runs_on, async move {
            while ctx.may_start(regular_end, &hard) && ctx.unpaused(&hard, regular_end).await {
                let claimed = attempted.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < iterations).then_some(n + 1)
                });
                if claimed.is_err() {
                    break;
                }
                iteration::run(&ctx, &mut vu, numbers(&ctx), &hard).await;
            }
            vu
        });
    }
    let vus = finish(&ctx, &mut tasks, hard_end, &hard).await;
    ctx.release(vus);
    let dropped = iterations.saturating_sub(attempted.load(Ordering::Acquire));
    if dropped > 0 {
        ctx.drop_iterations(dropped, None);
    }
}

/// per-vu-iterations: each VU runs its own count.
pub(crate) async fn per_vu_iterations<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>) {
    let Work::PerVuIterations {
        vus,
        iterations_per_vu,
        max_duration,
    } = ctx.plan.work
    else {
        return;
    };
    let (regular_end, hard_end, hard) = ctx.window(max_duration);
    let mut tasks = JoinSet::new();
    for mut vu in ctx.take(vus).await {
        let (ctx, hard) = (Arc::clone(&ctx), hard.clone());
        let runs_on = vu.vu.runtime();
        spawn_on(&mut tasks, runs_on, async move {
            let mut attempted = 0;
            while attempted < iterations_per_vu
                && ctx.may_start(regular_end, &hard)
                && ctx.unpaused(&hard, regular_end).await
            {
                attempted += 1;
                iteration::run(&ctx, &mut vu, numbers(&ctx), &hard).await;
            }
            (vu, iterations_per_vu - attempted)
        });
    }
    let done = finish(&ctx, &mut tasks, hard_end, &hard).await;
    let mut vus: Vec<PooledVu<F::Vu>> = Vec::with_capacity(done.len());
    for (vu, left) in done {
        if left > 0 {
            ctx.drop_iterations(left, Some(vu.id));
        }
        vus.push(vu);
    }
    ctx.release(vus);
}

/// constant-vus: VUs loop until the duration is over. The VU tasks
/// follow the scenario's knobs: the top ones idle while the live `vus` is
/// below them (after their iteration), more are started (their VUs taken
/// from the pool or initialised) when it rises, and `extend` moves the
/// end.
pub(crate) async fn constant_vus<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>) {
    let Work::ConstantVus { vus, duration } = ctx.plan.work else {
        return;
    };
    let hard = ctx.stop.child_token();
    let mut knobs = ctx.knobs.subscribe();
    let mut tasks = JoinSet::new();
    let mut spawned = 0;
    for vu in ctx.take(vus).await {
        let runs_on = vu.vu.runtime();
        let task = constant_vu(Arc::clone(&ctx), hard.clone(), spawned, Some(vu));
        spawn_on(&mut tasks, runs_on, task);
        spawned += 1;
    }
    let mut end = duration.to_std();
    let hard_end = |end| ctx.hard_end(ctx.start + end + ctx.plan.graceful_stop.to_std());
    let mut deadline = Box::pin(hard_end(end));
    let (mut active, mut idle) = (Vec::new(), Vec::new());
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(Ok(Some((vu, true)))) => active.push(vu),
                Some(Ok(Some((vu, false)))) => idle.push(vu),
                Some(Ok(None)) => {}
                Some(Err(e)) => tracing::error!(error = %e, "a VU task failed"),
                None => break,
            },
            _ = &mut deadline, if !hard.is_cancelled() => hard.cancel(),
            Ok(()) = knobs.changed() => {
                let k = *knobs.borrow_and_update();
                if let Some(new_end) = k.end.filter(|e| *e != end) {
                    end = new_end;
                    deadline = Box::pin(hard_end(end));
                }
                while spawned < k.vus.unwrap_or(0) && !hard.is_cancelled() {
                    tasks.spawn(constant_vu(Arc::clone(&ctx), hard.clone(), spawned, None));
                    spawned += 1;
                }
            }
        }
    }
    ctx.release(active);
    for vu in idle {
        ctx.pool.put(vu);
    }
}

/// The `i`-th VU of constant-vus (0-based), with its VU or one to get.
/// Returns it and whether it is counted active.
async fn constant_vu<F: VuFactory>(
    ctx: Arc<ScenarioCtx<F>>,
    hard: CancellationToken,
    i: u64,
    vu: Option<PooledVu<F::Vu>>,
) -> Option<(PooledVu<F::Vu>, bool)> {
    let mut active = vu.is_some();
    let mut vu = match vu {
        Some(vu) => vu,
        None => ctx.grow().await?,
    };
    let mut knobs = ctx.knobs.subscribe();
    loop {
        let k = *knobs.borrow_and_update();
        let regular_end = ctx.start + k.end.unwrap_or_default();
        if !ctx.may_start(regular_end, &hard) {
            break;
        }
        let wanted = i < k.vus.unwrap_or(u64::MAX);
        if wanted != active {
            active = wanted;
            if wanted {
                ctx.activate(1);
            } else {
                ctx.counters.sub_active(1);
                ctx.pool.emit_vus();
            }
        }
        if k.paused || !wanted {
            tokio::select! {
                changed = knobs.changed() => if changed.is_err() { break },
                () = hard.cancelled() => break,
                () = ctx.drain.cancelled() => break,
                () = tokio::time::sleep_until(regular_end) => break,
            }
            continue;
        }
        iteration::run(&ctx, &mut vu, numbers(&ctx), &hard).await;
    }
    Some((vu, active))
}
