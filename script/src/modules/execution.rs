//! `k6/execution`: `vu`, `scenario`, `instance` and `test`. In init code
//! the first three throw k6's messages when read; `test.abort()` stops
//! the test (exit 108).

use std::rc::Rc;
use std::time::UNIX_EPOCH;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use crate::call::CallKind;

use super::{glue, BuiltinModule};
use crate::compiled::Compiled;
use crate::js;
use crate::state::VuState;

/// The `k6/execution` module.
pub(crate) struct Execution;

/// Getters, so that reading `exec.vu` in init code throws as in k6
/// (merely importing the module does not). `exec.vu.tags` and
/// `exec.vu.metrics.metadata` are proxies that write through to the VU.
/// The named exports (`import { vu } from 'k6/execution'`) are live views:
/// each member reads the VU's state when it is read, as k6's do.
const GLUE_SOURCE: &str = r#"(native) => {
    const check = (what, key, value) => {
        const kind = typeof value;
        if (kind !== "string" && kind !== "number" && kind !== "boolean") {
            throw new TypeError(what === "tag"
                ? `invalid value for metric tag '${key}': only String, Boolean and Number types are accepted as a metric tag values`
                : `invalid value for metric metadata '${key}': only String, Boolean and Number types are accepted as a metric metadata value`);
        }
        return String(value);
    };
    const writeThrough = (what, target) => new Proxy(target, {
        set(target, key, value) {
            if (typeof key === "symbol") return false;
            const text = check(what, key, value);
            native.set(what, key, text);
            target[key] = text;
            return true;
        },
        deleteProperty(target, key) {
            if (typeof key !== "symbol") native.remove(what, key);
            delete target[key];
            return true;
        },
    });
    const read = (key) => {
        const value = native.info(key);
        if (key === "vu") {
            value.tags = writeThrough("tag", value.tags);
            value.metrics = { tags: value.tags, metadata: writeThrough("metadata", value.metrics.metadata) };
        }
        return value;
    };
    const info = (key) => ({ enumerable: true, get: () => read(key) });
    const test = {};
    Object.defineProperty(test, "options", { enumerable: true, get: () => native.options() });
    test.abort = function abort(reason) { return native.abort(reason, new Error().stack); };
    test.fail = function fail(reason) { return native.fail(reason); };
    // k6's key order.
    const exec = {};
    Object.defineProperty(exec, "instance", info("instance"));
    Object.defineProperty(exec, "scenario", info("scenario"));
    exec.test = test;
    Object.defineProperty(exec, "vu", info("vu"));
    const view = (key, members) => {
        const live = {};
        for (const member of members) {
            Object.defineProperty(live, member, { enumerable: true, get: () => read(key)[member] });
        }
        return live;
    };
    const named = {
        instance: view("instance", ["currentTestRunDuration", "iterationsCompleted", "iterationsInterrupted", "vusActive", "vusInitialized"]),
        scenario: view("scenario", ["name", "executor", "startTime", "progress", "iterationInInstance", "iterationInTest"]),
        test,
        vu: view("vu", ["idInInstance", "idInTest", "iterationInInstance", "iterationInScenario", "tags", "metrics"]),
    };
    Object.defineProperty(exec, Symbol.for("k6r.named"), { value: named });
    return exec;
}"#;

static GLUE: Compiled = Compiled::new("k6r:k6/execution", GLUE_SOURCE);

impl BuiltinModule for Execution {
    const NAME: &'static str = "k6/execution";
    const EXPORTS: &'static [&'static str] = &["default", "instance", "scenario", "test", "vu"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;

        let state = vu.clone();
        let info = move |ctx: Ctx<'js>, key: String| read_info(&ctx, &state, &key);
        natives.set("info", js::function(ctx, "info", info)?)?;

        let state = vu.clone();
        let options = move |ctx: Ctx<'js>| test_options(&ctx, &state);
        natives.set("options", js::function(ctx, "options", options)?)?;

        let state = vu.clone();
        let abort = move |ctx: Ctx<'js>, reason: Opt<Value<'js>>, stack: Opt<String>| {
            abort_test(&ctx, &state, reason.0, stack.0)
        };
        natives.set("abort", js::function(ctx, "abort", abort)?)?;

        let state = vu.clone();
        let fail = move |ctx: Ctx<'js>, reason: Opt<Value<'js>>| fail_test(&ctx, &state, reason.0);
        natives.set("fail", js::function(ctx, "fail", fail)?)?;

        let state = vu.clone();
        let set = move |what: String, key: String, value: String| {
            match what.as_str() {
                "tag" => set_tag(&state, key, Some(value)),
                _ => state.metadata.borrow_mut().insert(key, value),
            };
        };
        natives.set("set", js::function(ctx, "set", set)?)?;

        let state = vu.clone();
        let remove = move |what: String, key: String| {
            match what.as_str() {
                "tag" => set_tag(&state, key, None),
                _ => {
                    state.metadata.borrow_mut().remove(&key);
                }
            };
        };
        natives.set("remove", js::function(ctx, "remove", remove)?)?;

        glue(ctx, &GLUE, natives)
    }
}

/// `native.info(key)`: `exec.vu`, `exec.scenario` or `exec.instance`,
/// throwing k6's message for `key` in init code.
fn read_info<'js>(ctx: &Ctx<'js>, state: &VuState, key: &str) -> rquickjs::Result<Value<'js>> {
    let message = match key {
        "vu" => "getting VU information in the init context is not supported",
        "scenario" => "getting scenario information outside of the VU context is not supported",
        _ => "getting instance information in the init context is not supported",
    };
    state.forbid_in_init(ctx, message)?;
    info_object(ctx, state, key, message)
}

