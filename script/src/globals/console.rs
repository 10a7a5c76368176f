//! `console.log/info/warn/error/debug` → log records with
//! `source=console`, formatted as k6 formats them.

use std::rc::Rc;

use rquickjs::function::Rest;
use rquickjs::{Ctx, Object, Value};

use crate::js;
use crate::log::Level;
use crate::state::VuState;

const METHODS: &[(&str, Level)] = &[
    ("log", Level::Info),
    ("info", Level::Info),
    ("warn", Level::Warning),
    ("error", Level::Error),
    ("debug", Level::Debug),
];

pub(super) fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
    let console = Object::new(ctx.clone())?;
    for &(name, level) in METHODS {
        let state = vu.clone();
        let method = move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
            let message = format_args(&ctx, &args.0);
            state.log.log(level, &message, &[("source", "console")]);
        };
        console.set(name, js::function(ctx, name, method)?)?;
    }
    Ok(console)
}

/// The arguments joined by spaces, each formatted as k6 does.
pub(crate) fn format_args<'js>(ctx: &Ctx<'js>, args: &[Value<'js>]) -> String {
    let parts: Vec<String> = args.iter().map(|arg| format_value(ctx, arg)).collect();
    parts.join(" ")
}

/// k6 prints objects (arrays, functions, errors...) as JSON, falling back
/// to `String(value)` when that fails (a cycle); everything else as
/// `String(value)`. A symbol prints its description. Never fails: a
/// `toJSON` or `toString` that throws is swallowed.
fn format_value<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    if value.is_undefined() {
        return "undefined".to_owned();
    }
    if value.is_null() {
        return "null".to_owned();
    }
    if let Some(symbol) = value.as_symbol() {
        return symbol
            .description()
            .ok()
            .and_then(|description| description.as_string()?.to_string().ok())
            .unwrap_or_default();
    }
    if value.is_object() {
        match ctx.json_stringify(value.clone()) {
            Ok(Some(json)) => {
                if let Ok(json) = json.to_string() {
                    return json;
                }
            }
            // What JSON can't represent (a function) is `null` in Go's JSON.
            Ok(None) => return "null".to_owned(),
            Err(_) => {
                let _ = ctx.catch();
            }
        }
    }
    js::to_string(value).unwrap_or_else(|_| {
        let _ = ctx.catch();
        "[object Object]".to_owned()
    })
}
