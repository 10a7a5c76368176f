//! `require(specifier)`, k6's CommonJS loader, usable in init code.
//!
//! The specifier resolves as an `import` of the calling module would
//! ([`resolve`]); the module then comes from the same place an `import`
//! gets it: QuickJS's module cache, through the loader hooks, so that
//! `require('k6/http')` is the object `import http from 'k6/http'` gives
//! and a file is evaluated once whichever way it is reached. What it
//! returns is, as in k6: a built-in's default export, a CommonJS module's
//! `module.exports`, an ES module's namespace.
//!
//! `require` is a global that costs nothing until used: an accessor whose
//! getter is the context's built-in factory (which exists anyway), and
//! the first read replaces it with the function ([`define`]).

use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Module, Object, Value};

use super::commonjs;
use super::hooks::LoaderState;
use super::specifier::{resolve, ModuleId};
use crate::js;
use crate::state::VuState;

const OUTSIDE_INIT: &str = "the \"require\" function is only available in the init stage (i.e. the global scope), see https://grafana.com/docs/k6/latest/using-k6/test-lifecycle/ for more information";

/// Makes `require` a global of `ctx` that `getter` (called with no
/// argument) turns into the function on first access.
pub(crate) fn install_lazy<'js>(ctx: &Ctx<'js>, getter: &Function<'js>) -> rquickjs::Result<()> {
    let descriptor = Object::new(ctx.clone())?;
    descriptor.set("get", getter.clone())?;
    descriptor.set("configurable", true)?;
    define_property(ctx, descriptor)
}

/// Replaces the lazy `require` of `ctx` by the function, and returns it.
pub(crate) fn define<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    loader: &Rc<LoaderState>,
) -> rquickjs::Result<Value<'js>> {
    let (state, loader) = (vu.clone(), loader.clone());
    let require = js::function(
        ctx,
        "require",
        move |ctx: Ctx<'js>, specifier: Opt<Value<'js>>| require(&ctx, &state, &loader, specifier),
    )?;
    let descriptor = Object::new(ctx.clone())?;
    descriptor.set("value", require.clone())?;
    descriptor.set("writable", true)?;
    descriptor.set("configurable", true)?;
    define_property(ctx, descriptor)?;
    Ok(require.into_value())
}

fn define_property<'js>(ctx: &Ctx<'js>, descriptor: Object<'js>) -> rquickjs::Result<()> {
    let object: Object = ctx.globals().get("Object")?;
    let define: Function = object.get("defineProperty")?;
    define.call::<_, Value>((ctx.globals(), "require", descriptor))?;
    Ok(())
}

fn require<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    loader: &LoaderState,
    specifier: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.require_init(ctx, OUTSIDE_INIT)?;
    let specifier = match specifier.0 {
        Some(value) => js::to_string(&value)?,
        None => "undefined".to_owned(),
    };
    let base = ctx
        .script_or_module_name(0)
        .and_then(|atom| atom.to_string().ok())
        .unwrap_or_default();
    let id = resolve(&base, &specifier, &vu.entry_dir)
        .map_err(|error| js::throw_go_error(ctx, &error.to_string()))?;
    let name = id.name();
    loader.note_origin(&name, &specifier, &base);
    if let Some(exports) = commonjs::exports(ctx, &name)? {
        return Ok(exports);
    }
    let namespace: Object = Module::import(ctx, name.clone())?.finish()?;
    if let Some(exports) = commonjs::exports(ctx, &name)? {
        return Ok(exports);
    }
    match id {
        ModuleId::Builtin(_) => namespace.get("default"),
        _ => Ok(namespace.into_value()),
    }
}
