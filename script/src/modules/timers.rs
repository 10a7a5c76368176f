//! `k6/timers`: the timer globals as a module (`setTimeout`,
//! `clearTimeout`, `setInterval`, `clearInterval`), the very functions of
//! the global object, as in k6.

use std::rc::Rc;

use rquickjs::{Ctx, Object, Value};

use super::BuiltinModule;
use crate::state::VuState;

/// The `k6/timers` module.
pub(crate) struct Timers;

impl BuiltinModule for Timers {
    const NAME: &'static str = "k6/timers";
    const EXPORTS: &'static [&'static str] = &[
        "default",
        "setTimeout",
        "clearTimeout",
        "setInterval",
        "clearInterval",
    ];

    fn build<'js>(ctx: &Ctx<'js>, _vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        let globals = ctx.globals();
        for name in Self::EXPORTS.iter().filter(|name| **name != "default") {
            module.set(*name, globals.get::<_, Value>(*name)?)?;
        }
        Ok(module)
    }
}
