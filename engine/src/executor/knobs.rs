//! The live settings of a VU-driven scenario ([`Knobs`]: paused, VUs,
//! regular end), set by its changes and read by its VU tasks between
//! iterations; and [`serve`], the loop that applies the changes of those
//! executors (the arrival-rate ones apply theirs to their schedule).

use std::sync::Arc;
use std::time::Duration;

use k6r_core::plan::Work;
use k6r_core::steer::{part_of, ChangeError};
use tokio::time::Instant;

use super::steer::{Applied, Inbox, Live, Request};
use super::ScenarioCtx;
use crate::vu::VuFactory;

/// What a VU-driven scenario's tasks follow now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Knobs {
    /// No iteration starts while paused.
    pub paused: bool,
    /// constant-vus: the VUs that run (`None`: as planned).
    pub vus: Option<u64>,
    /// The regular end, from the scenario start (`None`: as planned, or
    /// none).
    pub end: Option<Duration>,
}

/// The knobs of `work` at its start.
pub(crate) fn knobs_of(work: &Work) -> Knobs {
    let (vus, end) = match work {
        Work::ConstantVus { vus, duration } => (Some(*vus), Some(duration.to_std())),
        _ => (None, None),
    };
    Knobs {
        paused: false,
        vus,
        end,
    }
}

/// Applies the changes of a VU-driven scenario to its knobs, one at a
/// time, until dropped (the executor ended).
pub(crate) async fn serve<F: VuFactory>(ctx: Arc<ScenarioCtx<F>>, inbox: &mut Inbox) {
    inbox.publish(live(&ctx.knobs.borrow()));
    loop {
        let Request { change, at, reply } = inbox.due().await;
        let at = at.unwrap_or_else(Instant::now);
        let before = *ctx.knobs.borrow();
        let answer = apply(&ctx, &change).map(|after| {
            inbox.log.push(Applied {
                scenario: ctx.name.to_string(),
                change: change.clone(),
                at: at.saturating_duration_since(ctx.start),
                rate: None,
                vus: before.vus.zip(after.vus),
            });
            let now = live(&after);
            inbox.publish(now.clone());
            now
        });
        let _ = reply.send(answer);
    }
}

fn apply<F: VuFactory>(
    ctx: &ScenarioCtx<F>,
    change: &k6r_core::steer::Change,
) -> Result<Knobs, ChangeError> {
    let mut next = *ctx.knobs.borrow();
    if let Some(end) = next.end {
        let end = k6r_core::Duration::from_nanos(end.as_nanos() as i64);
        next.end = Some(change.new_end(end)?.to_std());
    }
    if let Some(vus) = change.vus {
        // The whole test's VUs; this instance runs its part, split as
        // at start.
        if let Work::ConstantVus { .. } = ctx.plan.work {
            let part = ctx
                .plan
                .iteration_tuple
                .as_ref()
                .map_or(0, |t| part_of(t, vus));
            next.vus = Some(part);
        }
    }
    if let Some(paused) = change.paused {
        next.paused = paused;
    }
    ctx.knobs.send_replace(next);
    Ok(next)
}

fn live(knobs: &Knobs) -> Live {
    Live {
        started: true,
        ended: false,
        paused: knobs.paused,
        vus: knobs.vus,
        rate: None,
        end: knobs.end,
    }
}
