//! `k6`: `sleep`, `check`, `group`, `fail`, `randomSeed`.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k6r_core::metrics::Builtin;
use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Object, Value};

use super::BuiltinModule;
use crate::js;
use crate::state::VuState;
use crate::wait;

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
                // Interrupted: QuickJS's interrupt handler now stops the JS.
                let _ = wait::block(&state, async move { tokio::time::sleep(duration).await });
            }
            Ok(())
        };
        module.set("sleep", js::function(ctx, "sleep", sleep)?)?;

        let state = vu.clone();
        let check = move |ctx: Ctx<'js>,
                          value: Opt<Value<'js>>,
                          sets: Opt<Value<'js>>,
                          tags: Opt<Value<'js>>|
              -> rquickjs::Result<bool> {
            state.forbid_in_init(&ctx, "Using check() in the init context is not supported")?;
            check(&ctx, &state, value.0, sets.0, tags.0)
        };
        module.set("check", js::function(ctx, "check", check)?)?;

        let state = vu.clone();
        let group = move |ctx: Ctx<'js>,
                          name: Opt<Value<'js>>,
                          function: Opt<Value<'js>>|
              -> rquickjs::Result<Value<'js>> {
            state.forbid_in_init(&ctx, "Using group() in the init context is not supported")?;
            group(&ctx, &state, name.0, function.0)
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

/// `check(value, {name: fnOrValue, ...}, tags?)`: one `checks` sample per
/// entry; `true` when all pass. A throwing check records a failure first.
fn check<'js>(
    ctx: &Ctx<'js>,
    state: &VuState,
    value: Option<Value<'js>>,
    sets: Option<Value<'js>>,
    tags: Option<Value<'js>>,
) -> rquickjs::Result<bool> {
    let value = value.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let Some(sets) = sets.and_then(|sets| sets.into_object()) else {
        return Ok(true);
    };
    let mut base = (*state.tags()).clone();
    if let Some(tags) = tags.and_then(|tags| tags.into_object()) {
        for entry in tags.props::<String, Value>() {
            let (key, tag) = entry?;
            base.insert(key.as_str(), js::to_string(&tag)?.as_str());
        }
    }
    let mut all = true;
    for key in sets.keys::<String>() {
        let name = key?;
        if name.contains("::") {
            return Err(js::throw_go_error(
                ctx,
                "group and check names may not contain '::'",
            ));
        }
        let tags = Arc::new(base.clone().with("check", name.as_str()));
        let entry: Value = sets.get(name.as_str())?;
        let passed = match entry.as_function() {
            Some(function) => match function.call::<_, Value>((value.clone(),)) {
                Ok(result) => truthy(&result),
                Err(error) => {
                    state.push_builtin(Builtin::Checks, tags, 0.0);
                    return Err(error);
                }
            },
            None => truthy(&entry),
        };
        state.push_builtin(Builtin::Checks, tags, if passed { 1.0 } else { 0.0 });
        all &= passed;
    }
    Ok(all)
}

/// JavaScript's `Boolean(value)`.
fn truthy(value: &Value<'_>) -> bool {
    if let Some(b) = value.as_bool() {
        return b;
    }
    if let Some(n) = value.as_number() {
        return n != 0.0 && !n.is_nan();
    }
    if let Some(s) = value.as_string() {
        return s.to_string().map(|s| !s.is_empty()).unwrap_or(true);
    }
    !(value.is_undefined() || value.is_null())
}

/// `group(name, fn)`: runs `fn` with the `group` tag `::...::name` and
/// emits `group_duration`, also when `fn` throws.
fn group<'js>(
    ctx: &Ctx<'js>,
    state: &VuState,
    name: Option<Value<'js>>,
    function: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let name = match name {
        Some(name) if !name.is_undefined() => js::to_string(&name)?,
        _ => String::new(),
    };
    if name.contains("::") {
        return Err(js::throw_go_error(
            ctx,
            "group and check names may not contain '::'",
        ));
    }
    let Some(function) = function.and_then(|f| f.into_function()) else {
        return Err(js::throw_go_error(
            ctx,
            "group() requires a callback as a second argument",
        ));
    };
    let outer = {
        let mut call = state.call.borrow_mut();
        let Some(call) = call.as_mut() else {
            return Function::call(&function, ());
        };
        let outer = call.group.clone();
        call.set_group(format!("{outer}::{name}"));
        outer
    };
    let start = Instant::now();
    let result = Function::call(&function, ());
    let elapsed = start.elapsed();
    let tags = state.tags();
    state.push_builtin(Builtin::GroupDuration, tags, elapsed.as_secs_f64() * 1000.0);
    if let Some(call) = state.call.borrow_mut().as_mut() {
        call.set_group(outer);
    }
    result
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
