//! `res.json(selector)`: the part of the body a GJSON path selects (k6
//! uses Go's gjson), through the `gjson` crate, the same syntax's port
//! by its author: `list.#`, `a.b.0`, `#(...)` queries, wildcards,
//! modifiers and multipaths.

use rquickjs::Value;

/// The JSON text `selector` selects in `body` (a string or, for
/// `responseType: 'binary'`, an `ArrayBuffer`), `None` when nothing
/// matches (k6 then returns `undefined`); without a selector, the body
/// as text.
pub(super) fn select(body: &Value<'_>, selector: Option<&str>) -> rquickjs::Result<Option<String>> {
    let body = text_of(body)?;
    let Some(selector) = selector else {
        return Ok(Some(body));
    };
    let found = gjson::get(&body, selector);
    if !found.exists() {
        return Ok(None);
    }
    Ok(Some(match found.kind() {
        // A string is handed over as JSON text, unescaped and re-encoded,
        // so what JSON.parse reads is always valid.
        gjson::Kind::String => quote(found.str()),
        _ => found.json().to_string(),
    }))
}

/// A body as text: a string as is, an `ArrayBuffer`'s bytes as UTF-8.
fn text_of(body: &Value<'_>) -> rquickjs::Result<String> {
    if body.is_string() {
        return crate::js::to_string(body);
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
