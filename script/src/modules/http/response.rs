//! k6's `Response` class: compiled once per VU, kept under a global
//! symbol, and given `http.request` for `res.clickLink()` and
//! `res.submitForm()`.

use rquickjs::object::Property;
use rquickjs::{Constructor, Ctx, Function, Object, Symbol, Value};

use super::convert;
use crate::compiled::Compiled;

/// k6's response class: the fields in k6's order (set from positional
/// arguments, so no property name is looked up at run time) and the
/// helper methods on its prototype.
const RESPONSE_SOURCE: &str = r#"(class Response {
    constructor(remote_ip, remote_port, url, status, status_text, proto, headers, cookies, body,
                duration, blocked, looking_up, connecting, tls_handshaking, sending, waiting, receiving,
                tls_version, error, error_code, method, request_url, request_headers, request_body,
                request_cookies) {
        this.remote_ip = remote_ip;
        this.remote_port = remote_port;
        this.url = url;
        this.status = status;
        this.status_text = status_text;
        this.proto = proto;
        this.headers = headers;
        this.cookies = cookies;
        this.body = body;
        this.timings = { duration, blocked, looking_up, connecting, tls_handshaking, sending, waiting, receiving };
        this.tls_version = tls_version;
        this.tls_cipher_suite = "";
        this.ocsp = { produced_at: 0, this_update: 0, next_update: 0, revoked_at: 0, revocation_reason: "", status: "" };
        this.error = error;
        this.error_code = error_code;
        this.request = { method, url: request_url, headers: request_headers, body: request_body, cookies: request_cookies };
    }
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

/// The global symbol the class is kept under.
const CLASS_KEY: &str = "k6r.Response";

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

/// Loads the class and keeps it under [`CLASS_KEY`]: a JavaScript value
/// held by Rust (captured by a closure) is invisible to QuickJS's GC.
pub(super) fn install<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Function<'js>> {
    let class: Function = RESPONSE_CLASS.load(ctx)?;
    let key = Symbol::new_global(ctx.clone(), CLASS_KEY)?;
    ctx.globals().prop(key, Property::from(class.clone()))?;
    Ok(class)
}

/// The class [`install`] kept.
pub(super) fn response_class<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Constructor<'js>> {
    let key = Symbol::new_global(ctx.clone(), CLASS_KEY)?;
    ctx.globals().get(key)
}

/// `response` as an object of the class.
pub(super) fn response_value<'js>(
    ctx: &Ctx<'js>,
    response: k6r_http::Response,
    class: &Constructor<'js>,
) -> rquickjs::Result<Value<'js>> {
    convert::response(ctx, response, class)
}
