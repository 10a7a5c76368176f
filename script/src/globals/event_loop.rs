//! The VU's event loop: what runs after a call's function returned, until
//! the call may end.
//!
//! As in k6, a call (init code, an iteration, `setup`, `teardown`) ends
//! only when nothing it started is left: no timer ([`timers`]) and no
//! pending operation ([`crate::pending`]), and, when the function returned
//! a promise, once that settled. [`run`] drains promise jobs, runs the
//! completions of operations (in the order they completed, each followed
//! by the jobs it queued, as k6 runs its callbacks), and otherwise waits
//! through the VU's [`Wait`](crate::Wait) for the next timer or
//! completion, whichever comes first ([`wait::next_event`]), so a VU
//! waiting blocks nothing else. An exception (from a callback, a
//! completion, or the call's promise) ends the call with it, and so does
//! an interrupt; [`stop_all`] then drops what is left.

use rquickjs::{Ctx, Promise, Value};

use super::timers;
use crate::state::VuState;
use crate::wait::{self, Event};

/// k6's event loop for one call: runs promise jobs, completions and timers
/// until none is left and `promise` (the call's result, if it is one)
/// settled. `Ok(None)`: the call was interrupted, or its promise can
/// never settle. An error is an exception (a callback's, a completion's,
/// the promise's), pending in `ctx`.
pub(crate) fn run<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    promise: Option<&Promise<'js>>,
) -> rquickjs::Result<Option<Value<'js>>> {
    loop {
        loop {
            if vu.interrupt.should_stop() {
                return Ok(None);
            }
            if !ctx.execute_pending_job() {
                break;
            }
        }
        let settled = promise.and_then(|p| p.result::<Value>());
        if let Some(Err(error)) = settled {
            return Err(error);
        }
        // Completed work first: it is already waiting.
        let completed = vu.pending.borrow_mut().next_completed();
        if let Some(completion) = completed {
            completion(ctx, vu)?;
            continue;
        }
        let due = timers::next_due(vu);
        if due.is_none() && vu.pending.borrow().is_idle() {
            return Ok(match promise {
                None => Some(Value::new_undefined(ctx.clone())),
                Some(_) => settled.transpose()?,
            });
        }
        match wait::next_event(vu, due) {
            None => return Ok(None),
            Some(Event::Completed) => {}
            Some(Event::Due) => timers::fire_next(ctx, vu)?,
        }
    }
}

/// Drops what a call left (its event loop ended by an exception or an
/// interrupt): pending operations silently (k6 logs nothing for the
/// requests an interrupt cancels), timers with k6's warning for each.
pub(crate) fn stop_all(vu: &VuState) {
    // Dropped once the borrow is over: dropping frees JavaScript values.
    let left = std::mem::take(&mut *vu.pending.borrow_mut());
    drop(left);
    timers::stop_all(vu);
}
