//! The globals of k6's init context: `__ENV`, `__VU`, `global`,
//! `console` (made on first use), `open()`, `require()` (made on first use, see
//! [`crate::loader`]), the timers (`setTimeout` and co.), the event loop
//! that fires them and runs the completions of pending operations
//! (`event_loop`), WebCrypto's `crypto` (`webcrypto/`,
//! built on first access), and the intrinsics a VU may never use,
//! installed on first access (`lazy`: the typed arrays, `Map`/`Set`,
//! `Date`). (`__ITER` is deliberately absent: reading it
//! in init code is a `ReferenceError`, as in k6.)

mod console;
pub(crate) mod event_loop;
pub(crate) mod lazy;
mod open;
pub(crate) mod timers;
mod webcrypto;

use std::rc::Rc;

use rquickjs::{Ctx, Object};

use crate::loader::LoaderState;
use crate::modules;
use crate::state::VuState;

/// Adds k6's globals (and the built-in module factory) to `ctx`.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    loader: &Rc<LoaderState>,
) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    // First: code run by anything below may use them.
    lazy::defer_all(&globals)?;
    // k6's "extended" compatibility mode: `global` is `globalThis`.
    globals.set("global", globals.clone())?;
    globals.set("__VU", vu.id as f64)?;

    set_env(ctx, vu, &[])?;

    let state = Rc::clone(vu);
    lazy::global(&globals, "console", move |ctx| {
        Ok(console::build(ctx, &state)?.into_value())
    })?;
    globals.set("open", open::build(ctx, vu)?)?;
    timers::install(ctx, vu, &globals)?;
    webcrypto::install(&globals)?;
    modules::install(ctx, vu, loader)
}

/// Sets `__ENV` to the VU's environment with `overrides` (a scenario's
/// `env`) on top.
pub(crate) fn set_env(
    ctx: &Ctx<'_>,
    vu: &VuState,
    overrides: &[(String, String)],
) -> rquickjs::Result<()> {
    let env = Object::new(ctx.clone())?;
    for (key, value) in vu.env.0.iter() {
        match &vu.seat {
            // The same values in every VU of a host: one copy.
            Some(seat) => env.set(key.as_str(), seat.shared_string(ctx, value)?)?,
            None => env.set(key.as_str(), value.as_str())?,
        }
    }
    for (key, value) in overrides {
        env.set(key.as_str(), value.as_str())?;
    }
    ctx.globals().set("__ENV", env)
}
