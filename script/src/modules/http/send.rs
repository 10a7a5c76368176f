//! Sending requests: the synchronous request functions, which block the
//! VU until the response, and `http.asyncRequest()`, which returns a
//! promise; both record the request's samples.

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::SystemTime;

use k6r_core::metrics::Tags;
use k6r_http::{ExpectedStatuses, Outcome, Request};
use rquickjs::function::Rest;
use rquickjs::{Class, Ctx, Value};

use super::deferred::Kit;
use super::response::{response_kit, response_value};
use super::{convert, samples};
use crate::js;
use crate::pending;
use crate::state::VuState;
use crate::wait;

const IN_INIT: &str = "Making http requests in the init context is not supported";

/// Every synchronous request function ends here.
pub(super) fn send<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    method: Option<&str>,
    args: Rest<Value<'js>>,
    kit: &Class<'js, Kit<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let (method, request) = prepare(ctx, vu, method, args)?;
    let tags = vu.tags();
    let outcome = wait::block(vu, exchange(vu, request)).unwrap_or(Outcome::Cancelled);
    respond(ctx, vu, &tags, SystemTime::now(), &method, outcome, kit)
}

/// `http.asyncRequest(method, url, body, params)`: a promise of the
/// response, settled on the VU's thread once the request (a pending
/// operation of the VU) is done: resolved with the response, or rejected
/// with what the request function would have thrown (as in k6, an error
/// never throws synchronously, except in init code). The samples are
/// taken when the request ends, with the tags of when it was made.
pub(super) fn async_request<'js>(
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
        let kit = response_kit(ctx)?;
        respond(ctx, vu, &tags, time, &method, outcome, &kit)
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
    kit: &Class<'js, Kit<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let Some(exchange) = outcome.done() else {
        return Err(interrupted(ctx));
    };
    let failed = samples::record(vu, tags, time, method, &exchange);
    if let Some(error) = failed.filter(|_| vu.config.throw) {
        return Err(js::throw_go_error(ctx, &error));
    }
    response_value(exchange.response, kit)
}

/// The VU's client with the current `setResponseCallback` applied.
pub(super) fn prepared_client(vu: &VuState) -> Rc<k6r_http::Client> {
    let client = vu.client();
    let mut http = vu.http.borrow_mut();
    if !http.callback_applied {
        let expected = http.response_callback.as_ref().map(|ranges| {
            ranges.iter().fold(ExpectedStatuses::none(), |e, r| {
                let clamp = |v: i64| v.clamp(0, i64::from(u16::MAX)) as u16;
                e.with_range(clamp(r.min), clamp(r.max))
            })
        });
        client.set_expected_statuses(expected);
        http.callback_applied = true;
    }
    client
}

/// What a host function returns once the call was interrupted: QuickJS's
/// interrupt handler stops the script right after.
pub(super) fn interrupted(ctx: &Ctx<'_>) -> rquickjs::Error {
    js::throw_go_error(ctx, "context canceled")
}
