//! `k6/http`: requests through the VU's [`k6r_http::Client`], waiting via
//! the VU's [`Wait`](crate::Wait); in init code they throw k6's messages.
//! `http.asyncRequest()` starts its request as a pending operation of the
//! VU ([`crate::pending`]) and returns its promise at once, so a VU's
//! async requests overlap (with each other and with what it waits in).
//!
//! - `send`: the request functions and `asyncRequest`; `batch`:
//!   `http.batch()`; `response`: the response methods (native, the
//!   prototype of every response) and the per-VU kit that makes
//!   responses.
//! - `deferred`: a response object, a Rust object whose keys' values are
//!   made on first read.
//! - `convert`: JavaScript arguments → requests.
//! - `form`: object bodies: url-encoded fields or, with an `http.file()`,
//!   multipart parts.
//! - `jar`: `http.cookieJar()` and the `CookieJar` class.
//! - `selector`: GJSON selectors of `res.json(selector)`.
//! - `samples`: the metric samples of a request.
//! - `statuses`: `expectedStatuses` and `setResponseCallback`.
//! - `file`: `http.file()`; `template`: `http.url`.

mod batch;
mod convert;
mod deferred;
mod file;
mod form;
mod jar;
mod response;
mod samples;
mod selector;
mod send;
mod statuses;
mod template;

use std::rc::Rc;
use std::sync::Weak;

use k6r_http::CookieJar;
use rquickjs::function::{Opt, Rest};
use rquickjs::{Ctx, Object, Value};

use super::BuiltinModule;
use crate::js;
use crate::state::VuState;
use statuses::StatusRange;

pub(crate) use jar::custom as custom_jar;

/// The `k6/http` module.
pub(crate) struct Http;

/// Per-VU `k6/http` state.
#[derive(Debug)]
pub(crate) struct State {
    /// Set by `setResponseCallback`: `None` means no callback (every
    /// response counts as expected).
    pub response_callback: Option<Vec<StatusRange>>,
    /// Whether the VU's client has `response_callback` as it is (it is
    /// handed over once, not with every request).
    pub callback_applied: bool,
    /// The jars made by `new http.CookieJar()`, weakly (see `jar`).
    pub jars: Vec<Weak<CookieJar>>,
}

impl Default for State {
    /// k6's default: `expectedStatuses({min: 200, max: 399})`.
    fn default() -> Self {
        Self {
            response_callback: Some(vec![StatusRange { min: 200, max: 399 }]),
            callback_applied: false,
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

        for &(name, method) in REQUESTS {
            let state = vu.clone();
            let request =
                move |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                    let kit = response::response_kit(&ctx)?;
                    send::send(&ctx, &state, method, args, &kit)
                };
            module.set(name, js::function(ctx, name, request)?)?;
        }
        response::install(ctx, &module)?;

        let state = vu.clone();
        let async_request =
            move |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                send::async_request(&ctx, &state, args)
            };
        module.set(
            "asyncRequest",
            js::function(ctx, "asyncRequest", async_request)?,
        )?;

        let state = vu.clone();
        let batch =
            move |ctx: Ctx<'js>, requests: Opt<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                state.forbid_in_init(&ctx, "Using batch in the init context is not supported")?;
                let kit = response::response_kit(&ctx)?;
                batch::batch(&ctx, &state, requests.0, &kit)
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
            js::function(ctx, "expectedStatuses", statuses::expected_statuses)?,
        )?;

        let state = vu.clone();
        let set_response_callback = move |ctx: Ctx<'js>, callback: Opt<Value<'js>>| {
            statuses::set_response_callback(&ctx, &state, callback.0)
        };
        module.set(
            "setResponseCallback",
            js::function(ctx, "setResponseCallback", set_response_callback)?,
        )?;

        module.set("file", js::function(ctx, "file", file::file)?)?;
        module.set("url", js::function(ctx, "url", template::url)?)?;

        for &(name, value) in CONSTANTS {
            module.set(name, js::interned(ctx, value)?)?;
        }
        Ok(module)
    }
}
