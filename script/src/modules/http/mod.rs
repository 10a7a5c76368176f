//! `k6/http`: requests through the VU's [`k6r_http::Client`], waiting via
//! the VU's [`Wait`](crate::Wait); in init code they throw k6's messages.
//! `http.asyncRequest()` starts its request as a pending operation of the
//! VU ([`crate::pending`]) and returns its promise at once, so a VU's
//! async requests overlap (with each other and with what it waits in).
//!
//! - `convert`: JavaScript arguments → requests, responses → objects.
//! - `form`: object bodies: url-encoded fields or, with an `http.file()`,
//!   multipart parts.
//! - `jar`: `http.cookieJar()` and the `CookieJar` class.
//! - `selector`: GJSON selectors of `res.json(selector)`.
//! - `samples`: the metric samples of a request.

mod convert;
mod form;
mod jar;
mod samples;
mod selector;

use std::future::Future;
use std::rc::Rc;
use std::sync::{Arc, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use k6r_core::metrics::Tags;
use k6r_http::{CookieJar, ExpectedStatuses, Outcome, Request};
use rquickjs::function::{Opt, Rest};
use rquickjs::object::Property;
use rquickjs::{Array, Constructor, Ctx, Function, Object, Symbol, Value};

use super::BuiltinModule;
use crate::compiled::Compiled;
use crate::js;
use crate::pending;
use crate::state::VuState;
use crate::wait;

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

/// The `k6/http` module.
pub(crate) struct Http;

/// A range of statuses a response callback treats as expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StatusRange {
    pub min: i64,
    pub max: i64,
}

/// Per-VU `k6/http` state.
#[derive(Debug)]
pub(crate) struct State {
    /// Set by `setResponseCallback`: `None` means no callback (every
    /// response counts as expected).
    pub response_callback: Option<Vec<StatusRange>>,
    /// The jars made by `new http.CookieJar()`, weakly (see `jar`).
    pub jars: Vec<Weak<CookieJar>>,
}

impl Default for State {
    /// k6's default: `expectedStatuses({min: 200, max: 399})`.
    fn default() -> Self {
        Self {
            response_callback: Some(vec![StatusRange { min: 200, max: 399 }]),
            jars: Vec::new(),
        }
    }
}

/// Request functions, by export name, with the method they imply
/// (`request` takes it as its first argument; so does `asyncRequest`,
/// made apart).
const REQUESTS: &[(&str, Option<&str>)] = &[
    ("request", None),
    ("get", Some("GET")),
    ("head", Some("HEAD")),
    ("post", Some("POST")),
    ("put", Some("PUT")),
    ("patch", Some("PATCH")),
    ("del", Some("DELETE")),
    ("options", Some("OPTIONS")),
];

const CONSTANTS: &[(&str, &str)] = &[
    ("TLS_1_0", "tls1.0"),
    ("TLS_1_1", "tls1.1"),
    ("TLS_1_2", "tls1.2"),
    ("TLS_1_3", "tls1.3"),
    ("OCSP_STATUS_GOOD", "good"),
    ("OCSP_STATUS_REVOKED", "revoked"),
    ("OCSP_STATUS_SERVER_FAILED", "server_failed"),
    ("OCSP_STATUS_UNKNOWN", "unknown"),
    ("OCSP_REASON_UNSPECIFIED", "unspecified"),
    ("OCSP_REASON_KEY_COMPROMISE", "key_compromise"),
    ("OCSP_REASON_CA_COMPROMISE", "ca_compromise"),
    ("OCSP_REASON_AFFILIATION_CHANGED", "affiliation_changed"),
    ("OCSP_REASON_SUPERSEDED", "superseded"),
    (
        "OCSP_REASON_CESSATION_OF_OPERATION",
        "cessation_of_operation",
    ),
    ("OCSP_REASON_CERTIFICATE_HOLD", "certificate_hold"),
    ("OCSP_REASON_REMOVE_FROM_CRL", "remove_from_crl"),
    ("OCSP_REASON_PRIVILEGE_WITHDRAWN", "privilege_withdrawn"),
    ("OCSP_REASON_AA_COMPROMISE", "aa_compromise"),
];

