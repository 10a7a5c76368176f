//! Selection methods that read values: `attr`, `text`, `html`, `val`,
//! `data`, `size`, `index`, `get`, `toArray`, `each`, `map`.

use std::rc::Rc;

use ego_tree::NodeId;
use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Function, IntoJs, Object, Value};

use super::document::Document;
use super::element;
use super::filtering::position;
use super::selection::{self, Arg, SelThis, Selection};
use crate::js;

/// `val()` of node `id`: a string, an array (multiple select) or
/// undefined (not a form element).
pub(crate) fn value<'js>(
    ctx: &Ctx<'js>,
    doc: &Document,
    id: NodeId,
) -> rquickjs::Result<Value<'js>> {
    let undefined = Value::new_undefined(ctx.clone());
    let Some(element) = doc.element(id) else {
        return Ok(undefined);
    };
    let attr = |name: &str| element.value().attr(name);
    let text = |value: &str| rquickjs::String::from_str(ctx.clone(), value).map(|s| s.into_value());
    match element.value().name() {
        "input" => {
            let checkable = matches!(attr("type"), Some("checkbox" | "radio"));
            text(attr("value").unwrap_or(if checkable { "on" } else { "" }))
        }
        "button" => text(attr("value").unwrap_or("")),
        "textarea" => text(&doc.text(id)),
        "option" => text(&option_value(doc, id)),
        "select" => {
            let selected: Vec<String> = element
                .descendent_elements()
                .filter(|o| o.value().name() == "option" && o.value().attr("selected").is_some())
                .map(|o| option_value(doc, o.id()))
                .collect();
            if attr("multiple").is_some() {
                selected.into_js(ctx)
            } else {
                text(selected.first().map(String::as_str).unwrap_or(""))
            }
        }
        _ => Ok(undefined),
    }
}

/// An option's value: its `value` attribute, else its text.
fn option_value(doc: &Document, id: NodeId) -> String {
    match doc.attr(id, "value") {
        Some(value) => value.to_owned(),
        None => doc.text(id),
    }
}

/// `data-some-key` → `someKey`.
fn camel_case(attribute: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in attribute.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `someKey` → `some-key`.
fn kebab_case(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_uppercase() {
            out.push('-');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A `data-*` value as k6 gives it: JSON numbers, booleans, null,
/// objects and arrays parsed, anything else as the string.
fn data_value<'js>(ctx: &Ctx<'js>, raw: &str) -> rquickjs::Result<Value<'js>> {
    let parses = matches!(
        serde_json::from_str::<serde_json::Value>(raw),
        Ok(parsed) if !parsed.is_string()
    );
    if parses {
        return ctx.json_parse(raw);
    }
    Ok(rquickjs::String::from_str(ctx.clone(), raw)?.into_value())
}

fn data<'js>(
    ctx: &Ctx<'js>,
    from: &Selection,
    key: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let undefined = Value::new_undefined(ctx.clone());
    let Some(element) = from.nodes.first().and_then(|id| from.doc.element(*id)) else {
        return Ok(undefined);
    };
    if let Some(key) = key.filter(|k| !k.is_undefined()) {
        let name = format!("data-{}", kebab_case(&js::to_string(&key)?));
        return match element.value().attr(&name) {
            Some(raw) => data_value(ctx, raw),
            None => Ok(undefined),
        };
    }
    let out = Object::new(ctx.clone())?;
    for (name, raw) in element.value().attrs() {
        if let Some(rest) = name.strip_prefix("data-") {
            out.set(camel_case(rest), data_value(ctx, raw)?)?;
        }
    }
    Ok(out.into_value())
}

fn index(from: &Selection, arg: Option<Value<'_>>) -> rquickjs::Result<i64> {
    let Some(&first) = from.nodes.first() else {
        return Ok(-1);
    };
    let doc = &from.doc;
    let found = match arg.filter(|a| !a.is_undefined()) {
        None => {
            let mut count = 0;
            let mut current = first;
            while let Some(prev) = doc.element_sibling(current, false) {
                count += 1;
                current = prev;
            }
            return Ok(count);
        }
        Some(value) => match Arg::read(&value)? {
            Some(Arg::Selection(other)) => other
                .nodes
                .first()
                .and_then(|o| from.nodes.iter().position(|n| n == o)),
            _ => {
                let filter = selection::Filter::new(&js::to_string(&value)?);
                let all = match filter.selector() {
                    Some(selector) => doc.select(doc.root(), selector),
                    None => Vec::new(),
                };
                all.iter().position(|n| *n == first)
            }
        },
    };
    Ok(found.map(|i| i as i64).unwrap_or(-1))
}

/// Adds the value methods to the selection prototype.
pub(super) fn install<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    install_content(ctx, proto)?;
    install_positions(ctx, proto)?;
    install_iteration(ctx, proto)
}

