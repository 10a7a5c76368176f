//! `k6/experimental/websockets`: the browser's `WebSocket` on the VU's
//! event loop (one VU holds as many sockets and timers as it likes; the
//! iteration ends once every socket is closed and no timer is left, as
//! in k6), and the `Blob` its binary messages can be.
//!
//! The objects a script sees are made by `glue.js` (listeners, `on*`
//! properties, events, `binaryType`, `Blob`); the connection is Rust's
//! (`socket`): its state (`readyState`, `bufferedAmount`, `protocol`,
//! `extensions`), its checks and errors, its samples, and the pending
//! operation of the VU that turns the connection's events into calls of
//! the object's dispatcher.
//!
//! What k6 v1.1.0 does is kept where it shows (the objects' keys, its
//! errors, close events without a code, `bufferedAmount` that ping and
//! close frames also lower), with two differences: a `Blob` can be sent
//! (k6's check of it fails: `unsupported send type`), and
//! `Blob.slice()` with a negative start counts from the end (k6 panics).

mod socket;

use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use crate::binary;
use crate::compiled::Compiled;
use crate::js;
use crate::modules::BuiltinModule;
use crate::state::VuState;

/// The `k6/experimental/websockets` module.
pub(crate) struct WebSockets;

static GLUE: Compiled = Compiled::new("k6r:k6/experimental/websockets", include_str!("glue.js"));

impl BuiltinModule for WebSockets {
    const NAME: &'static str = "k6/experimental/websockets";
    const EXPORTS: &'static [&'static str] = &["default", "WebSocket", "Blob"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;
        let state = vu.clone();
        let open = move |ctx: Ctx<'js>,
                         url: Opt<Value<'js>>,
                         protocols: Opt<Value<'js>>,
                         params: Opt<Value<'js>>,
                         dispatch: Opt<Value<'js>>|
              -> rquickjs::Result<Object<'js>> {
            socket::open(&ctx, &state, url.0, protocols.0, params.0, dispatch.0)
        };
        natives.set("open", js::function(ctx, "WebSocket", open)?)?;
        natives.set(
            "goError",
            js::function(ctx, "goError", |ctx: Ctx<'js>, message: String| {
                Err::<(), _>(js::throw_go_error(&ctx, &message))
            })?,
        )?;
        natives.set(
            "encode",
            js::function(ctx, "encode", |ctx: Ctx<'js>, text: String| {
                binary::array_buffer(&ctx, text.into_bytes())
            })?,
        )?;
        natives.set(
            "decode",
            js::function(
                ctx,
                "decode",
                |value: Value<'js>| -> rquickjs::Result<String> {
                    let bytes = binary::view_bytes(&value)?.unwrap_or_default();
                    Ok(binary::go_string(&bytes))
                },
            )?,
        )?;
        let state = vu.clone();
        natives.set(
            "warn",
            js::function(ctx, "warn", move |message: String| {
                state.log.log(crate::log::Level::Warning, &message, &[]);
            })?,
        )?;
        let streams = crate::modules::build(ctx, "k6/experimental/streams")?;
        natives.set("ReadableStream", streams.get::<_, Value>("ReadableStream")?)?;
        crate::modules::glue(ctx, &GLUE, natives)
    }
}