impl BuiltinModule for Http {
    const NAME: &'static str = "k6/http";
    const EXPORTS: &'static [&'static str] = &[
        "default",
        "CookieJar",
        "request",
        "asyncRequest",
        "get",
        "head",
        "post",
        "put",
        "patch",
        "del",
        "options",
        "batch",
        "cookieJar",
        "expectedStatuses",
        "setResponseCallback",
        "file",
        "url",
        "TLS_1_0",
        "TLS_1_1",
        "TLS_1_2",
        "TLS_1_3",
        "OCSP_STATUS_GOOD",
        "OCSP_STATUS_REVOKED",
        "OCSP_STATUS_SERVER_FAILED",
        "OCSP_STATUS_UNKNOWN",
        "OCSP_REASON_UNSPECIFIED",
        "OCSP_REASON_KEY_COMPROMISE",
        "OCSP_REASON_CA_COMPROMISE",
        "OCSP_REASON_AFFILIATION_CHANGED",
        "OCSP_REASON_SUPERSEDED",
        "OCSP_REASON_CESSATION_OF_OPERATION",
        "OCSP_REASON_CERTIFICATE_HOLD",
        "OCSP_REASON_REMOVE_FROM_CRL",
        "OCSP_REASON_PRIVILEGE_WITHDRAWN",
        "OCSP_REASON_AA_COMPROMISE",
    ];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        // Kept under a global symbol, not captured by the closures: a
        // JavaScript value held by Rust is invisible to QuickJS's GC.
        let class: Function = RESPONSE_CLASS.load(ctx)?;
        let key = Symbol::new_global(ctx.clone(), CLASS_KEY)?;
        ctx.globals().prop(key, Property::from(class.clone()))?;
        selector::install(ctx)?;

        for &(name, method) in REQUESTS {
            let state = vu.clone();
            let request =
                move |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                    let class = response_class(&ctx)?;
                    send(&ctx, &state, method, args, &class)
                };
            module.set(name, js::function(ctx, name, request)?)?;
        }
        link_request(ctx, &class, &module)?;

        let state = vu.clone();
        let async_request =
            move |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                async_request(&ctx, &state, args)
            };
        module.set(
            "asyncRequest",
            js::function(ctx, "asyncRequest", async_request)?,
        )?;

        let state = vu.clone();
        let batch =
            move |ctx: Ctx<'js>, requests: Opt<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                state.forbid_in_init(&ctx, "Using batch in the init context is not supported")?;
                let class = response_class(&ctx)?;
                batch(&ctx, &state, requests.0, &class)
            };
        module.set("batch", js::function(ctx, "batch", batch)?)?;

        let state = vu.clone();
        let cookie_jar = move |ctx: Ctx<'js>| -> rquickjs::Result<Value<'js>> {
            state.forbid_in_init(
                &ctx,
                "Making cookie jars in the init context is not supported",
            )?;
            jar::vu_jar(&ctx, &state)
        };
        module.set("cookieJar", js::function(ctx, "cookieJar", cookie_jar)?)?;
        module.set("CookieJar", jar::class(ctx, vu)?)?;

        module.set(
            "expectedStatuses",
            js::function(ctx, "expectedStatuses", expected_statuses)?,
        )?;

        let state = vu.clone();
        let set_response_callback = move |ctx: Ctx<'js>, callback: Opt<Value<'js>>| {
            let ranges = match callback.0 {
                None => None,
                Some(value) if value.is_null() || value.is_undefined() => None,
                Some(value) => Some(read_statuses(&ctx, &value)?.ok_or_else(|| {
                    js::throw_go_error(&ctx, "unsupported argument, expected http.expectedStatuses")
                })?),
            };
            state.http.borrow_mut().response_callback = ranges;
            Ok::<_, rquickjs::Error>(())
        };
        module.set(
            "setResponseCallback",
            js::function(ctx, "setResponseCallback", set_response_callback)?,
        )?;

        module.set("file", js::function(ctx, "file", file)?)?;
        module.set("url", js::function(ctx, "url", url)?)?;

        for &(name, value) in CONSTANTS {
            module.set(name, value)?;
        }
        Ok(module)
    }
}

const CLASS_KEY: &str = "k6r.Response";

/// Gives the response class `http.request` (under a hidden key) for
/// `res.clickLink()` and `res.submitForm()`, which send through it.
fn link_request<'js>(
    ctx: &Ctx<'js>,
    class: &Function<'js>,
    module: &Object<'js>,
) -> rquickjs::Result<()> {
    let key = Symbol::new_global(ctx.clone(), "k6r.request")?;
    let request: Value = module.get("request")?;
    class.prop(key, Property::from(request))
}

