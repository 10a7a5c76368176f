//! Form serialization: `serialize`, `serializeArray`, `serializeObject`,
//! with k6's rules for which fields count.

use std::collections::BTreeMap;

use ego_tree::NodeId;
use rquickjs::{Array, Ctx, Object, Value};

use super::document::selector;
use super::selection::{self, SelThis, Selection};
use super::values::value;
use crate::js;

const SUBMITTABLE: &str = "input,select,textarea,keygen";

/// The fields of the forms in `from` (or `from`'s own fields) that a
/// submit would send: named, not `disabled="disabled"`, not a button or
/// file, and checkboxes and radios only when `checked="checked"`.
pub(crate) fn fields(from: &Selection) -> Vec<NodeId> {
    let Some(submittable) = selector(SUBMITTABLE) else {
        return Vec::new();
    };
    let Some(form) = selector("form") else {
        return Vec::new();
    };
    let doc = &from.doc;
    let candidates: Vec<NodeId> = if from.nodes.iter().any(|id| doc.matches(*id, &form)) {
        let mut out = Vec::new();
        for id in &from.nodes {
            for found in doc.select(*id, &submittable) {
                if !out.contains(&found) {
                    out.push(found);
                }
            }
        }
        out
    } else {
        from.nodes
            .iter()
            .copied()
            .filter(|id| doc.matches(*id, &submittable))
            .collect()
    };
    candidates
        .into_iter()
        .filter(|id| {
            let attr = |name: &str| doc.attr(*id, name).unwrap_or("");
            let kind = attr("type");
            !attr("name").is_empty()
                && attr("disabled") != "disabled"
                && !matches!(kind, "submit" | "button" | "reset" | "image" | "file")
                && (!matches!(kind, "checkbox" | "radio") || attr("checked") == "checked")
        })
        .collect()
}

/// `(name, value)` of each field, the value as `val()` gives it.
fn pairs<'js>(ctx: &Ctx<'js>, from: &Selection) -> rquickjs::Result<Vec<(String, Value<'js>)>> {
    fields(from)
        .into_iter()
        .map(|id| {
            let name = from.doc.attr(id, "name").unwrap_or("").to_owned();
            Ok((name, value(ctx, &from.doc, id)?))
        })
        .collect()
}

/// The fields as an object, a later field overriding an earlier one.
pub(crate) fn object<'js>(ctx: &Ctx<'js>, from: &Selection) -> rquickjs::Result<Object<'js>> {
    let out = Object::new(ctx.clone())?;
    for (name, value) in pairs(ctx, from)? {
        out.set(name, value)?;
    }
    Ok(out)
}

/// `s` escaped as Go's `url.QueryEscape` does.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `key=value&...` sorted by key, as Go's `url.Values.Encode` writes.
pub(crate) fn encode(values: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::new();
    for (key, list) in values {
        for value in list {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&query_escape(key));
            out.push('=');
            out.push_str(&query_escape(value));
        }
    }
    out
}

/// Every string a field value stands for (one per selected option).
pub(crate) fn strings(value: &Value<'_>) -> rquickjs::Result<Vec<String>> {
    match value.as_array() {
        Some(array) => js::array_items(array)?.iter().map(js::to_string).collect(),
        None => Ok(vec![js::to_string(value)?]),
    }
}

/// Adds the serialization methods to the selection prototype.
pub(super) fn install<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    let serialize_array = |ctx: Ctx<'js>, this: SelThis<'js>| -> rquickjs::Result<Array<'js>> {
        let out = Array::new(ctx.clone())?;
        for (i, (name, value)) in pairs(&ctx, &selection::this(&this))?
            .into_iter()
            .enumerate()
        {
            let entry = Object::new(ctx.clone())?;
            entry.set("name", name)?;
            entry.set("value", value)?;
            out.set(i, entry)?;
        }
        Ok(out)
    };
    proto.set(
        "serializeArray",
        js::function(ctx, "serializeArray", serialize_array)?,
    )?;

    let serialize_object =
        |ctx: Ctx<'js>, this: SelThis<'js>| object(&ctx, &selection::this(&this));
    proto.set(
        "serializeObject",
        js::function(ctx, "serializeObject", serialize_object)?,
    )?;

    let serialize = |ctx: Ctx<'js>, this: SelThis<'js>| -> rquickjs::Result<String> {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs(&ctx, &selection::this(&this))? {
            values.entry(name).or_default().extend(strings(&value)?);
        }
        Ok(encode(&values))
    };
    proto.set("serialize", js::function(ctx, "serialize", serialize)?)
}
