//! The live settings of a VU-driven scenario ([`Knobs`]: paused, VUs,
//! regular end), set by its changes and read by its VU tasks between
//! iterations; [`take`], how one change of those executors is applied,
//! and [`serve`], the loop that takes them (ramping-vus takes its own, to
//! edit its steps too; the arrival-rate ones apply theirs to their
//! schedule).

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
    publish(&ctx, inbox);
    loop {
        let request = inbox.due().await;
        take(&ctx, inbox, request, |_, _| {});
    }
}

/// Publishes the scenario's state as its knobs say.
pub(crate) fn publish<F: VuFactory>(ctx: &ScenarioCtx<F>, inbox: &Inbox) {
    inbox.publish(live(&ctx.knobs.borrow()));
}

/// Takes one change of a VU-driven scenario: its `factor` through
/// `scale` (with the change's offset from the scenario start; ramping-vus
/// edits its steps), the rest into the knobs. Logs and publishes it, and
/// answers.
pub(crate) fn take<F: VuFactory>(
    ctx: &ScenarioCtx<F>,
    inbox: &Inbox,
    request: Request,
    scale: impl FnOnce(Duration, f64),
) {
    let Request { change, at, reply } = request;
    let at = at
        .unwrap_or_else(Instant::now)
        .saturating_duration_since(ctx.start);
    let before = *ctx.knobs.borrow();
    let answer = apply(ctx, &change).map(|after| {
        if let Some(factor) = change.factor {
            scale(at, factor);
        }
        let applied = Applied {
            scenario: ctx.name.to_string(),
            change: change.clone(),
            at,
            rate: None,
            vus: before.vus.zip(after.vus),
        };
        ctx.record(&inbox.log, applied);
        let now = live(&after);
        inbox.publish(now.clone());
        now
    });
    let _ = reply.send(answer);
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