const IN_INIT: &str = "Making http requests in the init context is not supported";

fn response_class<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Constructor<'js>> {
    let key = Symbol::new_global(ctx.clone(), CLASS_KEY)?;
    ctx.globals().get(key)
}

/// Every synchronous request function ends here.
fn send<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    method: Option<&str>,
    args: Rest<Value<'js>>,
    class: &Constructor<'js>,
) -> rquickjs::Result<Value<'js>> {
    let (method, request) = prepare(ctx, vu, method, args)?;
    let tags = vu.tags();
    let outcome = wait::block(vu, exchange(vu, request)).unwrap_or(Outcome::Cancelled);
    respond(ctx, vu, &tags, SystemTime::now(), &method, outcome, class)
}

/// `http.asyncRequest(method, url, body, params)`: a promise of the
/// response, settled on the VU's thread once the request (a pending
/// operation of the VU) is done: resolved with the response, or rejected
/// with what the request function would have thrown (as in k6, an error
/// never throws synchronously, except in init code). The samples are
/// taken when the request ends, with the tags of when it was made.
fn async_request<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    // Thrown, not rejected, in init code (as k6 does).
    vu.forbid_in_init(ctx, IN_INIT)?;
    let (method, request) = match prepare(ctx, vu, None, args) {
        Ok(prepared) => prepared,
        // An interrupt unwinds the VU instead.
        Err(rquickjs::Error::Exception) if vu.interrupt.stopped().is_none() => {
            let (promise, _, reject) = ctx.promise()?;
            reject.call::<_, ()>((ctx.catch(),))?;
            return Ok(promise.into_value());
        }
        Err(error) => return Err(error),
    };
    let tags = vu.tags();
    let work = exchange(vu, request);
    let finished = async move { (work.await, SystemTime::now()) };
    let promise = pending::promise(ctx, vu, finished, move |ctx, vu, (outcome, time)| {
        let class = response_class(ctx)?;
        respond(ctx, vu, &tags, time, &method, outcome, &class)
    })?;
    Ok(promise.into_value())
}

/// The future of `request`'s exchange through the VU's client, cancelled
/// when the call is interrupted first.
fn exchange(vu: &VuState, request: Request) -> impl Future<Output = Outcome> + 'static {
    let client = prepared_client(vu);
    let token = vu.interrupt.token().unwrap_or_default();
    // The request's future is made (and boxed) only once the worker polls
    // it: made here it would sit on the VU's stack, several KB deep.
    async move { Box::pin(client.request(request, &token)).await }
}

/// A request function's arguments as a request, and its method.
fn prepare<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    method: Option<&str>,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<(String, Request)> {
    vu.forbid_in_init(ctx, IN_INIT)?;
    let mut args = args.0.into_iter();
    let undefined = || Value::new_undefined(ctx.clone());
    let method = match method {
        Some(method) => method.to_owned(),
        None => js::to_string(&args.next().unwrap_or_else(undefined))?,
    };
    let url = args.next().unwrap_or_else(undefined);
    // get/head take (url, params); the others (url, body, params).
    let (body, params) = if matches!(method.as_str(), "GET" | "HEAD") && args.len() < 2 {
        (None, args.next())
    } else {
        (args.next(), args.next())
    };
    let request = convert::request(ctx, vu, &method, &url, body.as_ref(), params.as_ref())?;
    if let Some(warning) = convert::encoding_mismatch(&request) {
        vu.log.log(crate::log::Level::Warning, &warning, &[]);
    }
    Ok((method, request))
}

/// What a request function makes of `outcome` (cancelled: the call was
/// interrupted): its samples, taken at `time` with the call's tags `tags`,
/// and the response, or with `throw: true` the failure thrown.
fn respond<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    tags: &Arc<Tags>,
    time: SystemTime,
    method: &str,
    outcome: Outcome,
    class: &Constructor<'js>,
) -> rquickjs::Result<Value<'js>> {
    let Some(exchange) = outcome.done() else {
        return Err(interrupted(ctx));
    };
    let failed = samples::record(vu, tags, time, method, &exchange);
    if let Some(error) = failed.filter(|_| vu.config.throw) {
        return Err(js::throw_go_error(ctx, &error));
    }
    response_value(ctx, exchange.response, class)
}

