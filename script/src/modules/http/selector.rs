//! `res.json(selector)`: the part of the body a GJSON path selects (k6
//! uses Go's gjson), through the `gjson` crate, the same syntax's port
//! by its author: `list.#`, `a.b.0`, `#(...)` queries, wildcards,
//! modifiers and multipaths.

use rquickjs::function::Opt;
use rquickjs::object::Property;
use rquickjs::{Ctx, Symbol, Value};

use crate::js;

/// The global (hidden) key of the native the response class calls.
const KEY: &str = "k6r.gjson";

/// Puts the native under `Symbol.for("k6r.gjson")` in `ctx`'s globals.
pub(crate) fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let native = js::function(ctx, "gjson", select)?;
    let key = Symbol::new_global(ctx.clone(), KEY)?;
    ctx.globals().prop(key, Property::from(native))
}

/// The JSON text `selector` selects in `body` (a string or, for
/// `responseType: 'binary'`, an `ArrayBuffer`), `undefined` when nothing
/// matches (as k6 returns); without a selector, the body as text.
fn select<'js>(
    ctx: Ctx<'js>,
    body: Value<'js>,
    selector: Opt<String>,
) -> rquickjs::Result<Value<'js>> {
    let body = text_of(&body)?;
    let Some(selector) = selector.0 else {
        return Ok(rquickjs::String::from_str(ctx, &body)?.into_value());
    };
    let found = gjson::get(&body, &selector);
    if !found.exists() {
        return Ok(Value::new_undefined(ctx));
    }
    let json = match found.kind() {
        // A string is handed over as JSON text, unescaped and re-encoded,
        // so what JSON.parse reads is always valid.
        gjson::Kind::String => quote(found.str()),
        _ => found.json().to_string(),
    };
    Ok(rquickjs::String::from_str(ctx, &json)?.into_value())
}

/// A body as text: a string as is, an `ArrayBuffer`'s bytes as UTF-8.
fn text_of(body: &Value<'_>) -> rquickjs::Result<String> {
    if body.is_string() {
        return js::to_string(body);
    }
    let bytes = super::convert::bytes_of(body)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `text` as a JSON string literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
