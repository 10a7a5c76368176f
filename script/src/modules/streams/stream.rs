//! The stream and its default controller: the queue with its sizes, the
//! source's `start`, `pull` and `cancel`, and the stream's state, as the
//! WHATWG Streams standard's ReadableStream and
//! ReadableStreamDefaultController algorithms run them (with k6's
//! departures, named where they are).
//!
//! - this file: the stream's state, its methods and cancelling it.
//! - `construct`: `new ReadableStream(...)` and its argument checks.
//! - `controller`: the controller, the queue and the source's
//!   algorithms.

use std::collections::VecDeque;

use rquickjs::class::{JsClass, Trace, Tracer, Writable};
use rquickjs::function::{Params, This};
use rquickjs::object::Property;
use rquickjs::{Class, Constructor, Ctx, Function, JsLifetime, Object, Promise, Value};

use super::reader::{self, Reader};
use super::{
    arg, caught, getter_property, is_nullish, not_supported, react, reason, rejected, resolved,
    text, type_error, Method, Op,
};
pub(crate) use construct::construct;
pub(crate) use controller::{after_dequeue, call_pull_if_needed, dequeue};
use controller::{
    can_close_or_enqueue, clear_algorithms, close_controller, close_stream, desired_size, enqueue,
    error_controller, reset_queue,
};

mod construct;
mod controller;

/// What a stream's [`Method`] does.
#[derive(Clone, Copy, Debug)]
pub(super) enum StreamOp {
    /// `stream.cancel(reason)`, `stream.getReader(options)`, `stream.tee()`.
    Cancel,
    GetReader,
    Tee,
    /// The controller: `desiredSize`, `constructor`, `close()`,
    /// `enqueue(chunk)`, `error(e)`.
    DesiredSize,
    ControllerConstructor,
    Close,
    Enqueue,
    Error,
    /// Reactions to the source's `start` and `pull` promises.
    Started,
    StartFailed,
    Pulled,
    PullFailed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Readable,
    Closed,
    Errored,
}

/// A stream's state; the stream object scripts see is its class object.
pub(crate) struct Stream<'js> {
    pub(super) state: State,
    pub(super) stored_error: Value<'js>,
    pub(super) reader: Option<Class<'js, Reader<'js>>>,
    /// Chunks with their sizes, and the sum of the sizes.
    queue: VecDeque<(Value<'js>, f64)>,
    queue_size: f64,
    started: bool,
    close_requested: bool,
    pulling: bool,
    pull_again: bool,
    high_water_mark: f64,
    source: Value<'js>,
    /// The source's algorithms (`None`: the standard's defaults), dropped
    /// once the stream is closed or errored.
    pull: Option<Function<'js>>,
    cancel: Option<Function<'js>>,
    /// `None`: every chunk counts 1.
    size: Option<Function<'js>>,
    /// The prototype of the controller objects handed to the source.
    controller: Option<Object<'js>>,
}

type StreamClass<'js> = Class<'js, Stream<'js>>;

/// Gives the streams' prototype (k6 makes one per stream) its
/// `constructor` and the `locked` getter each stream shadows.
pub(super) fn prototype<'js>(ctx: &Ctx<'js>, readable: &Function<'js>) -> rquickjs::Result<()> {
    let Some(proto) = Class::<Stream>::prototype(ctx)? else {
        return Ok(());
    };
    proto.prop(
        "constructor",
        Property::from(readable.clone()).writable().configurable(),
    )?;
    if !proto.contains_key("locked")? {
        let getter = Method::function(ctx, Op::Locked, Value::new_undefined(ctx.clone()))?;
        proto.prop("locked", getter_property(getter))?;
    }
    Ok(())
}

/// Whether `this` is a stream locked to a reader.
pub(super) fn locked(this: &Value<'_>) -> bool {
    Class::<Stream>::from_value(this).is_ok_and(|stream| stream.borrow().reader.is_some())
}

