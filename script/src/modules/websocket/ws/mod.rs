//! `k6/ws`: `connect(url, [params], setup)`, which holds the VU until the
//! socket closes, running the socket's handlers on the VU's thread as
//! their events come (k6's "blocking" WebSockets: nothing else of the
//! VU runs meanwhile, not even its global timers).
//!
//! - this file: the module and `connect`: arguments, the dial, the
//!   response object, the session's samples.
//! - `socket`: the `Socket` given to `setup` (`on`, `send`,
//!   `sendBinary`, `ping`, `close`, `setTimeout`, `setInterval`), its
//!   handlers and timers, and the loop that waits for the next event or
//!   timer until the socket is closed.

mod socket;

use std::rc::Rc;
use std::time::Duration;

use futures_util::StreamExt;
use rquickjs::function::Rest;
use rquickjs::{Ctx, Object, Value};
use url::Url;

use super::dial::{Answer, Failed, Target};
use super::driver::{self, Connection, Event, Handshake};
use super::params::{self, Dialect, Params};
use super::samples::{Naming, Session};
use crate::js;
use crate::modules::BuiltinModule;
use crate::state::VuState;
use crate::wait;

/// The `k6/ws` module.
pub(crate) struct Ws;

impl BuiltinModule for Ws {
    const NAME: &'static str = "k6/ws";
    const EXPORTS: &'static [&'static str] = &["default", "connect"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        let state = vu.clone();
        let connect = move |ctx: Ctx<'js>, args: Rest<Value<'js>>| connect(&ctx, &state, args.0);
        module.set("connect", js::function(ctx, "connect", connect)?)?;
        // Only a default export in k6: the namespace's `connect` is the
        // default export's.
        Ok(module)
    }
}

/// gorilla's error for a URL that is not `ws://` or `wss://`.
const MALFORMED: &str = "malformed ws or wss URL";

fn connect<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    args: Vec<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.forbid_in_init(ctx, "using websockets in the init context is not supported")?;
    let mut args = args.into_iter();
    let url = match args.next() {
        Some(url) => js::to_string(&url)?,
        None => "undefined".to_owned(),
    };
    let rest: Vec<Value> = args.collect();
    let (params, setup) = match rest.as_slice() {
        [params, setup] => (Some(params.clone()), setup.clone()),
        [setup] => (None, setup.clone()),
        _ => {
            return Err(js::throw_go_error(
                ctx,
                "invalid number of arguments to ws.connect",
            ))
        }
    };
    let Some(setup) = setup.as_function().cloned() else {
        return Err(js::throw_go_error(
            ctx,
            "last argument to ws.connect must be a function",
        ));
    };
    let params = params::read(ctx, vu, params.as_ref(), Dialect::Ws)?;
    let mut session = Session::new(vu, &url, &params.tags, Naming::UrlOnly);
    let (connection, handshake) = match dial(ctx, vu, &url, &params)? {
        Ok(opened) => opened,
        Err((failed, connecting)) => return refused(ctx, vu, &mut session, &failed, connecting),
    };
    let protocol = handshake
        .answer
        .header("Sec-Websocket-Protocol")
        .unwrap_or("")
        .to_owned();
    session.answered(&handshake.answer, &protocol);
    session.connected(vu, handshake.connecting);
    vu.claim_bytes(&handshake.marks);
    let result = response(ctx, &url, &handshake.answer, "")?;
    let outcome = socket::run(ctx, vu, setup, connection, &session, &handshake.marks);
    vu.claim_bytes(&handshake.marks);
    // An interrupted session takes no more samples (k6 pushes none once
    // the VU's context is done).
    if vu.interrupt.stopped().is_none() {
        session.ended(vu, session.started);
    }
    outcome?;
    Ok(result)
}

/// A dial that failed, and how long it took.
type Refusal = (Failed, Duration);

/// Dials `url` and waits for the upgrade (the VU blocked meanwhile):
/// the open connection, or why there is none; an error only when the
/// call was interrupted.
fn dial(
    ctx: &Ctx<'_>,
    vu: &VuState,
    url: &str,
    params: &Params,
) -> rquickjs::Result<Result<(Connection, Box<Handshake>), Refusal>> {
    let refusal = |error: &str| Failed {
        error: error.to_owned(),
        answer: None,
        marks: None,
    };
    let parsed = match checked_url(url) {
        Ok(parsed) => parsed,
        Err(error) => return Ok(Err((refusal(error), Duration::ZERO))),
    };
    let client = vu.client();
    let options = client.options();
    let target = Target {
        cookies: params.cookies(vu, &parsed),
        url: parsed.clone(),
        headers: params.headers.clone(),
        protocols: Vec::new(),
        hosts: options.hosts.clone(),
        tls: options.tls.clone(),
    };
    let mut connection = driver::connect(target, vu.interrupt.token());
    let mut events = connection.events;
    let first = wait::block(vu, async move {
        let first = events.next().await;
        (first, events)
    });
    let Some((first, events)) = first else {
        return Err(js::throw_go_error(ctx, "context canceled"));
    };
    connection.events = events;
    Ok(match first {
        Some(Event::Opened(handshake)) => {
            params.store_cookies(vu, &parsed, &handshake.answer.set_cookies);
            Ok((connection, handshake))
        }
        Some(Event::Failed(failed, connecting)) => Err((*failed, connecting)),
        // The task ended without a word (its runtime went away).
        _ => Err((refusal("context canceled"), Duration::ZERO)),
    })
}

/// What `connect` makes of a failed dial: the session's samples, then
/// the error thrown (`throw: true`) or returned in the response (with
/// the server's answer, if it refused the upgrade).
fn refused<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    session: &mut Session,
    failed: &Failed,
    connecting: Duration,
) -> rquickjs::Result<Value<'js>> {
    if let Some(answer) = &failed.answer {
        let protocol = answer.header("Sec-Websocket-Protocol").unwrap_or("");
        session.answered(answer, protocol);
    }
    if let Some(marks) = &failed.marks {
        vu.claim_bytes(marks);
    }
    session.connected(vu, connecting);
    session.ended(vu, session.started);
    if vu.config.throw {
        return Err(js::throw_go_error(ctx, &failed.error));
    }
    match &failed.answer {
        Some(answer) => response(ctx, "", answer, ""),
        None => response(ctx, "", &Answer::default(), &failed.error),
    }
}

/// `url` if it is a `ws://` or `wss://` URL gorilla would dial.
fn checked_url(url: &str) -> Result<Url, &'static str> {
    let parsed = Url::parse(url).map_err(|_| MALFORMED)?;
    let dialable = matches!(parsed.scheme(), "ws" | "wss")
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.username().is_empty()
        && parsed.password().is_none();
    if dialable {
        Ok(parsed)
    } else {
        Err(MALFORMED)
    }
}

/// The object `connect` returns: `url`, `status`, `headers`, `body`,
/// `error`.
fn response<'js>(
    ctx: &Ctx<'js>,
    url: &str,
    answer: &Answer,
    error: &str,
) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("url", url)?;
    object.set("status", answer.status)?;
    let headers = Object::new(ctx.clone())?;
    for (name, value) in &answer.headers {
        headers.set(name.as_str(), value.as_str())?;
    }
    object.set("headers", headers)?;
    object.set("body", answer.body.as_str())?;
    object.set("error", error)?;
    Ok(object.into_value())
}
