//! k6's response objects: their methods (`json`, `html`, `clickLink`,
//! `submitForm`, native functions on one prototype per VU), and the
//! [`Kit`] that makes each response as a [`Held`] object with that
//! prototype.
//!
//! The methods were a JavaScript class whose bytecode every VU loaded:
//! 5.4 KB per VU where the native functions cost ~1 KB.

use rquickjs::function::{Opt, This};
use rquickjs::object::Property;
use rquickjs::{Array, Atom, Class, Ctx, Exception, Function, Object, Symbol, Value};

use super::deferred::{Held, Kit, KEYS};
use super::selector;
use crate::js;

/// What `res.json()` throws for a response without a body.
const NO_BODY: &str = "the body is null so we can't transform it to JSON - this likely was because of a request error getting the response";

/// The global symbol `k6/html`'s module object keeps its part of the
/// response methods under (see `modules::html::response`), and the
/// global (hidden) key it is cached under once read.
const HTML_KEY: &str = "k6r.html.response";

/// The global property the [`Kit`] is kept under (hidden: not
/// enumerable). A string, not a global symbol as k6r's other hidden
/// values: `Symbol.for` cost ~1,500 instructions, on every request.
const KIT_KEY: &str = "__k6r_response_kit";

/// Makes the prototype and the [`Kit`] and keeps the kit under
/// [`KIT_KEY`]: a JavaScript value held by Rust (captured by a closure)
/// is invisible to QuickJS's GC. `module` is `k6/http`'s object, whose
/// `request` the kit keeps for `res.clickLink()` and `res.submitForm()`.
pub(super) fn install<'js>(ctx: &Ctx<'js>, module: &Object<'js>) -> rquickjs::Result<()> {
    let prototype = Object::new(ctx.clone())?;
    let method = |name: &str, function: Function<'js>| {
        prototype.prop(name, Property::from(function).writable().configurable())
    };
    method("json", js::function(ctx, "json", json)?)?;
    method("html", js::function(ctx, "html", html)?)?;
    method("clickLink", js::function(ctx, "clickLink", click_link)?)?;
    method("submitForm", js::function(ctx, "submitForm", submit_form)?)?;
    let kit = Kit {
        prototype,
        keys: KEYS
            .iter()
            .map(|key| Atom::from_str(ctx.clone(), key))
            .collect::<rquickjs::Result<_>>()?,
        request: module.get("request")?,
    };
    ctx.globals()
        .prop(KIT_KEY, Property::from(Class::instance(ctx.clone(), kit)?))
}

/// `res.json(selector?)`: the body, or the part of it a GJSON selector
/// picks (`undefined` when nothing matches), parsed.
fn json<'js>(
    ctx: Ctx<'js>,
    this: This<Value<'js>>,
    selector: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let body: Value = receiver(&ctx, &this.0)?.get("body")?;
    if body.is_null() || body.is_undefined() {
        return Err(js::throw_go_error(&ctx, NO_BODY));
    }
    let selector = match selector.0.filter(|s| !s.is_undefined()) {
        Some(selector) => Some(js::to_string(&selector)?),
        None => None,
    };
    match selector::select(&body, selector.as_deref())? {
        Some(text) => ctx.json_parse(text),
        None => Ok(Value::new_undefined(ctx)),
    }
}

/// `res.html(selector?)`: the body as a `k6/html` selection.
fn html<'js>(
    ctx: Ctx<'js>,
    this: This<Value<'js>>,
    selector: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let response = receiver(&ctx, &this.0)?;
    html_native(&ctx)?.call((response, "html", selector.0))
}

/// `res.clickLink(args?)`: follows a link of the body.
fn click_link<'js>(
    ctx: Ctx<'js>,
    this: This<Value<'js>>,
    args: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    send_from_page(&ctx, &this.0, "clickLink", args.0)
}

/// `res.submitForm(args?)`: submits a form of the body.
fn submit_form<'js>(
    ctx: Ctx<'js>,
    this: This<Value<'js>>,
    args: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    send_from_page(&ctx, &this.0, "submitForm", args.0)
}

/// The request `k6/html` makes of the page for `op`
/// (`[method, url, body, params]`), sent through `http.request`.
fn send_from_page<'js>(
    ctx: &Ctx<'js>,
    this: &Value<'js>,
    op: &str,
    args: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let response = receiver(ctx, this)?;
    let request: Array = html_native(ctx)?.call((response, op, args))?;
    let send = response_kit(ctx)?.borrow().request.clone();
    send.call((
        request.get::<Value>(0)?,
        request.get::<Value>(1)?,
        request.get::<Value>(2)?,
        request.get::<Value>(3)?,
    ))
}

/// The object a method was called on (a `TypeError` without one, as
/// reading a property of `undefined` throws).
fn receiver<'js>(ctx: &Ctx<'js>, this: &Value<'js>) -> rquickjs::Result<Object<'js>> {
    match this.as_object() {
        Some(object) => Ok(object.clone()),
        None => Err(Exception::throw_type(
            ctx,
            "a response method called without its response",
        )),
    }
}

/// `k6/html`'s native for the response methods, cached under a global
/// symbol once `k6/html` is built.
fn html_native<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Function<'js>> {
    let key = Symbol::new_global(ctx.clone(), HTML_KEY)?;
    let globals = ctx.globals();
    if let Some(native) = globals.get::<_, Option<Function>>(key.clone())? {
        return Ok(native);
    }
    let html = crate::modules::build(ctx, "k6/html")?;
    let native: Function = html.get(key.clone())?;
    globals.prop(key, Property::from(native.clone()))?;
    Ok(native)
}

/// The kit [`install`] kept.
pub(super) fn response_kit<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Class<'js, Kit<'js>>> {
    ctx.globals().get(KIT_KEY)
}

/// `response` as k6's response object, each key's value made when first
/// read (see [`Held`]).
pub(super) fn response_value<'js>(
    response: Box<k6r_http::Response>,
    kit: &Class<'js, Kit<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let prototype = kit.borrow().prototype.clone();
    let held = Held::new(kit.clone(), response);
    Ok(Class::instance_proto(held, prototype)?.into_value())
}
