//! `client.invoke(method, request, params)`, which blocks the VU until
//! the response, and `client.asyncInvoke`, which returns its promise; the
//! response object `{message, headers, trailers, error, status}`.

use std::rc::Rc;
use std::time::Duration;

use k6r_core::metrics::Tags;
use prost_reflect::{DynamicMessage, MethodDescriptor};
use rquickjs::{Ctx, Object, Value};
use tonic::metadata::MetadataMap;

use super::call::{self, Outcome};
use super::client::ClientState;
use super::connection::{self, Connection, DEFAULT_TIMEOUT};
use super::{json, samples, status};
use crate::js;
use crate::pending;
use crate::state::VuState;
use crate::wait;

const IN_INIT: &str = "invoking RPC methods in the init context is not supported";

/// A call ready to go.
pub(super) struct Prepared {
    pub connection: Connection,
    pub method: MethodDescriptor,
    pub path: String,
    pub request: DynamicMessage,
    pub metadata: MetadataMap,
    pub timeout: Duration,
    pub tags: Tags,
    pub discard: bool,
}

/// `params` of `invoke`, `asyncInvoke` and `new grpc.Stream`.
pub(super) struct CallParams {
    pub metadata: MetadataMap,
    pub tags: Vec<(String, String)>,
    /// Given by the script: a call without one waits [`DEFAULT_TIMEOUT`],
    /// a stream without one has no deadline.
    pub timeout: Option<Duration>,
    pub discard: bool,
}

/// Reads a call's params, throwing k6's errors.
pub(super) fn call_params<'js>(
    ctx: &Ctx<'js>,
    value: Option<&Value<'js>>,
) -> rquickjs::Result<CallParams> {
    let mut out = CallParams {
        metadata: MetadataMap::new(),
        tags: Vec::new(),
        timeout: None,
        discard: false,
    };
    let Some(object) = value.and_then(Value::as_object) else {
        return Ok(out);
    };
    for (key, value) in connection::keys(object)? {
        match key.as_str() {
            "metadata" => out.metadata = connection::metadata(ctx, &value, "metadata")?,
            "tags" => {
                if let Some(tags) = value.as_object() {
                    for (key, value) in connection::keys(tags)? {
                        out.tags.push((key, js::to_string(&value)?));
                    }
                }
            }
            "timeout" => {
                if !value.is_undefined() && !value.is_null() {
                    out.timeout = Some(connection::timeout(ctx, &value)?);
                }
            }
            "discardResponseMessage" => out.discard = value.as_bool().unwrap_or(false),
            other => {
                return Err(js::throw_go_error(
                    ctx,
                    &format!("invalid GRPC's client.invoke() parameters: unknown param: {other:?}"),
                ))
            }
        }
    }
    Ok(out)
}

/// What a call can't be made for, in k6's words.
pub(super) enum NoTarget {
    NotConnected,
    Method(String),
}

impl NoTarget {
    pub(super) fn message(&self) -> &str {
        match self {
            NoTarget::NotConnected => "no gRPC connection, you must call connect first",
            NoTarget::Method(message) => message,
        }
    }
}

/// The connection and method of a call named `method`.
pub(super) fn target(
    client: &ClientState,
    method: &str,
) -> Result<(Connection, MethodDescriptor, String), NoTarget> {
    let Some(connection) = client.connection.clone() else {
        return Err(NoTarget::NotConnected);
    };
    if method.is_empty() {
        return Err(NoTarget::Method(
            "method to invoke cannot be empty".to_owned(),
        ));
    }
    let path = if method.starts_with('/') {
        method.to_owned()
    } else {
        format!("/{method}")
    };
    let Some(descriptor) = client.methods.find(&path) else {
        return Err(NoTarget::Method(format!(
            "method {path:?} not found in file descriptors"
        )));
    };
    Ok((connection, descriptor, path))
}