/// `http.batch(requests)`: an array (or object) of URLs, `[method, url,
/// body, params]` arrays or `{method, url, body, params}` objects.
fn batch<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    requests: Option<Value<'js>>,
    class: &Constructor<'js>,
) -> rquickjs::Result<Value<'js>> {
    let Some(requests) = requests.and_then(|r| r.into_object()) else {
        return Err(js::throw_go_error(
            ctx,
            "batch() expects an array or an object",
        ));
    };
    let is_array = requests.is_array();
    let mut keys = Vec::new();
    let mut list: Vec<Request> = Vec::new();
    for entry in requests.props::<String, Value>() {
        let (key, item) = entry?;
        list.push(batch_item(ctx, vu, &item)?);
        keys.push(key);
    }
    let methods: Vec<String> = list.iter().map(|r| r.method.clone()).collect();
    let client = prepared_client(vu);
    let token = vu.interrupt.token().unwrap_or_default();
    let tags = vu.tags();
    let Some(outcomes) = wait::block(
        vu,
        async move { Box::pin(client.batch(list, &token)).await },
    ) else {
        return Err(interrupted(ctx));
    };
    let out = if is_array {
        Array::new(ctx.clone())?.into_object()
    } else {
        Object::new(ctx.clone())?
    };
    let now = SystemTime::now();
    let mut first_failure = None;
    for ((key, method), outcome) in keys.into_iter().zip(methods).zip(outcomes) {
        let Some(exchange) = outcome.done() else {
            return Err(interrupted(ctx));
        };
        let failed = samples::record(vu, &tags, now, &method, &exchange);
        first_failure = first_failure.or(failed);
        let value = response_value(ctx, exchange.response, class)?;
        match key.parse::<usize>() {
            Ok(index) if is_array => out.set(index as u32, value)?,
            _ => out.set(key, value)?,
        }
    }
    // `throw: true`: as in k6, the batch throws its first failure once
    // every request is done.
    if let Some(error) = first_failure.filter(|_| vu.config.throw) {
        return Err(js::throw_go_error(ctx, &error));
    }
    Ok(out.into_value())
}

fn batch_item<'js>(ctx: &Ctx<'js>, vu: &VuState, item: &Value<'js>) -> rquickjs::Result<Request> {
    if let Some(array) = item.as_array() {
        let get = |i: usize| array.get::<Value>(i);
        let method = js::to_string(&get(0)?)?;
        let (body, params) = (get(2)?, get(3)?);
        return convert::request(ctx, vu, &method, &get(1)?, Some(&body), Some(&params));
    }
    if let Some(object) = item.as_object().filter(|_| !item.is_string()) {
        let method: Value = object.get("method")?;
        let method = if method.is_undefined() {
            "GET".to_owned()
        } else {
            js::to_string(&method)?
        };
        let url: Value = object.get("url")?;
        let (body, params): (Value, Value) = (object.get("body")?, object.get("params")?);
        return convert::request(ctx, vu, &method, &url, Some(&body), Some(&params));
    }
    convert::request(ctx, vu, "GET", item, None, None)
}

/// The VU's client with the current `setResponseCallback` applied.
fn prepared_client(vu: &VuState) -> Rc<k6r_http::Client> {
    let client = vu.client();
    let expected = vu.http.borrow().response_callback.as_ref().map(|ranges| {
        ranges.iter().fold(ExpectedStatuses::none(), |e, r| {
            let clamp = |v: i64| v.clamp(0, i64::from(u16::MAX)) as u16;
            e.with_range(clamp(r.min), clamp(r.max))
        })
    });
    client.set_expected_statuses(expected);
    client
}

fn response_value<'js>(
    ctx: &Ctx<'js>,
    response: k6r_http::Response,
    class: &Constructor<'js>,
) -> rquickjs::Result<Value<'js>> {
    convert::response(ctx, response, class)
}

/// What a host function returns once the call was interrupted: QuickJS's
/// interrupt handler stops the script right after.
fn interrupted(ctx: &Ctx<'_>) -> rquickjs::Error {
    js::throw_go_error(ctx, "context canceled")
}

const STATUSES_KEY: &str = "k6r.expectedStatuses";

