//! The members k6 adds to form elements (`<form>`, `<input>`,
//! `<button>`, `<select>`, `<option>`, `<textarea>`), each tag on a prototype of its
//! own that inherits the element prototype, made on first use.

use ego_tree::NodeId;
use rquickjs::function::This;
use rquickjs::object::Property;
use rquickjs::{Class, Ctx, IntoJs, Object, Symbol, Value};

use super::document::{selector, Document};
use super::element::{self, Element};
use super::media;
use super::members;
use crate::js;

/// What a member returns, computed from the element.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// An attribute's value, or a default.
    Text(&'static str, &'static str),
    /// Whether an attribute is present.
    Flag(&'static str),
    /// An attribute as an integer, or a default.
    Number(&'static str, i64),
    /// Computed.
    Computed(for<'js> fn(&Ctx<'js>, &Element) -> rquickjs::Result<Value<'js>>),
}

const FORM_FIELD: &[(&str, Kind)] = &[
    ("name", Kind::Text("name", "")),
    ("disabled", Kind::Flag("disabled")),
    ("autofocus", Kind::Flag("autofocus")),
    ("tabIndex", Kind::Number("tabindex", 0)),
    ("form", Kind::Computed(form)),
    ("labels", Kind::Computed(labels)),
];

const INPUT: &[(&str, Kind)] = &[
    ("list", Kind::Computed(datalist)),
    ("type", Kind::Text("type", "text")),
    ("value", Kind::Text("value", "")),
    ("defaultValue", Kind::Text("value", "")),
    ("checked", Kind::Flag("checked")),
    ("defaultChecked", Kind::Flag("checked")),
    ("maxLength", Kind::Number("maxlength", -1)),
    ("size", Kind::Number("size", 0)),
    ("required", Kind::Flag("required")),
    ("readonly", Kind::Flag("readonly")),
    ("multiple", Kind::Flag("multiple")),
    ("formNoValidate", Kind::Flag("formnovalidate")),
    ("accept", Kind::Text("accept", "")),
    ("alt", Kind::Text("alt", "")),
    ("autocomplete", Kind::Text("autocomplete", "on")),
    ("dirName", Kind::Text("dirname", "")),
    ("height", Kind::Text("height", "")),
    ("width", Kind::Text("width", "")),
    ("max", Kind::Text("max", "")),
    ("min", Kind::Text("min", "")),
    ("step", Kind::Text("step", "")),
    ("pattern", Kind::Text("pattern", "")),
    ("placeholder", Kind::Text("placeholder", "")),
    ("src", Kind::Text("src", "")),
    ("accessKey", Kind::Text("accesskey", "")),
    ("formTarget", Kind::Text("formtarget", "")),
    ("formAction", Kind::Computed(form_action)),
    ("formEnctype", Kind::Computed(form_enctype)),
    ("formMethod", Kind::Computed(form_method)),
];

const BUTTON: &[(&str, Kind)] = &[
    ("type", Kind::Text("type", "submit")),
    ("value", Kind::Text("value", "")),
    ("accessKey", Kind::Text("accesskey", "")),
    ("formNoValidate", Kind::Flag("formnovalidate")),
    ("formTarget", Kind::Text("formtarget", "")),
    ("formAction", Kind::Computed(form_action)),
    ("formEnctype", Kind::Computed(form_enctype)),
    ("formMethod", Kind::Computed(form_method)),
];

const FORM: &[(&str, Kind)] = &[
    ("action", Kind::Text("action", "")),
    ("method", Kind::Computed(method)),
    ("enctype", Kind::Computed(enctype)),
    ("encoding", Kind::Computed(enctype)),
    ("name", Kind::Text("name", "")),
    ("target", Kind::Text("target", "")),
    ("acceptCharset", Kind::Text("accept-charset", "")),
    ("autocomplete", Kind::Text("autocomplete", "on")),
    ("noValidate", Kind::Flag("novalidate")),
    (
        "length",
        Kind::Computed(|ctx, el| (elements(el).len() as u32).into_js(ctx)),
    ),
    (
        "elements",
        Kind::Computed(|ctx, el| list(ctx, el, elements(el))),
    ),
];

/// k6 reads a textarea's value from a `value` attribute, as for inputs.
const TEXTAREA: &[(&str, Kind)] = &[
    ("type", Kind::Computed(|ctx, _| "textarea".into_js(ctx))),
    ("value", Kind::Text("value", "")),
    ("defaultValue", Kind::Text("value", "")),
    (
        "length",
        Kind::Computed(|ctx, el| {
            let value = el.doc.attr(el.id, "value").unwrap_or("");
            (value.chars().count() as u32).into_js(ctx)
        }),
    ),
    ("rows", Kind::Number("rows", 0)),
    ("cols", Kind::Number("cols", 0)),
    ("maxLength", Kind::Number("maxlength", 0)),
    ("placeholder", Kind::Text("placeholder", "")),
    ("readOnly", Kind::Flag("readonly")),
    ("required", Kind::Flag("required")),
    ("wrap", Kind::Text("wrap", "soft")),
    ("accessKey", Kind::Text("accesskey", "")),
    ("autocapitalize", Kind::Text("autocapitalize", "sentences")),
    ("autocomplete", Kind::Text("autocomplete", "on")),
    ("tabIndex", Kind::Number("tabindex", 0)),
    ("form", Kind::Computed(form)),
    ("labels", Kind::Computed(labels)),
];

const OPTION: &[(&str, Kind)] = &[
    ("disabled", Kind::Flag("disabled")),
    ("selected", Kind::Flag("selected")),
    ("defaultSelected", Kind::Flag("selected")),
    ("form", Kind::Computed(form)),
    (
        "text",
        Kind::Computed(|ctx, el| el.doc.text(el.id).into_js(ctx)),
    ),
    (
        "value",
        Kind::Computed(|ctx, el| option_value(el).into_js(ctx)),
    ),
    (
        "label",
        Kind::Computed(|ctx, el| match el.doc.attr(el.id, "label") {
            Some(label) => label.into_js(ctx),
            None => el.doc.text(el.id).into_js(ctx),
        }),
    ),
    (
        "index",
        Kind::Computed(|ctx, el| {
            let select = closest(&el.doc, el.id, "select");
            let index = select
                .map(|s| {
                    options(&el.doc, s)
                        .iter()
                        .position(|o| *o == el.id)
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            (index as u32).into_js(ctx)
        }),
    ),
];

const SELECT: &[(&str, Kind)] = &[
    ("required", Kind::Flag("required")),
    ("multiple", Kind::Flag("multiple")),
    ("size", Kind::Number("size", 1)),
    (
        "type",
        Kind::Computed(|ctx, el| match el.doc.attr(el.id, "multiple") {
            Some(_) => "select-multiple".into_js(ctx),
            None => "select".into_js(ctx),
        }),
    ),
    (
        "length",
        Kind::Computed(|ctx, el| (options(&el.doc, el.id).len() as u32).into_js(ctx)),
    ),
    (
        "options",
        Kind::Computed(|ctx, el| list(ctx, el, options(&el.doc, el.id))),
    ),
    (
        "selectedOptions",
        Kind::Computed(|ctx, el| list(ctx, el, selected(el))),
    ),
    (
        "selectedIndex",
        Kind::Computed(|ctx, el| {
            let all = options(&el.doc, el.id);
            let index = selected(el)
                .first()
                .and_then(|s| all.iter().position(|o| o == s));
            index.map(|i| i as i64).unwrap_or(-1).into_js(ctx)
        }),
    ),
    (
        "value",
        Kind::Computed(|ctx, el| {
            let first = selected(el).first().map(|o| {
                option_value(&Element {
                    doc: el.doc.clone(),
                    id: *o,
                    from: None,
                })
            });
            first.unwrap_or_default().into_js(ctx)
        }),
    ),
];

/// The nearest ancestor of `id` named `tag`.
pub(super) fn closest(doc: &Document, id: NodeId, tag: &str) -> Option<NodeId> {
    let node = doc.node(id)?;
    node.ancestors()
        .find(|a| a.value().as_element().is_some_and(|e| e.name() == tag))
        .map(|a| a.id())
}

pub(super) fn form<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    match closest(&el.doc, el.id, "form") {
        Some(form) => element::into_js(ctx, &el.doc, form),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}

/// The `<label>`s naming the field: `for` its id, or around it.
pub(super) fn labels<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let mut found: Vec<NodeId> = Vec::new();
    if let Some(id) = el.doc.attr(el.id, "id").filter(|id| !id.is_empty()) {
        if let Some(label) = selector("label") {
            found.extend(
                el.doc
                    .select(el.doc.root(), &label)
                    .into_iter()
                    .filter(|l| el.doc.attr(*l, "for") == Some(id)),
            );
        }
    }
    if let Some(around) = closest(&el.doc, el.id, "label") {
        if !found.contains(&around) {
            found.push(around);
        }
    }
    list(ctx, el, found)
}

/// The `<datalist>` an input's `list` attribute names.
fn datalist<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let named = el.doc.attr(el.id, "list").and_then(|id| {
        let lists = selector("datalist")?;
        let all = el.doc.select(el.doc.root(), &lists);
        all.into_iter().find(|d| el.doc.attr(*d, "id") == Some(id))
    });
    match named {
        Some(found) => element::into_js(ctx, &el.doc, found),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}

pub(super) fn list<'js>(
    ctx: &Ctx<'js>,
    el: &Element,
    ids: Vec<NodeId>,
) -> rquickjs::Result<Value<'js>> {
    Ok(element::list(ctx, &el.doc, ids)?.into_value())
}

