//! ramping-vus (§2.3, §2.4): one handle per VU slot, driven by the plan's
//! two step lists. A rising raw count starts the next handles; a falling
//! one pauses the top handles (current iteration finishes); a falling
//! graceful count hard-stops the top handles and returns their VUs. After
//! the regular end (last raw step) handles end as their iteration
//! finishes; at the hard end (last graceful step) the rest is interrupted.
//! A drain of the test finishes every handle at once and interrupts what
//! still runs `gracefulStop` later.

use std::sync::Arc;

use k6r_core::plan::{Step, Work};
use k6r_core::Duration;
use tokio::task::JoinSet;

use super::handle::{Handle, Kind};
use super::ScenarioCtx;
use crate::vu::VuFactory;

/// The planned count of the last step at or before `offset`.
fn count_at(steps: &[Step], offset: Duration) -> u64 {
    steps
        .iter()
        .take_while(|s| s.offset <= offset)
        .last()
        .map_or(0, |s| s.planned_vus)
}

pub(crate) async fn run<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>) {
    let Work::RampingVus {
        raw_steps,
        graceful_steps,
        regular_end,
        ..
    } = &ctx.plan.work
    else {
        return;
    };
    let slots = raw_steps
        .iter()
        .chain(graceful_steps.iter())
        .map(|s| s.planned_vus)
        .max()
        .unwrap_or(0);
    let scenario_token = ctx.stop.child_token();
    let mut tasks = JoinSet::new();
    let mut handles: Vec<Handle> = (0..slots)
        .map(|_| Handle::spawn(&ctx, &mut tasks, &scenario_token, None))
        .collect();
    let mut offsets: Vec<Duration> = raw_steps
        .iter()
        .chain(graceful_steps.iter())
        .map(|s| s.offset)
        .collect();
    offsets.sort();
    offsets.dedup();
    let mut offsets = offsets.into_iter();
    let mut next = offsets.next();
    let mut finishing = false;
    // Whether the test drains, and whether its gracefulStop is over.
    let (mut drained, mut drain_over) = (false, false);
    let planned_end = ctx.at(graceful_steps
        .iter()
        .chain(raw_steps.iter())
        .map(|s| s.offset)
        .max()
        .unwrap_or_default());
    let drain_end = ctx.hard_end(planned_end);
    tokio::pin!(drain_end);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(ctx.at(next.unwrap_or_default())), if next.is_some() => {
                let at = next.unwrap_or_default();
                next = offsets.next();
                let raw = count_at(raw_steps, at);
                let graceful = count_at(graceful_steps, at).max(raw);
                if at >= *regular_end {
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
}