/// `attr`, `text`, `html`, `val` and `data`: what the nodes hold.
fn install_content<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    let attr = |ctx: Ctx<'js>,
                this: SelThis<'js>,
                name: Opt<Value<'js>>,
                default: Opt<Value<'js>>|
     -> rquickjs::Result<Value<'js>> {
        let from = selection::this(&this);
        let name = match name.0 {
            Some(name) => js::to_string(&name)?,
            None => "undefined".to_owned(),
        };
        match from.nodes.first().and_then(|id| from.doc.attr(*id, &name)) {
            Some(value) => Ok(rquickjs::String::from_str(ctx, value)?.into_value()),
            None => Ok(default.0.unwrap_or_else(|| Value::new_undefined(ctx))),
        }
    };
    proto.set("attr", js::function(ctx, "attr", attr)?)?;

    let text = |this: SelThis<'js>| {
        let from = selection::this(&this);
        from.nodes
            .iter()
            .map(|id| from.doc.text(*id))
            .collect::<String>()
    };
    proto.set("text", js::function(ctx, "text", text)?)?;

    let html = |this: SelThis<'js>| {
        let from = selection::this(&this);
        from.nodes
            .first()
            .map(|id| from.doc.inner_html(*id))
            .unwrap_or_default()
    };
    proto.set("html", js::function(ctx, "html", html)?)?;

    let val = |ctx: Ctx<'js>, this: SelThis<'js>| {
        let from = selection::this(&this);
        match from.nodes.first() {
            Some(id) => value(&ctx, &from.doc, *id),
            None => Ok(Value::new_undefined(ctx)),
        }
    };
    proto.set("val", js::function(ctx, "val", val)?)?;

    let data_fn = |ctx: Ctx<'js>, this: SelThis<'js>, key: Opt<Value<'js>>| {
        data(&ctx, &selection::this(&this), key.0)
    };
    proto.set("data", js::function(ctx, "data", data_fn)?)
}

/// `get(at)`: the element at `at` (counted from the end when negative),
/// or every element when `at` is undefined.
fn get<'js>(
    ctx: &Ctx<'js>,
    from: Selection,
    at: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let from = Rc::new(from);
    match at.filter(|v| !v.is_undefined()) {
        None => {
            let out = Array::new(ctx.clone())?;
            for (i, id) in from.nodes.iter().enumerate() {
                out.set(i, element::from_selection(ctx, &from, *id)?)?;
            }
            Ok(out.into_value())
        }
        Some(at) => {
            let number = js::to_number(&at)?;
            let at = if number.is_nan() { 0 } else { number as i64 };
            match position(at, from.nodes.len()) {
                Some(i) => element::from_selection(ctx, &from, from.nodes[i]),
                None => Ok(Value::new_undefined(ctx.clone())),
            }
        }
    }
}

/// `size`, `index`, `get` and `toArray`: the nodes by position.
fn install_positions<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    let size = |this: SelThis<'js>| this.0.borrow().nodes.len() as u32;
    proto.set("size", js::function(ctx, "size", size)?)?;

    let index_fn = |this: SelThis<'js>, arg: Opt<Value<'js>>| index(&selection::this(&this), arg.0);
    proto.set("index", js::function(ctx, "index", index_fn)?)?;

    let get_fn = |ctx: Ctx<'js>, this: SelThis<'js>, at: Opt<Value<'js>>| {
        get(&ctx, selection::this(&this), at.0)
    };
    proto.set("get", js::function(ctx, "get", get_fn)?)?;

    let to_array = |ctx: Ctx<'js>, this: SelThis<'js>| -> rquickjs::Result<Array<'js>> {
        let from = selection::this(&this);
        let out = Array::new(ctx.clone())?;
        for (i, id) in from.nodes.iter().enumerate() {
            out.set(i, selection::into_js(&ctx, from.single(*id))?)?;
        }
        Ok(out)
    };
    proto.set("toArray", js::function(ctx, "toArray", to_array)?)
}

/// The function argument of `method` (`each`, `map`), or k6's error.
fn callback<'js>(
    ctx: &Ctx<'js>,
    method: &str,
    value: Option<Value<'js>>,
) -> rquickjs::Result<Function<'js>> {
    value.and_then(|c| c.into_function()).ok_or_else(|| {
        js::throw_go_error(
            ctx,
            &format!("the argument to {method}() must be a function"),
        )
    })
}

/// `map(callback)`: what `callback(index, selection-of-node)` returns for
/// each node, undefined as null. Like k6, a callback that throws maps to
/// nothing.
fn map<'js>(
    ctx: &Ctx<'js>,
    from: &Selection,
    callback: &Function<'js>,
) -> rquickjs::Result<Array<'js>> {
    let out = Array::new(ctx.clone())?;
    let mut next = 0;
    for (i, id) in from.nodes.iter().enumerate() {
        let single = selection::into_js(ctx, from.single(*id))?;
        match callback.call::<_, Value>((i as u32, single)) {
            Ok(value) => {
                let value = if value.is_undefined() {
                    Value::new_null(ctx.clone())
                } else {
                    value
                };
                out.set(next, value)?;
                next += 1;
            }
            Err(rquickjs::Error::Exception) => drop(ctx.catch()),
            Err(error) => return Err(error),
        }
    }
    Ok(out)
}

/// `each` and `map`: a callback for every node.
fn install_iteration<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    let each = |ctx: Ctx<'js>,
                this: SelThis<'js>,
                callback_arg: Opt<Value<'js>>|
     -> rquickjs::Result<Value<'js>> {
        let from = selection::this(&this);
        let callback = callback(&ctx, "each", callback_arg.0)?;
        let origin = Rc::new(from.clone());
        for (i, id) in from.nodes.iter().enumerate() {
            let element = element::from_selection(&ctx, &origin, *id)?;
            callback.call::<_, Value>((i as u32, element))?;
        }
        Ok(this.0.clone().into_value())
    };
    proto.set("each", js::function(ctx, "each", each)?)?;

    let map_fn = |ctx: Ctx<'js>, this: SelThis<'js>, callback_arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let callback = callback(&ctx, "map", callback_arg.0)?;
        map(&ctx, &from, &callback)
    };
    proto.set("map", js::function(ctx, "map", map_fn)?)
}
