//! k6's timer globals (`setTimeout`, `clearTimeout`, `setInterval`,
//! `clearInterval`), fired by the VU's event loop
//! ([`event_loop`](super::event_loop)).
//!
//! As in k6, a call (init code, an iteration, `setup`, `teardown`) ends
//! only when no timer is left. Ids count up per VU across its calls. A
//! callback that throws ends the call with that exception; timers still
//! pending when a call ends (an exception, an interrupt) are dropped with
//! k6's warning.

use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::function::{Opt, Rest};
use rquickjs::{Ctx, Exception, Function, Object, Persistent, Value};

use crate::js;
use crate::log::Level;
use crate::state::VuState;

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

/// When the next timer is due, if one is set.
pub(crate) fn next_due(vu: &VuState) -> Option<Instant> {
    let timers = vu.timers.borrow();
    timers.pending.iter().map(|t| t.due).min()
}

/// Fires the timer due first (the first set among equals), rescheduling
/// an interval; an error is what its callback threw.
pub(crate) fn fire_next(ctx: &Ctx<'_>, vu: &VuState) -> rquickjs::Result<()> {
    let Some(next) = take_next(vu) else {
        return Ok(());
    };
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
    callback.call::<_, ()>((Rest(args),))
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
