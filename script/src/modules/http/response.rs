//! k6's response objects: the `Response` class's helper methods
//! (compiled once per VU and given `http.request` for `res.clickLink()`
//! and `res.submitForm()`), and the [`Kit`] that makes each response as
//! a [`Held`] object with the class's prototype.

use rquickjs::object::Property;
use rquickjs::{Atom, Class, Ctx, Function, Object, Symbol, Value};

use super::deferred::{Held, Kit, KEYS};
use crate::compiled::Compiled;

/// k6's response class: its helper methods. Responses are not made by
/// its constructor but as [`Held`] objects with its prototype (see
/// [`response_value`]).
const RESPONSE_SOURCE: &str = r#"(class Response {
    json(selector) {
        if (this.body === null || this.body === undefined) {
            const error = new Error("the body is null so we can't transform it to JSON - this likely was because of a request error getting the response");
            error.name = "GoError";
            throw error;
        }
        const select = globalThis[Symbol.for("k6r.gjson")];
        if (selector === undefined) return JSON.parse(select(this.body));
        const found = select(this.body, String(selector));
        return found === undefined ? undefined : JSON.parse(found);
    }
    html(selector) { return Response.k6rHtml(this, "html", selector); }
    clickLink(args) { return Response.k6rSend(Response.k6rHtml(this, "clickLink", args)); }
    submitForm(args) { return Response.k6rSend(Response.k6rHtml(this, "submitForm", args)); }
    static k6rHtml(response, op, arg) {
        const key = Symbol.for("k6r.html.response");
        let native = globalThis[key];
        if (native === undefined) {
            native = globalThis[Symbol.for("k6r.builtins")]("k6/html")[key];
            Object.defineProperty(globalThis, key, { value: native });
        }
        return native(response, op, arg);
    }
    static k6rSend([method, url, body, params]) {
        return Response[Symbol.for("k6r.request")](method, url, body, params);
    }
})"#;

static RESPONSE_CLASS: Compiled = Compiled::new("k6r:k6/http/response", RESPONSE_SOURCE);

/// The global property the [`Kit`] is kept under (hidden: not
/// enumerable). A string, not a global symbol as k6r's other hidden
/// values: `Symbol.for` cost ~1,500 instructions, on every request.
const KIT_KEY: &str = "__k6r_response_kit";

/// Gives the response class `http.request` (under a hidden key) for
/// `res.clickLink()` and `res.submitForm()`, which send through it.
pub(super) fn link_request<'js>(
    ctx: &Ctx<'js>,
    class: &Function<'js>,
    module: &Object<'js>,
) -> rquickjs::Result<()> {
    let key = Symbol::new_global(ctx.clone(), "k6r.request")?;
    let request: Value = module.get("request")?;
    class.prop(key, Property::from(request))
}

/// Loads the class, makes the [`Kit`] and keeps it under [`KIT_KEY`]: a
/// JavaScript value held by Rust (captured by a closure) is invisible to
/// QuickJS's GC. Returns the class.
pub(super) fn install<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Function<'js>> {
    let class: Function = RESPONSE_CLASS.load(ctx)?;
    let kit = Kit {
        prototype: class.get("prototype")?,
        keys: KEYS
            .iter()
            .map(|key| Atom::from_str(ctx.clone(), key))
            .collect::<rquickjs::Result<_>>()?,
    };
    ctx.globals()
        .prop(KIT_KEY, Property::from(Class::instance(ctx.clone(), kit)?))?;
    Ok(class)
}

/// The kit [`install`] kept.
pub(super) fn response_kit<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Class<'js, Kit<'js>>> {
    ctx.globals().get(KIT_KEY)
}

/// `response` as k6's response object, each key's value made when first
/// read (see [`Held`]).
pub(super) fn response_value<'js>(
    response: k6r_http::Response,
    kit: &Class<'js, Kit<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let prototype = kit.borrow().prototype.clone();
    let held = Held::new(kit.clone(), response);
    Ok(Class::instance_proto(held, prototype)?.into_value())
}
