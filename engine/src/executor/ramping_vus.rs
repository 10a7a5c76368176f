//! ramping-vus (§2.3, §2.4): one handle per VU slot, driven by the plan's
//! two step lists. A rising raw count starts the next handles; a falling
//! one pauses the top handles (current iteration finishes); a falling
//! graceful count hard-stops the top handles and returns their VUs. After
//! the regular end (last raw step) handles end as their iteration
//! finishes; at the hard end (last graceful step) the rest is interrupted.
//! A drain of the test finishes every handle at once and interrupts what
//! still runs `gracefulStop` later.
//!
//! The steps are a [`LiveRamp`]: a live `factor` edits them at its
//! instant, an `extend` (or a longer `duration`) moves the regular end
//! later, and the loop follows the new steps from there (the drain's
//! hard end too). A new end is refused once the regular end has passed
//! or the test drains: the scenario is ending. When they need
//! more slots than the scenario has, a VU for each new handle is
//! initialised at once ([`ScenarioCtx::init_vu`], into the pool: the idle
//! ones there are the other handles'), ahead of the ramp that starts
//! them, so no running VU waits for an init.

use std::sync::Arc;

use k6r_core::plan::{LiveRamp, Step};
use k6r_core::steer::ChangeError;
use k6r_core::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::handle::{Handle, Kind};
use super::knobs;
use super::steer::Inbox;
use super::ScenarioCtx;
use crate::pool::PooledVu;
use crate::vu::VuFactory;

/// The most VUs the steps ever hold.
fn slots(ramp: &LiveRamp) -> u64 {
    steps(ramp).map(|s| s.planned_vus).max().unwrap_or(0)
}

/// Both step lists.
fn steps(ramp: &LiveRamp) -> impl Iterator<Item = &Step> {
    ramp.raw_steps().iter().chain(ramp.graceful_steps())
}

/// The offsets of the steps from `from` on, in order, each once.
fn offsets(ramp: &LiveRamp, from: Duration) -> std::vec::IntoIter<Duration> {
    let mut offsets: Vec<Duration> = steps(ramp)
        .map(|s| s.offset)
        .filter(|o| *o >= from)
        .collect();
    offsets.sort();
    offsets.dedup();
    offsets.into_iter()
}

/// The last step's offset: everything is stopped by then.
fn planned_end(ramp: &LiveRamp) -> Duration {
    steps(ramp).map(|s| s.offset).max().unwrap_or_default()
}

/// The regular end: the last raw step.
fn regular_end(ramp: &LiveRamp) -> Duration {
    ramp.raw_steps().last().map_or(Duration::ZERO, |s| s.offset)
}

type Tasks<V> = JoinSet<Option<PooledVu<V>>>;

/// Adds handles up to `slots`; with `init`, a VU for each new one is
/// readied in the pool now (a change grows the scenario past its plan).
fn add_handles<F: VuFactory>(
    ctx: &Arc<ScenarioCtx<F>>,
    handles: &mut Vec<Handle>,
    tasks: &mut Tasks<F::Vu>,
    token: &CancellationToken,
    slots: u64,
    init: bool,
) {
    while (handles.len() as u64) < slots {
        handles.push(Handle::spawn(ctx, tasks, token, None));
        if init {
            let ctx = Arc::clone(ctx);
            tasks.spawn(async move { ctx.init_vu().await });
        }
    }
}

pub(crate) async fn run<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>, mut inbox: Inbox) {
    let Some(mut ramp) = LiveRamp::of(&ctx.plan) else {
        return;
    };
    let scenario_token = ctx.stop.child_token();
    let mut tasks = JoinSet::new();
    let mut handles: Vec<Handle> = Vec::new();
    add_handles(
        &ctx,
        &mut handles,
        &mut tasks,
        &scenario_token,
        slots(&ramp),
        false,
    );
    let mut offsets = offsets(&ramp, Duration::ZERO);
    let mut next = offsets.next();
    let mut finishing = false;
    // Whether the test drains, and whether its gracefulStop is over.
    let (mut drained, mut drain_over) = (false, false);
    let mut drain_end = Box::pin(ctx.hard_end(ctx.at(planned_end(&ramp))));
    knobs::publish(&ctx, &inbox);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(ctx.at(next.unwrap_or_default())), if next.is_some() => {
                let at = next.unwrap_or_default();
                next = offsets.next();
                let raw = Step::planned_at(ramp.raw_steps(), at);
                let graceful = Step::planned_at(ramp.graceful_steps(), at).max(raw);
                if at >= regular_end(&ramp) {
                    finishing = true;
                }
                for (i, handle) in handles.iter_mut().enumerate() {
                    let i = i as u64;
                    if i >= graceful {
                        handle.hard_stop();
                    } else if finishing {
                        // No iteration starts after the regular end.
                        handle.pause();
                    } else if i < raw {
                        handle.run();
                    } else {
                        handle.pause();
                    }
                    if finishing {
                        handle.finish();
                    }
                }
                if next.is_none() {
                    // The hard end: nothing may run past it.
                    handles.iter_mut().for_each(|h| { h.hard_stop(); h.finish(); });
                }
            }
            joined = tasks.join_next() => match joined {
                Some(Ok(Some(vu))) => ctx.pool.put(vu),
                Some(Ok(None)) => {}
                Some(Err(e)) => tracing::error!(error = %e, "a VU task failed"),
                None => break,
            },
            request = inbox.due() => {
                // Once finishing or draining, the steps no longer apply.
                let follows = !finishing && !drained && next.is_some();
                knobs::take(&ctx, &inbox, request, |at, change, knobs| {
                    let at = Duration::from(at);
                    let end = ramp.end();
                    let new_end = knobs.end.map(Duration::from).filter(|e| *e > end);
                    if new_end.is_some() && (drained || at >= end) {
                        return Err(ChangeError::Ended(ctx.name.to_string()));
                    }
                    // Moved even where the steps no longer apply (this
                    // instance's part of the ramp ended at zero early),
                    // so every instance keeps the same regular end.
                    if let Some(new_end) = new_end {
                        ramp.extend_to(new_end);
                    }
                    if !follows {
                        return Ok(());
                    }
                    if let Some(factor) = change.factor {
                        ramp.scale(at, factor);
                    }
                    let slots = slots(&ramp);
                    add_handles(&ctx, &mut handles, &mut tasks, &scenario_token, slots, true);
                    offsets = self::offsets(&ramp, at);
                    next = offsets.next();
                    drain_end = Box::pin(ctx.hard_end(ctx.at(planned_end(&ramp))));
                    Ok(())
                });
            }
            _ = ctx.stop.cancelled(), if handles.iter().any(|h| h.kind() != Kind::Finish) => {
                handles.iter_mut().for_each(|h| { h.hard_stop(); h.finish(); });
            }
            // A drain: no new iterations (the steps no longer apply),
            // running ones get gracefulStop (not gracefulRampDown).
            _ = ctx.drain.cancelled(), if !drained => {
                drained = true;
                next = None;
                handles.iter_mut().for_each(|h| { h.pause(); h.finish(); });
            }
            _ = &mut drain_end, if drained && !drain_over => {
                drain_over = true;
                handles.iter_mut().for_each(|h| { h.hard_stop(); h.finish(); });
            }
        }
    }
    inbox.close(&ctx.name);
}
