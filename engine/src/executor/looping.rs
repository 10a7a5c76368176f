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
use super::ScenarioCtx;
use crate::pool::PooledVu;
use crate::vu::VuFactory;

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
        tasks.spawn(async move {
            while ctx.may_start(regular_end, &hard) {
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
        tasks.spawn(async move {
            let mut attempted = 0;
            while attempted < iterations_per_vu && ctx.may_start(regular_end, &hard) {
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

/// constant-vus: VUs loop until the duration is over.
pub(crate) async fn constant_vus<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>) {
    let Work::ConstantVus { vus, duration } = ctx.plan.work else {
        return;
    };
    let (regular_end, hard_end, hard) = ctx.window(duration);
    let mut tasks = JoinSet::new();
    for mut vu in ctx.take(vus).await {
        let (ctx, hard) = (Arc::clone(&ctx), hard.clone());
        tasks.spawn(async move {
            while ctx.may_start(regular_end, &hard) {
                iteration::run(&ctx, &mut vu, numbers(&ctx), &hard).await;
            }
            vu
        });
    }
    let vus = finish(&ctx, &mut tasks, hard_end, &hard).await;
    ctx.release(vus);
}
