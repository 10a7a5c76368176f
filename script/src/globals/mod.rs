//! The globals of k6's init context: `__ENV`, `__VU`, `global`,
//! `console` and `open()`. (`__ITER` is deliberately absent: reading it
//! in init code is a `ReferenceError`, as in k6.)

mod console;
mod open;

use std::rc::Rc;

use rquickjs::{Ctx, Object};

use crate::modules;
use crate::state::VuState;

/// Adds k6's globals (and the built-in module factory) to `ctx`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    // k6's "extended" compatibility mode: `global` is `globalThis`.
    globals.set("global", globals.clone())?;
    globals.set("__VU", vu.id as f64)?;

    let env = Object::new(ctx.clone())?;
    for (key, value) in &vu.env.0 {
        env.set(key.as_str(), value.as_str())?;
    }
    globals.set("__ENV", env)?;

    globals.set("console", console::build(ctx, vu)?)?;
    globals.set("open", open::build(ctx, vu)?)?;
    modules::install(ctx, vu)
}
