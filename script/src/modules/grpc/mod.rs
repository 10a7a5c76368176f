//! `k6/net/grpc`: gRPC clients as k6 has them. `new grpc.Client()`
//! loads descriptors in init code (`load`, `loadProtoset`), connects in
//! a VU (`connect`, optionally asking the server's reflection), calls
//! (`invoke`, `asyncInvoke`) and streams (`new grpc.Stream(client,
//! method)`); the `grpc.Status*` constants are gRPC's codes.
//!
//! - `client`: the `Client` object and its methods.
//! - `descriptors`: `.proto` files (protox) and protosets; `reflection`:
//!   the server's reflection service.
//! - `connection`: `connect`'s params and the channel (plaintext, TLS);
//!   `counted`: the bytes it moves (`data_sent`, `data_received`).
//! - `call`: one RPC on the wire; `codec`: dynamic messages for tonic.
//! - `invoke`: `invoke`, `asyncInvoke` and the response object.
//! - `stream`: `grpc.Stream` and its events.
//! - `json`: messages to and from JavaScript (proto3 JSON).
//! - `samples`: the metric samples; `status`: the status codes.

mod call;
mod client;
mod codec;
mod connection;
mod counted;
mod descriptors;
mod invoke;
mod json;
mod reflection;
mod samples;
mod status;
mod stream;

use std::rc::Rc;

use rquickjs::{Ctx, Object};

use super::BuiltinModule;
use crate::state::VuState;

/// The `k6/net/grpc` module.
pub(crate) struct Grpc;

impl BuiltinModule for Grpc {
    const NAME: &'static str = "k6/net/grpc";
    const EXPORTS: &'static [&'static str] = &[
        "default",
        "Client",
        "Stream",
        "StatusOK",
        "StatusCanceled",
        "StatusUnknown",
        "StatusInvalidArgument",
        "StatusDeadlineExceeded",
        "StatusNotFound",
        "StatusAlreadyExists",
        "StatusPermissionDenied",
        "StatusResourceExhausted",
        "StatusFailedPrecondition",
        "StatusAborted",
        "StatusOutOfRange",
        "StatusUnimplemented",
        "StatusInternal",
        "StatusUnavailable",
        "StatusDataLoss",
        "StatusUnauthenticated",
    ];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        module.set("Client", client::class(ctx, vu)?)?;
        module.set("Stream", stream::class(ctx)?)?;
        for &(name, code) in status::CONSTANTS {
            module.set(name, status::value(ctx, code)?)?;
        }
        Ok(module)
    }
}