/// `expectedStatuses(200, {min: 300, max: 399}, ...)`: an opaque object
/// (`{}` when printed, as in k6) carrying the ranges under a hidden key.
fn expected_statuses<'js>(ctx: Ctx<'js>, args: Rest<Value<'js>>) -> rquickjs::Result<Object<'js>> {
    let ranges = Array::new(ctx.clone())?;
    for (index, arg) in args.0.iter().enumerate() {
        let range = status_range(arg)?.ok_or_else(|| {
            js::throw_go_error(
                &ctx,
                &format!(
                    "argument number {} to expectedStatuses was neither an integer nor an object like {{min:100, max:329}}",
                    index + 1
                ),
            )
        })?;
        ranges.set(index, vec![range.min, range.max])?;
    }
    let object = Object::new(ctx.clone())?;
    let key = Symbol::new_global(ctx.clone(), STATUSES_KEY)?;
    object.prop(key, Property::from(ranges))?;
    Ok(object)
}

fn status_range(value: &Value<'_>) -> rquickjs::Result<Option<StatusRange>> {
    if let Some(status) = integer(value) {
        return Ok(Some(StatusRange {
            min: status,
            max: status,
        }));
    }
    let Some(object) = value.as_object() else {
        return Ok(None);
    };
    let min = integer(&object.get::<_, Value>("min")?);
    let max = integer(&object.get::<_, Value>("max")?);
    Ok(min.zip(max).map(|(min, max)| StatusRange { min, max }))
}

fn integer(value: &Value<'_>) -> Option<i64> {
    let number = value.as_number()?;
    (number.fract() == 0.0 && number.abs() < 1e15).then_some(number as i64)
}

/// The ranges of an `expectedStatuses` object, `None` for anything else.
fn read_statuses<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
) -> rquickjs::Result<Option<Vec<StatusRange>>> {
    let Some(object) = value.as_object() else {
        return Ok(None);
    };
    let key = Symbol::new_global(ctx.clone(), STATUSES_KEY)?;
    let Some(ranges) = object.get::<_, Value>(key)?.into_array() else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(ranges.len());
    for pair in ranges.iter::<Vec<i64>>() {
        match pair?.as_slice() {
            [min, max] => out.push(StatusRange {
                min: *min,
                max: *max,
            }),
            _ => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// `http.file(data, filename?, contentType?)`: the object k6 sends as a
/// multipart file field. `data` is a string or an `ArrayBuffer`.
fn file<'js>(
    ctx: Ctx<'js>,
    data: Opt<Value<'js>>,
    filename: Opt<Value<'js>>,
    content_type: Opt<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    let data = data.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let buffer = data
        .as_object()
        .is_some_and(|object| object.as_array_buffer().is_some());
    if !data.is_string() && !buffer {
        return Err(js::throw_go_error(
            &ctx,
            &format!(
                "invalid type {}, expected string or ArrayBuffer",
                form::go_type(&data)
            ),
        ));
    }
    let text_or = |value: Opt<Value<'js>>, default: String| -> rquickjs::Result<String> {
        match value.0 {
            Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value),
            _ => Ok(default),
        }
    };
    // k6 names an unnamed file after the current time in nanoseconds.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let object = Object::new(ctx.clone())?;
    form::mark_file(&ctx, &object)?;
    object.set("data", data)?;
    object.set("filename", text_or(filename, nanos.to_string())?)?;
    object.set(
        "content_type",
        text_or(content_type, "application/octet-stream".to_owned())?,
    )?;
    Ok(object)
}

/// ``http.url`https://x/${id}` ``: the URL and a name that groups every
/// URL of the template under one tag value.
fn url<'js>(
    ctx: Ctx<'js>,
    strings: Opt<Value<'js>>,
    values: Rest<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    let mut name = String::new();
    let mut url = String::new();
    let parts = strings.0.and_then(Value::into_array);
    for (index, part) in parts
        .iter()
        .flat_map(|parts| parts.iter::<Value>())
        .enumerate()
    {
        let part = js::to_string(&part?)?;
        if index > 0 {
            name.push_str("${}");
            if let Some(value) = values.0.get(index - 1) {
                url.push_str(&js::to_string(value)?);
            }
        }
        name.push_str(&part);
        url.push_str(&part);
    }
    let object = Object::new(ctx.clone())?;
    object.set("name", name)?;
    object.set("url", url.clone())?;
    object.set("clean_url", url)?;
    Ok(object)
}
