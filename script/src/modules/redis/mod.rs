//! `k6/experimental/redis`: `new redis.Client(url | options)`, whose
//! 40 commands return promises and `isConnected()` a boolean, as k6 v1.1.0
//! (xk6-redis v0.3.3 on go-redis v9.0.5) behaves: the same arguments
//! accepted and refused, the same replies (strings, numbers, booleans,
//! arrays, objects), the same rejections (`redis: nil`, the server's
//! error line, Go's network errors) and the same connection handling
//! (a pool per client, retries, timeouts).
//!
//! A command's I/O is a pending operation of its VU, polled while the VU
//! waits (in an `await`, a `sleep()`, anything): a VU waiting for redis
//! blocks no other VU, and every wait is bounded (the read, write and
//! pool timeouts, k6's 30 s dial timeout), so a silent or vanished
//! server rejects the promise rather than hanging the VU. The bytes
//! moved count in `data_sent`/`data_received`, as k6's dialer counts
//! them; k6 emits no other metric for redis.
//!
//! # Layout
//! - `client`: the client object, its lazy connection and its methods'
//!   promises.
//! - `commands`: each method's command and reply kind; `args`: JavaScript
//!   arguments as Go parameters; `reply`: replies as JavaScript values.
//! - `options`: the constructor's argument as go-redis's options, and
//!   the settings (defaults) commands run with; `url` (go-redis's
//!   `ParseURL`), `export` and `decode` (the options object as Go's
//!   JSON decoding reads it).
//! - `pool`: a server's connections, retries and backoff; `conn`: one
//!   connection (dial, set-up, metered I/O); `tls`: rustls for
//!   `rediss://` and `socket.tls`.
//! - `cluster` and `sentinel`: the other two modes, through redis-rs.
//! - `error`: why a command failed, and the Go-like values k6 rejects
//!   with.

mod args;
mod client;
mod cluster;
mod commands;
mod conn;
mod decode;
mod error;
mod export;
mod options;
mod pool;
mod reply;
mod sentinel;
mod tls;
mod url;

use std::rc::Rc;

use rquickjs::function::Rest;
use rquickjs::{Ctx, Object, Value};

use super::BuiltinModule;
use crate::js;
use crate::state::VuState;

/// The `k6/experimental/redis` module.
pub(crate) struct Redis;

impl BuiltinModule for Redis {
    const NAME: &'static str = "k6/experimental/redis";
    const EXPORTS: &'static [&'static str] = &["default", "Client"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        let state = Rc::clone(vu);
        // Callable with or without `new`, as k6's.
        let make = move |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<Object<'js>> {
            let [argument] = args.0.as_slice() else {
                return Err(js::throw_go_error(&ctx, "must specify one argument"));
            };
            match options::read(argument)? {
                Ok(options) => client::object(&ctx, &state, options),
                Err(message) => Err(js::throw_go_error(&ctx, &message)),
            }
        };
        let constructor = js::function(
            ctx,
            "github.com/grafana/xk6-redis/redis.(*ModuleInstance).NewClient-fm",
            make,
        )?;
        constructor.set_constructor(true);
        constructor.set("prototype", Object::new(ctx.clone())?)?;
        module.set("Client", constructor)?;
        Ok(module)
    }
}
