//! `k6/execution`: `vu`, `scenario`, `instance` and `test`. In init code
//! the first three throw k6's messages when read; `test.abort()` stops
//! the test (exit 108).

use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::{glue, BuiltinModule};
use crate::js;
use crate::state::VuState;

/// The `k6/execution` module.
pub(crate) struct Execution;

/// Getters, so that reading `exec.vu` in init code throws as in k6
/// (merely importing the module does not).
const GLUE: &str = r#"(native) => {
    const info = (key) => ({ enumerable: true, get: () => native.info(key) });
    const test = {};
    Object.defineProperty(test, "options", { enumerable: true, get: () => native.options() });
    test.abort = function abort(reason) { return native.abort(reason); };
    test.fail = function fail(reason) { return native.fail(reason); };
    // k6's key order.
    const exec = {};
    Object.defineProperty(exec, "instance", info("instance"));
    Object.defineProperty(exec, "scenario", info("scenario"));
    exec.test = test;
    Object.defineProperty(exec, "vu", info("vu"));
    return exec;
}"#;

impl BuiltinModule for Execution {
    const NAME: &'static str = "k6/execution";
    const EXPORTS: &'static [&'static str] = &["default"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;

        let state = vu.clone();
        let info = move |ctx: Ctx<'js>, key: String| -> rquickjs::Result<Value<'js>> {
            let message = match key.as_str() {
                "vu" => "getting VU information in the init context is not supported",
                "scenario" => {
                    "getting scenario information outside of the VU context is not supported"
                }
                _ => "getting instance information in the init context is not supported",
            };
            state.forbid_in_init(&ctx, message)?;
            Err(state.not_yet(&ctx, &format!("exec.{key}")))
        };
        natives.set("info", js::function(ctx, "info", info)?)?;

        let state = vu.clone();
        let options = move |ctx: Ctx<'js>| -> rquickjs::Result<Value<'js>> {
            state.forbid_in_init(
                &ctx,
                "getting test options in the init context is not supported",
            )?;
            Err(state.not_yet(&ctx, "exec.test.options"))
        };
        natives.set("options", js::function(ctx, "options", options)?)?;

        let state = vu.clone();
        let abort = move |ctx: Ctx<'js>, reason: Opt<Value<'js>>| -> rquickjs::Result<()> {
            let reason = match reason.0 {
                Some(value) if !value.is_undefined() => Some(js::to_string(&value)?),
                _ => None,
            };
            let message = match &reason {
                Some(reason) => format!("test aborted: {reason}"),
                None => "test aborted".to_owned(),
            };
            // The interrupt makes the abort stick even if the script
            // catches the exception thrown here.
            state.interrupt.abort(reason);
            Err(js::throw_go_error(&ctx, &message))
        };
        natives.set("abort", js::function(ctx, "abort", abort)?)?;

        let state = vu.clone();
        let fail = move |ctx: Ctx<'js>, _reason: Opt<Value<'js>>| -> rquickjs::Result<()> {
            state.forbid_in_init(&ctx, "execution.test.fail() called outside of VU context")?;
            Err(state.not_yet(&ctx, "exec.test.fail()"))
        };
        natives.set("fail", js::function(ctx, "fail", fail)?)?;

        glue(ctx, Self::NAME, GLUE, natives)
    }
}
