//! The live settings of a VU-driven scenario ([`Knobs`]: paused, VUs,
//! regular end), set by its changes and read by its VU tasks between
//! iterations; [`take`], how one change of those executors is applied,
//! and [`serve`], the loop that takes them (ramping-vus takes its own, to
//! edit its steps too; the arrival-rate ones apply theirs to their
//! schedule).

use std::sync::Arc;
use std::time::Duration;

use k6r_core::plan::{LiveRamp, ScenarioPlan, Work};
use k6r_core::steer::{part_of, Change, ChangeError};
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

/// The knobs of `plan`'s scenario at its start.
pub(crate) fn knobs_of(plan: &ScenarioPlan) -> Knobs {
    let (vus, end) = match &plan.work {
        Work::ConstantVus { vus, duration } => (Some(*vus), Some(duration.to_std())),
        Work::RampingVus { .. } => (None, LiveRamp::of(plan).map(|r| r.end().to_std())),
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
        take(&ctx, inbox, request, |_, _, _| Ok(()));
    }
}

/// Publishes the scenario's state as its knobs say.
pub(crate) fn publish<F: VuFactory>(ctx: &ScenarioCtx<F>, inbox: &Inbox) {
    inbox.publish(live(&ctx.knobs.borrow()));
}

/// Takes one change of a VU-driven scenario into the knobs, after `edit`
/// (given the change's offset from the scenario start, the change and
/// the knobs it makes; ramping-vus edits its steps) agrees to it. Logs
/// and publishes it, and answers.
pub(crate) fn take<F: VuFactory>(
    ctx: &ScenarioCtx<F>,
    inbox: &Inbox,
    request: Request,
    edit: impl FnOnce(Duration, &Change, &Knobs) -> Result<(), ChangeError>,
) {
    let Request { change, at, reply } = request;
    let at = at
        .unwrap_or_else(Instant::now)
        .saturating_duration_since(ctx.start);
    let before = *ctx.knobs.borrow();
    let answer = next_knobs(ctx, &change).and_then(|after| {
        edit(at, &change, &after)?;
        ctx.knobs.send_replace(after);
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
        Ok(now)
    });
    let _ = reply.send(answer);
}

/// The knobs after `change`, or why not.
fn next_knobs<F: VuFactory>(ctx: &ScenarioCtx<F>, change: &Change) -> Result<Knobs, ChangeError> {
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
