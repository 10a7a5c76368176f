//! k6's timer globals (`setTimeout`, `clearTimeout`, `setInterval`,
//! `clearInterval`) and the VU's event loop that fires them.
//!
//! As in k6, a call (init code, an iteration, `setup`, `teardown`) ends
//! only when no timer is left: [`run_event_loop`] runs promise jobs and
//! waits for the next due timer through the VU's [`Wait`](crate::Wait),
//! so a VU waiting for a timer blocks nothing else. Ids count up per VU
//! across its calls. A callback that throws ends the call with that
//! exception; timers still pending when a call ends (an exception, an
//! interrupt) are dropped with k6's warning.

use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::function::{Opt, Rest};
use rquickjs::{Ctx, Exception, Function, Object, Persistent, Promise, Value};

use crate::js;
use crate::log::Level;
use crate::state::VuState;
use crate::wait;

/// The timers of a VU's current call.
#[derive(Default)]
pub(crate) struct Timers {
    last_id: u64,
    pending: Vec<Timer>,
}

struct Timer {
    id: u64,
    kind: Kind,
    due: Instant,
    /// The period of an interval.
    every: Option<Duration>,
    callback: Persistent<Function<'static>>,
    args: Vec<Persistent<Value<'static>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Timeout,
    Interval,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Timeout => "setTimeout",
            Kind::Interval => "setInterval",
        }
    }
}

/// Adds the four timer functions to `globals`.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    globals: &Object<'js>,
) -> rquickjs::Result<()> {
    for kind in [Kind::Timeout, Kind::Interval] {
        let state = Rc::clone(vu);
        let set = move |ctx: Ctx<'js>, args: Rest<Value<'js>>| schedule(&ctx, &state, kind, args.0);
        globals.set(kind.name(), js::function(ctx, kind.name(), set)?)?;
    }
    for name in ["clearTimeout", "clearInterval"] {
        let state = Rc::clone(vu);
        let clear = move |id: Opt<Value<'js>>| {
            if let Some(id) = id.0 {
                let id = js::to_number(&id)?;
                state
                    .timers
                    .borrow_mut()
                    .pending
                    .retain(|t| t.id as f64 != id);
            }
            Ok::<_, rquickjs::Error>(())
        };
        globals.set(name, js::function(ctx, name, clear)?)?;
    }
    Ok(())
}

fn schedule<'js>(
    ctx: &Ctx<'js>,
    state: &VuState,
    kind: Kind,
    args: Vec<Value<'js>>,
) -> rquickjs::Result<f64> {
    let mut args = args.into_iter();
    let callback = args
        .next()
        .unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let callback = match callback.as_function() {
        Some(callback) => callback.clone(),
        None if callback.is_undefined() || callback.is_null() => {
            let message = format!("{}'s callback isn't a callable function", kind.name());
            return Err(js::throw_go_error(ctx, &message));
        }
        None => {
            let message = format!(
                "could not convert function call parameter 0: could not convert {} to sobek.Callable",
                js::to_string(&callback)?
            );
            return Err(Exception::throw_type(ctx, &message));
        }
    };
    let delay = match args.next() {
        Some(delay) => js::to_number(&delay)?,
        None => 0.0,
    };
    // NaN, negative and absent delays are 0 ms, as in k6.
    let delay = Duration::from_secs_f64(if delay > 0.0 {
        delay.min(1e12) / 1e3
    } else {
        0.0
    });
    let mut timers = state.timers.borrow_mut();
    timers.last_id += 1;
    let id = timers.last_id;
    timers.pending.push(Timer {
        id,
        kind,
        due: Instant::now() + delay,
        every: (kind == Kind::Interval).then_some(delay),
        callback: Persistent::save(ctx, callback),
        args: args.map(|a| Persistent::save(ctx, a)).collect(),
    });
    Ok(id as f64)
}

/// k6's event loop for one call: runs promise jobs and fires timers until
/// none is left and `promise` (the call's result, if it is one) settled.
/// `Ok(None)`: the call was interrupted, or its promise can never settle.
/// An error is a callback's (or the promise's) exception, pending in `ctx`.
pub(crate) fn run_event_loop<'js>(
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
        let Some(next) = take_next(vu) else {
            return Ok(match (promise, settled) {
                (None, _) => Some(Value::new_undefined(ctx.clone())),
                (Some(_), settled) => settled.transpose()?,
            });
        };
        let due = tokio::time::Instant::from_std(next.due);
        // The timer is made inside the future: only there is tokio's
        // runtime at hand.
        if wait::block(vu, async move { tokio::time::sleep_until(due).await }).is_none() {
            vu.timers.borrow_mut().pending.push(next);
            return Ok(None);
        }
        let callback = next.callback.clone().restore(ctx)?;
        let args = next
            .args
            .iter()
            .map(|a| a.clone().restore(ctx))
            .collect::<rquickjs::Result<Vec<_>>>()?;
        if let Some(every) = next.every {
            let mut next = next;
            next.due = Instant::now() + every;
            vu.timers.borrow_mut().pending.push(next);
        }
        callback.call::<_, ()>((Rest(args),))?;
    }
}

/// Removes the timer due first (the first set among equals).
fn take_next(vu: &VuState) -> Option<Timer> {
    let mut timers = vu.timers.borrow_mut();
    let first = timers
        .pending
        .iter()
        .enumerate()
        .min_by_key(|(_, t)| (t.due, t.id))
        .map(|(i, _)| i)?;
    Some(timers.pending.remove(first))
}

/// Drops the timers a call left, with k6's warning for each.
pub(crate) fn stop_all(vu: &VuState) {
    let left = std::mem::take(&mut vu.timers.borrow_mut().pending);
    for timer in left {
        let message = format!(
            "{} {} was stopped because the VU iteration was interrupted",
            timer.kind.name(),
            timer.id
        );
        vu.log.log(Level::Warning, &message, &[]);
    }
}