pub(super) fn elements(el: &Element) -> Vec<NodeId> {
    selector("button,input,select,textarea")
        .map(|s| el.doc.select(el.id, &s))
        .unwrap_or_default()
}

fn options(doc: &Document, select: NodeId) -> Vec<NodeId> {
    selector("option")
        .map(|s| doc.select(select, &s))
        .unwrap_or_default()
}

fn selected(el: &Element) -> Vec<NodeId> {
    options(&el.doc, el.id)
        .into_iter()
        .filter(|o| el.doc.attr(*o, "selected").is_some())
        .collect()
}

pub(super) fn option_value(el: &Element) -> String {
    match el.doc.attr(el.id, "value") {
        Some(value) => value.to_owned(),
        None => el.doc.text(el.id),
    }
}

fn method<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let method = el.doc.attr(el.id, "method").unwrap_or("get").to_lowercase();
    method.into_js(ctx)
}

fn enctype<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let enctype = el.doc.attr(el.id, "enctype");
    enctype
        .unwrap_or("application/x-www-form-urlencoded")
        .into_js(ctx)
}

/// The field's own attribute, else its form's.
fn from_form<'js>(
    ctx: &Ctx<'js>,
    el: &Element,
    own: &str,
    of_form: fn(&Ctx<'js>, &Element) -> rquickjs::Result<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    if let Some(value) = el.doc.attr(el.id, own) {
        return value.into_js(ctx);
    }
    match closest(&el.doc, el.id, "form") {
        Some(form) => of_form(
            ctx,
            &Element {
                doc: el.doc.clone(),
                id: form,
                from: None,
            },
        ),
        None => "".into_js(ctx),
    }
}