/// Reads `invoke`'s arguments into a call.
fn prepare<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    client: &ClientState,
    method: Option<Value<'js>>,
    request: Option<Value<'js>>,
    params: Option<Value<'js>>,
) -> rquickjs::Result<Prepared> {
    vu.forbid_in_init(ctx, IN_INIT)?;
    let method = match method {
        Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value)?,
        _ => String::new(),
    };
    let (connection, descriptor, path) =
        target(client, &method).map_err(|e| js::throw_go_error(ctx, e.message()))?;
    let params = call_params(ctx, params.as_ref())?;
    let request = json::to_message(ctx, &descriptor.input(), request.as_ref())
        .map_err(|e| js::throw_go_error(ctx, &e))?;
    let tags = samples::call_tags(&vu.tags(), &connection.address, &descriptor, &params.tags);
    Ok(Prepared {
        connection,
        method: descriptor,
        path,
        request,
        metadata: params.metadata,
        timeout: params.timeout.unwrap_or(DEFAULT_TIMEOUT),
        tags,
        discard: params.discard,
    })
}

fn start(
    prepared: Prepared,
) -> (
    impl std::future::Future<Output = Outcome> + 'static,
    Tags,
    bool,
) {
    let Prepared {
        connection,
        method,
        path,
        request,
        metadata,
        timeout,
        tags,
        discard,
    } = prepared;
    let work = async move {
        Box::pin(call::unary(
            connection, method, path, request, metadata, timeout,
        ))
        .await
    };
    (work, tags, discard)
}

/// `client.invoke`.
pub(super) fn invoke<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    client: &Rc<std::cell::RefCell<ClientState>>,
    method: Option<Value<'js>>,
    request: Option<Value<'js>>,
    params: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let prepared = prepare(ctx, vu, &client.borrow(), method, request, params)?;
    let (work, tags, discard) = start(prepared);
    let Some(outcome) = wait::block(vu, work) else {
        return Err(js::throw_go_error(ctx, "context canceled"));
    };
    respond(ctx, vu, &tags, discard, outcome)
}

/// `client.asyncInvoke`: rejected (not thrown) with what `invoke` would
/// throw, except in init code.
pub(super) fn async_invoke<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    client: &Rc<std::cell::RefCell<ClientState>>,
    method: Option<Value<'js>>,
    request: Option<Value<'js>>,
    params: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.forbid_in_init(ctx, IN_INIT)?;
    let prepared = match prepare(ctx, vu, &client.borrow(), method, request, params) {
        Ok(prepared) => prepared,
        Err(rquickjs::Error::Exception) if vu.interrupt.stopped().is_none() => {
            let (promise, _, reject) = ctx.promise()?;
            reject.call::<_, ()>((ctx.catch(),))?;
            return Ok(promise.into_value());
        }
        Err(error) => return Err(error),
    };
    let (work, tags, discard) = start(prepared);
    let promise = pending::promise(ctx, vu, work, move |ctx, vu, outcome| {
        respond(ctx, vu, &tags, discard, outcome)
    })?;
    Ok(promise.into_value())
}

/// Records the call's sample and makes its response object.
fn respond<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    tags: &Tags,
    discard: bool,
    outcome: Outcome,
) -> rquickjs::Result<Value<'js>> {
    vu.claim_bytes(&outcome.marks);
    if !outcome.timed_out {
        samples::record_call(vu, tags, outcome.code(), outcome.elapsed);
    }
    response(ctx, &outcome, discard)
}

/// k6's response object.
fn response<'js>(ctx: &Ctx<'js>, outcome: &Outcome, discard: bool) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    let message = match (&outcome.message, discard) {
        (_, true) => Value::new_null(ctx.clone()),
        (Some(message), false) => json::from_message(ctx, message, true)?,
        (None, false) => {
            json::from_message(ctx, &DynamicMessage::new(outcome.output.clone()), true)?
        }
    };
    object.set("message", message)?;
    let error = match &outcome.error {
        Some(status) => error_object(ctx, status)?.into_value(),
        None => Value::new_null(ctx.clone()),
    };
    object.set("error", error)?;
    object.set("headers", json::metadata(ctx, &outcome.headers)?)?;
    object.set("trailers", json::metadata(ctx, &outcome.trailers)?)?;
    object.set("status", status::value(ctx, outcome.code())?)?;
    Ok(object.into_value())
}

/// A failed call's `error`: `{code, details, message}`, what protojson
/// makes of the status.
pub(super) fn error_object<'js>(
    ctx: &Ctx<'js>,
    status: &tonic::Status,
) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("code", status.code() as i32)?;
    object.set("details", rquickjs::Array::new(ctx.clone())?)?;
    object.set("message", status.message())?;
    Ok(object)
}