/// `exec.test.options`: the test's options as k6 shows them.
fn test_options<'js>(ctx: &Ctx<'js>, state: &VuState) -> rquickjs::Result<Value<'js>> {
    state.forbid_in_init(
        ctx,
        "getting test options in the init context is not supported",
    )?;
    let json = serde_json::to_string(&*state.config.options)
        .map_err(|e| js::throw_go_error(ctx, &e.to_string()))?;
    ctx.json_parse(json)
}

/// `exec.test.abort(reason)`, with the `stack` of the call: stops the
/// test and throws.
fn abort_test<'js>(
    ctx: &Ctx<'js>,
    state: &VuState,
    reason: Option<Value<'js>>,
    stack: Option<String>,
) -> rquickjs::Result<()> {
    let reason = match reason {
        Some(value) if !value.is_undefined() => Some(js::to_string(&value)?),
        _ => None,
    };
    // As k6 does, the reason names where the script called abort
    // (the frame after the module's own wrapper).
    let caller = stack
        .map(|stack| crate::exception::frames(&stack))
        .and_then(|frames| frames.into_iter().nth(1));
    let reason = match (reason, caller) {
        (Some(reason), Some(at)) => Some(format!("{reason} at {at}")),
        (reason, _) => reason,
    };
    let message = match &reason {
        Some(reason) => format!("test aborted: {reason}"),
        None => "test aborted".to_owned(),
    };
    // The interrupt makes the abort stick even if the script
    // catches the exception thrown here.
    state.interrupt.abort(reason);
    Err(js::throw_go_error(ctx, &message))
}

/// `exec.test.fail(reason)`: logs the reason and marks the test failed.
fn fail_test<'js>(
    ctx: &Ctx<'js>,
    state: &VuState,
    reason: Option<Value<'js>>,
) -> rquickjs::Result<()> {
    state.forbid_in_init(ctx, "execution.test.fail() called outside of VU context")?;
    let reason = match reason {
        Some(value) if !value.is_undefined() => js::to_string(&value)?,
        _ => String::new(),
    };
    let message = if reason.is_empty() {
        "test marked as failed".to_owned()
    } else {
        format!("test marked as failed: {reason}")
    };
    state.log.log(crate::log::Level::Error, &message, &[]);
    state
        .config
        .failed
        .store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Sets (`Some`) or deletes (`None`) the VU's tag `key` from now on, in
/// the running call too.
fn set_tag(state: &VuState, key: String, value: Option<String>) {
    let mut overrides = state.tag_overrides.borrow_mut();
    overrides.insert(key.into(), value.map(Into::into));
    if let Some(call) = state.call.borrow_mut().as_mut() {
        let group = call.group.clone();
        call.apply_overrides(&overrides, group);
    }
}

/// `exec.vu`, `exec.scenario` or `exec.instance` now.
fn info_object<'js>(
    ctx: &Ctx<'js>,
    state: &VuState,
    key: &str,
    outside: &str,
) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    let call = state.call.borrow();
    let iteration = match call.as_ref().map(|call| &call.kind) {
        Some(CallKind::Iteration(info)) => Some(info.clone()),
        _ => None,
    };
    match key {
        "vu" => {
            object.set("idInInstance", state.id as f64)?;
            let tags = Object::new(ctx.clone())?;
            if let Some(call) = call.as_ref() {
                for (k, v) in call.tags.iter() {
                    tags.set(k, v)?;
                }
            }
            match &iteration {
                Some(info) => {
                    object.set("idInTest", info.vu_id_in_test as f64)?;
                    object.set("iterationInInstance", info.vu_iteration_in_instance as f64)?;
                    object.set("iterationInScenario", info.vu_iteration_in_scenario as f64)?;
                }
                None => {
                    object.set("idInTest", state.id as f64)?;
                    object.set("iterationInInstance", 0.0)?;
                    object.set("iterationInScenario", 0.0)?;
                }
            }
            let metrics = Object::new(ctx.clone())?;
            metrics.set("tags", tags.clone())?;
            let metadata = Object::new(ctx.clone())?;
            for (k, v) in state.metadata.borrow().iter() {
                metadata.set(k, v)?;
            }
            metrics.set("metadata", metadata)?;
            object.set("tags", tags)?;
            object.set("metrics", metrics)?;
        }
        "scenario" => {
            let Some(info) = iteration else {
                return Err(js::throw_go_error(ctx, outside));
            };
            let scenario = &info.scenario;
            object.set("name", &*scenario.name)?;
            object.set("executor", scenario.executor.as_str())?;
            let start = scenario
                .started
                .get()
                .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                .map(|since| since.as_millis() as f64)
                .unwrap_or_default();
            object.set("startTime", start)?;
            object.set("progress", scenario.current_progress())?;
            object.set("iterationInInstance", info.iteration_in_instance as f64)?;
            object.set("iterationInTest", info.iteration_in_test as f64)?;
        }
        _ => {
            let now = state
                .config
                .instance
                .as_ref()
                .map(|instance| instance.snapshot())
                .unwrap_or_default();
            object.set("iterationsCompleted", now.iterations_completed as f64)?;
            object.set("iterationsInterrupted", now.iterations_interrupted as f64)?;
            object.set("vusActive", now.vus_active as f64)?;
            object.set("vusInitialized", now.vus_initialized as f64)?;
            object.set(
                "currentTestRunDuration",
                now.current_test_run_duration.as_secs_f64() * 1000.0,
            )?;
        }
    }
    Ok(object.into_value())
}