fn form_action<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    from_form(ctx, el, "formaction", |ctx, form| {
        form.doc.attr(form.id, "action").unwrap_or("").into_js(ctx)
    })
}

fn form_enctype<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    from_form(ctx, el, "formenctype", enctype)
}

fn form_method<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    from_form(ctx, el, "formmethod", method)
}

/// The members of `tag`, if k6 gives it any.
fn members(tag: &str) -> Option<(&'static [(&'static str, Kind)], bool)> {
    match tag {
        "input" => Some((INPUT, true)),
        "button" => Some((BUTTON, true)),
        "select" => Some((SELECT, true)),
        "form" => Some((FORM, false)),
        "option" => Some((OPTION, false)),
        "textarea" => Some((TEXTAREA, false)),
        tag => media::members(tag).map(|own| (own, false)),
    }
}

/// The prototype of `tag` elements, if they have members of their own.
pub(crate) fn prototype<'js>(ctx: &Ctx<'js>, tag: &str) -> rquickjs::Result<Option<Object<'js>>> {
    let Some((own, field)) = members(tag) else {
        return Ok(None);
    };
    let Some(base) = Class::<Element>::prototype(ctx)? else {
        return Ok(None);
    };
    let key = Symbol::new_global(ctx.clone(), format!("k6r.html.{tag}"))?;
    if let Some(proto) = base.get::<_, Value>(key.clone())?.into_object() {
        return Ok(Some(proto));
    }
    let methods = Object::new(ctx.clone())?;
    let shared: &[(&str, Kind)] = if field { FORM_FIELD } else { &[] };
    for &(name, kind) in shared.iter().chain(own) {
        let method =
            move |ctx: Ctx<'js>, this: This<Class<'js, Element>>| -> rquickjs::Result<Value<'js>> {
                let el = this.0.borrow().clone();
                match kind {
                    Kind::Text(attr, default) => {
                        el.doc.attr(el.id, attr).unwrap_or(default).into_js(&ctx)
                    }
                    Kind::Flag(attr) => el.doc.attr(el.id, attr).is_some().into_js(&ctx),
                    Kind::Number(attr, default) => {
                        let number = el
                            .doc
                            .attr(el.id, attr)
                            .and_then(|v| v.trim().parse::<i64>().ok());
                        number.unwrap_or(default).into_js(&ctx)
                    }
                    Kind::Computed(read) => read(&ctx, &el),
                }
            };
        methods.set(name, js::function(ctx, name, method)?)?;
    }
    let proto = members::sorted(ctx, &[&base, &methods])?;
    proto.set_prototype(Some(&base))?;
    base.prop(key, Property::from(proto.clone()))?;
    Ok(Some(proto))
}
