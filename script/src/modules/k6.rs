//! `k6`: `sleep`, `check`, `group`, `fail`, `randomSeed`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use rquickjs::function::{Opt, Rest};
use rquickjs::{Ctx, Object, Value};

use super::BuiltinModule;
use crate::js;
use crate::state::VuState;

/// The `k6` module.
pub(crate) struct K6;

impl BuiltinModule for K6 {
    const NAME: &'static str = "k6";
    const EXPORTS: &'static [&'static str] =
        &["default", "sleep", "check", "group", "fail", "randomSeed"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;

        let state = vu.clone();
        let sleep = move |seconds: Opt<Value<'js>>| -> rquickjs::Result<()> {
            let seconds = match seconds.0 {
                Some(value) => js::to_number(&value)?,
                None => 0.0,
            };
            // NaN, negative and absurd durations don't sleep (k6 ignores them too).
            if let Ok(duration) = Duration::try_from_secs_f64(seconds) {
                state.interrupt.sleep(duration);
            }
            Ok(())
        };
        module.set("sleep", js::function(ctx, "sleep", sleep)?)?;

        let state = vu.clone();
        let check = move |ctx: Ctx<'js>, _args: Rest<Value<'js>>| -> rquickjs::Result<bool> {
            state.forbid_in_init(&ctx, "Using check() in the init context is not supported")?;
            Err(state.not_yet(&ctx, "check()"))
        };
        module.set("check", js::function(ctx, "check", check)?)?;

        let state = vu.clone();
        let group = move |ctx: Ctx<'js>, _args: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
            state.forbid_in_init(&ctx, "Using group() in the init context is not supported")?;
            Err(state.not_yet(&ctx, "group()"))
        };
        module.set("group", js::function(ctx, "group", group)?)?;

        let fail = |ctx: Ctx<'js>, message: Opt<Value<'js>>| -> rquickjs::Result<()> {
            let message = match message.0 {
                Some(value) if !value.is_undefined() => js::to_string(&value)?,
                _ => String::new(),
            };
            Err(js::throw_go_error(&ctx, &message))
        };
        module.set("fail", js::function(ctx, "fail", fail)?)?;

        let random_seed = |ctx: Ctx<'js>, seed: Opt<Value<'js>>| -> rquickjs::Result<()> {
            let seed = match seed.0 {
                Some(value) => js::to_number(&value)?,
                None => 0.0,
            };
            seed_math_random(&ctx, seed as i64 as u64)
        };
        module.set("randomSeed", js::function(ctx, "randomSeed", random_seed)?)?;

        Ok(module)
    }
}

/// Replaces `Math.random` with a generator seeded by `seed` (splitmix64),
/// so a script that calls `randomSeed(n)` gets the same sequence each run.
fn seed_math_random(ctx: &Ctx<'_>, seed: u64) -> rquickjs::Result<()> {
    let state = Cell::new(seed);
    let random = move || -> f64 {
        let next = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        state.set(next);
        let mut z = next;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 53 bits, as a float in [0, 1).
        (z >> 11) as f64 / (1u64 << 53) as f64
    };
    let math: Object = ctx.globals().get("Math")?;
    math.set("random", js::function(ctx, "random", random)?)
}
