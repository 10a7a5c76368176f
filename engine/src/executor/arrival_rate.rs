//! constant-arrival-rate and ramping-arrival-rate (§2.3): iteration `g`
//! starts at its tick's offset from the scenario start on an idle VU of
//! the scenario. Without one the tick is dropped (one `dropped_iterations`
//! of 1) and, while the unplanned budget lasts and no other unplanned VU
//! is initialising, one more VU is initialised in the background.
//!
//! A drain of the test ends the ticks; running iterations get
//! `gracefulStop`.
//!
//! The ticks come from a [`LiveSchedule`]: live changes (`rate`,
//! `factor`, `paused`, `extend`) edit it at their instant and the loop
//! takes the next tick from it again; the tick it held, not yet started,
//! is given back. A rate increase initialises, in the background and
//! within `maxVUs`, as many more VUs as the scenario holds times the
//! increase, so the new rate finds them ready.
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

use k6r_core::plan::{LiveSchedule, Tick, Work};
use k6r_core::Duration;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::iteration::{self, Numbers};
use super::steer::{Applied, Inbox, Live, Request};
use super::ScenarioCtx;
use crate::pool::PooledVu;
use crate::vu::VuFactory;

/// How often a running scenario refreshes its published state.
const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// The scenario's VUs, as the loop owns them.
struct Vus<F: VuFactory> {
    /// The idle VUs, the one idle longest first.
    idle: VecDeque<PooledVu<F::Vu>>,
    /// The VUs the scenario holds, idle or running.
    count: u64,
    /// The most VUs the scenario may hold.
    max: u64,
    /// Unplanned VUs being initialised (`None`: it failed, and the test
    /// aborts).
    inits: JoinSet<Option<PooledVu<F::Vu>>>,
    /// Whether the "Insufficient VUs" warning was given.
    warned: bool,
}

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
        if self.count + (self.inits.len() as u64) < self.max {
            if self.inits.is_empty() {
                self.init(ctx, 1);
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

    /// Starts initialising up to `n` more VUs, within the most.
    fn init(&mut self, ctx: &Arc<ScenarioCtx<F>>, n: u64) {
        let room = self
            .max
            .saturating_sub(self.count + self.inits.len() as u64);
        for _ in 0..n.min(room) {
            let ctx = Arc::clone(ctx);
            self.inits.spawn(async move { ctx.grow().await });
        }
    }

    /// Adds an unplanned VU once initialised (a failed init aborted the
    /// test).
    fn initialised(
        &mut self,
        ctx: &ScenarioCtx<F>,
        joined: Result<Option<PooledVu<F::Vu>>, JoinError>,
    ) {
        match joined {
            Err(e) => tracing::error!(error = %e, "a VU initialisation failed"),
            Ok(Some(vu)) => {
                self.count += 1;
                ctx.activate(1);
                self.idle.push_back(vu);
            }
            Ok(None) => {}
        }
    }
}

pub(crate) async fn run<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>, mut inbox: Inbox) {
    let (Work::ConstantArrivalRate {
        pre_allocated_vus,
        max_vus,
        ..
    }
    | Work::RampingArrivalRate {
        pre_allocated_vus,
        max_vus,
        ..
    }) = ctx.plan.work
    else {
        return;
    };
    let Some(mut schedule) = LiveSchedule::of(&ctx.plan.work) else {
        return;
    };
    let hard = ctx.stop.child_token();
    // The lowest VU first.
    let idle: VecDeque<PooledVu<F::Vu>> = ctx.take(pre_allocated_vus).await.into();
    let mut vus = Vus {
        count: idle.len() as u64,
        idle,
        max: max_vus,
        inits: JoinSet::new(),
        warned: false,
    };
    let mut running: JoinSet<PooledVu<F::Vu>> = JoinSet::new();
    let mut next = schedule.next_tick();
    let mut end = schedule.end();
    let mut deadline = Box::pin(ctx.hard_end(ctx.at(end + ctx.plan.graceful_stop)));
    inbox.publish(live(&ctx, &schedule));
    let mut published = Instant::now();
    loop {
        if hard.is_cancelled() || ctx.drain.is_cancelled() {
            next = None;
        }
        // A changed scenario waits for its regular end even without
        // ticks left: another change may bring some.
        let waits = schedule.changed()
            && !hard.is_cancelled()
            && !ctx.drain.is_cancelled()
            && Instant::now() < ctx.at(end);
        if next.is_none() && running.is_empty() && !waits {
            break;
        }
        let tick_at = ctx.at(next.map_or(Duration::ZERO, |t| t.offset));
        tokio::select! {
            biased;
            joined = running.join_next(), if !running.is_empty() => vus.joined(joined),
            Some(ready) = vus.inits.join_next(), if !vus.inits.is_empty() => {
                vus.initialised(&ctx, ready);
            }
            _ = &mut deadline, if !hard.is_cancelled() => hard.cancel(),
            // Each wakes a loop waiting for a tick (or a change) only:
            // once fired, the loop no longer waits for either, and an
            // always-ready branch would spin it without ever letting the
            // iterations' tasks finish.
            _ = hard.cancelled(), if next.is_some() || waits => {}
            _ = ctx.drain.cancelled(), if next.is_some() || waits => {}
            request = inbox.due(), if !hard.is_cancelled() && !ctx.drain.is_cancelled() => {
                let Request { change, at, reply } = request;
                let offset = Duration::from_nanos(
                    at.unwrap_or_else(Instant::now)
                        .saturating_duration_since(ctx.start)
                        .as_nanos() as i64,
                );
                let before = schedule.rate_per_second(offset);
                let answer = schedule.apply(offset, &change, next).map(|()| {
                    next = schedule.next_tick();
                    let after = schedule.rate_per_second(offset);
                    if before > 0.0 && after > before {
                        let more = (vus.count as f64 * (after / before - 1.0)).ceil() as u64;
                        vus.init(&ctx, more);
                    }
                    if schedule.end() != end {
                        end = schedule.end();
                        deadline = Box::pin(ctx.hard_end(ctx.at(end + ctx.plan.graceful_stop)));
                    }
                    let applied = Applied {
                        scenario: ctx.name.to_string(),
                        change,
                        at: offset.to_std(),
                        rate: Some((before, after)),
                        vus: None,
                    };
                    ctx.record(&inbox.log, applied);
                    let now = live(&ctx, &schedule);
                    inbox.publish(now.clone());
                    now
                });
                let _ = reply.send(answer);
            }
            _ = tokio::time::sleep_until(ctx.at(end)), if next.is_none() && waits => {}
            _ = tokio::time::sleep_until(tick_at), if next.is_some() => {
                let Some(tick) = next else { continue };
                next = schedule.next_tick();
                vus.start(&ctx, tick, &hard, &mut running);
                // A ramping rate moves: its state is refreshed now and then.
                if published.elapsed() >= PUBLISH_EVERY {
                    published = Instant::now();
                    inbox.publish(live(&ctx, &schedule));
                }
            }
        }
        ctx.counters.set_busy(running.len() as u64);
    }
    inbox.close(&ctx.name);
    // Unplanned VUs still initialising go to the pool once ready.
    while let Some(joined) = vus.inits.join_next().await {
        if let Ok(Some(vu)) = joined {
            ctx.pool.put(vu);
        }
    }
    ctx.release(vus.idle);
}

/// The scenario's state now.
fn live<F: VuFactory>(ctx: &ScenarioCtx<F>, schedule: &LiveSchedule) -> Live {
    let now = Duration::from_nanos(
        Instant::now()
            .saturating_duration_since(ctx.start)
            .as_nanos() as i64,
    );
    Live {
        started: true,
        ended: false,
        paused: schedule.paused(),
        vus: None,
        rate: Some(schedule.rate_per_second(now)),
        end: Some(schedule.end().to_std()),
    }
}