/// A [`Method`] of the stream or its controller, or a reaction to the
/// source's promises.
pub(super) fn call<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
    op: StreamOp,
    params: &Params<'_, 'js>,
) -> rquickjs::Result<Value<'js>> {
    let undefined = Value::new_undefined(ctx.clone());
    match op {
        StreamOp::Cancel => {
            if stream.borrow().reader.is_some() {
                let locked =
                    super::error_value(ctx, type_error(ctx, "cannot cancel a locked stream"));
                return Ok(rejected(ctx, locked)?.into_value());
            }
            cancel(ctx, stream, reason(params))
        }
        StreamOp::GetReader => get_reader(ctx, stream, arg(params, 0)),
        StreamOp::Tee => Err(not_supported(ctx, "'tee()'")),
        StreamOp::DesiredSize => Ok(match desired_size(&stream.borrow()) {
            Some(size) => Value::new_number(ctx.clone(), size),
            None => Value::new_null(ctx.clone()),
        }),
        StreamOp::ControllerConstructor => Ok(Object::new(ctx.clone())?.into_value()),
        StreamOp::Close | StreamOp::Enqueue => {
            if !can_close_or_enqueue(&stream.borrow()) {
                return Err(type_error(ctx, "cannot close or enqueue"));
            }
            match op {
                StreamOp::Close => close_controller(ctx, stream)?,
                _ => enqueue(ctx, stream, arg(params, 0))?,
            }
            Ok(undefined)
        }
        StreamOp::Error | StreamOp::StartFailed | StreamOp::PullFailed => {
            error_controller(stream, arg(params, 0))?;
            Ok(undefined)
        }
        StreamOp::Started => {
            stream.borrow_mut().started = true;
            call_pull_if_needed(ctx, stream)?;
            Ok(undefined)
        }
        StreamOp::Pulled => {
            let again = {
                let mut s = stream.borrow_mut();
                s.pulling = false;
                std::mem::take(&mut s.pull_again)
            };
            if again {
                call_pull_if_needed(ctx, stream)?;
            }
            Ok(undefined)
        }
    }
}

/// `getReader(options)`: a default reader; `byob` is not supported and
/// any other mode is refused.
fn get_reader<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
    options: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    if !is_nullish(&options) {
        let Some(object) = options.as_object() else {
            let message = format!(
                "could not convert function call parameter 0: could not convert {} to sobek.Object",
                text(&options)?
            );
            return Err(type_error(ctx, &message));
        };
        let mode: Value = object.get("mode")?;
        if !mode.is_undefined() {
            if text(&mode)? != "byob" {
                return Err(type_error(ctx, "options.mode is not 'byob'"));
            }
            return Err(not_supported(ctx, "'byob' mode"));
        }
    }
    reader::acquire(ctx, stream)
}

/// ReadableStreamCancel: a promise of `undefined` once the source's
/// cancel is done (k6 waits for a promise it returns, not for any
/// thenable), rejected with the reason it fails with, boxed.
pub(super) fn cancel<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
    reason: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let (state, stored) = {
        let s = stream.borrow();
        (s.state, s.stored_error.clone())
    };
    match state {
        State::Closed => return Ok(resolved(ctx, Value::new_undefined(ctx.clone()))?.into_value()),
        State::Errored => return Ok(rejected(ctx, stored)?.into_value()),
        State::Readable => {}
    }
    close_stream(ctx, stream)?;
    let (cancel, source) = {
        let mut s = stream.borrow_mut();
        reset_queue(&mut s);
        (s.cancel.clone(), s.source.clone())
    };
    let cancelled: Promise = match cancel {
        None => resolved(ctx, Value::new_undefined(ctx.clone()))?,
        Some(cancel) => match cancel.call::<_, Value>((This(source), reason)) {
            Ok(value) => match value.as_promise() {
                Some(promise) => promise.clone(),
                None => resolved(ctx, Value::new_undefined(ctx.clone()))?,
            },
            Err(error) => rejected(ctx, caught(ctx, error)?)?,
        },
    };
    clear_algorithms(&mut stream.borrow_mut());
    let undefined = Value::new_undefined(ctx.clone());
    react(ctx, &cancelled, Op::Cancelled, Op::CancelFailed, &undefined)
}

// SAFETY: a `Stream` holds values of its context only, and moves with
// that context's lifetime.
#[allow(unsafe_code)]
unsafe impl<'js> JsLifetime<'js> for Stream<'js> {
    type Changed<'to> = Stream<'to>;
}

impl<'js> Trace<'js> for Stream<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        self.stored_error.trace(tracer);
        self.reader.trace(tracer);
        for (chunk, _) in &self.queue {
            chunk.trace(tracer);
        }
        self.source.trace(tracer);
        self.pull.trace(tracer);
        self.cancel.trace(tracer);
        self.size.trace(tracer);
        self.controller.trace(tracer);
    }
}

impl<'js> JsClass<'js> for Stream<'js> {
    const NAME: &'static str = "ReadableStream";
    type Mutable = Writable;

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }
}
