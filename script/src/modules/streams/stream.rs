//! The stream and its default controller: the queue with its sizes, the
//! source's `start`, `pull` and `cancel`, and the stream's state, as the
//! WHATWG Streams standard's ReadableStream and
//! ReadableStreamDefaultController algorithms run them (with k6's
//! departures, named where they are).

use std::collections::VecDeque;

use rquickjs::class::{JsClass, Trace, Tracer, Writable};
use rquickjs::function::{Params, This};
use rquickjs::object::Property;
use rquickjs::promise::PromiseState;
use rquickjs::{Class, Constructor, Ctx, Function, JsLifetime, Object, Promise, Value};

use super::reader::{self, Reader};
use super::{
    arg, caught, fixed, is_nullish, is_object, not_supported, react, reason, rejected, resolved,
    strategy_high_water_mark, text, type_error, Getter, Method, Op,
};
use crate::js;

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
        proto.prop("locked", Getter(getter))?;
    }
    Ok(())
}

/// Whether `this` is a stream locked to a reader.
pub(super) fn locked(this: &Value<'_>) -> bool {
    Class::<Stream>::from_value(this).is_ok_and(|stream| stream.borrow().reader.is_some())
}

/// What k6 reads from a `ReadableStream`'s strategy argument: its
/// `highWaterMark` (given 1 when it has none, on the very object) and its
/// `size` if it has the key.
fn strategy<'js>(
    ctx: &Ctx<'js>,
    strategy: &Value<'js>,
) -> rquickjs::Result<(Value<'js>, Option<Value<'js>>)> {
    let one = Value::new_int(ctx.clone(), 1);
    // k6 boxes a primitive: a string reads as an empty object (nothing of
    // `String.prototype`), the others are not objects.
    if is_nullish(strategy) || strategy.is_string() {
        return Ok((one, None));
    }
    let Some(given) = strategy.as_object() else {
        return Err(type_error(
            ctx,
            "CountQueuingStrategy argument must be an object",
        ));
    };
    if is_nullish(&given.get::<_, Value>("highWaterMark")?) {
        given.set("highWaterMark", one)?;
    }
    let size = match given.contains_key("size")? {
        true => Some(given.get::<_, Value>("size")?),
        false => None,
    };
    Ok((strategy_high_water_mark(ctx, strategy)?, size))
}

/// The source's `name` function if the source has that key, which must
/// then be a function.
fn algorithm<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    given: Option<Value<'js>>,
) -> rquickjs::Result<Option<Function<'js>>> {
    match given {
        None => Ok(None),
        Some(value) => match value.into_function() {
            Some(function) => Ok(Some(function)),
            None => Err(type_error(
                ctx,
                &format!("underlyingSource.[[{name}]] must be a function"),
            )),
        },
    }
}

/// `new ReadableStream(underlyingSource, strategy)`, checking its
/// arguments in k6's order.
pub(super) fn construct<'js>(ctx: &Ctx<'js>, args: &[Value<'js>]) -> rquickjs::Result<Value<'js>> {
    let undefined = Value::new_undefined(ctx.clone());
    let source = args.first().cloned().unwrap_or_else(|| undefined.clone());
    let (high_water_mark, size) = strategy(ctx, args.get(1).unwrap_or(&undefined))?;
    let mut given = [None, None, None];
    let mut bytes = false;
    if !source.is_undefined() {
        if !is_object(ctx, &source)? {
            return Err(type_error(ctx, "underlyingSource must be an object"));
        }
        let object = source.as_object().expect("an object");
        let kind: Value = object.get("type")?;
        if !kind.is_undefined() {
            if text(&kind)? != "bytes" {
                return Err(type_error(ctx, "invalid underlying source type"));
            }
            bytes = true;
        }
        for (slot, name) in given.iter_mut().zip(["start", "pull", "cancel"]) {
            if object.contains_key(name)? {
                *slot = Some(object.get::<_, Value>(name)?);
            }
        }
        // Go exports the source into a struct: this field is a number.
        let chunk_size: Value = object.get("auto_allocate_chunk_size")?;
        if !is_nullish(&chunk_size) && !chunk_size.is_object() {
            return Err(type_error(ctx, "invalid underlying source object"));
        }
    }
    if bytes {
        return Err(not_supported(ctx, "'bytes' stream"));
    }
    let size = match size {
        Some(size) if !is_nullish(&size) => match size.into_function() {
            Some(size) => Some(size),
            None => return Err(type_error(ctx, "size must be a function")),
        },
        _ => None,
    };
    let high_water_mark = number(&high_water_mark)
        .filter(|n| *n >= 0.0)
        .ok_or_else(|| super::range_error(ctx, "highWaterMark must be a non-negative number"))?;
    let [start, pull, cancel] = given;
    let start = algorithm(ctx, "start", start)?;
    let stream = Class::instance(
        ctx.clone(),
        Stream {
            state: State::Readable,
            stored_error: undefined.clone(),
            reader: None,
            queue: VecDeque::new(),
            queue_size: 0.0,
            started: false,
            close_requested: false,
            pulling: false,
            pull_again: false,
            high_water_mark,
            source: source.clone(),
            pull: algorithm(ctx, "pull", pull)?,
            cancel: algorithm(ctx, "cancel", cancel)?,
            size,
            controller: None,
        },
    )?;
    let controller = controller_methods(ctx, &stream)?;
    stream.borrow_mut().controller = Some(controller);
    start_source(ctx, &stream, start)?;
    members(ctx, &stream)?;
    // A Go object in k6: scripts cannot add properties to it.
    let object: Object = ctx.globals().get("Object")?;
    if let Some(prevent) = object.get::<_, Option<Function>>("preventExtensions")? {
        prevent.call::<_, Value>((stream.clone(),))?;
    }
    Ok(stream.into_value())
}

/// A number, boxed or not (`None` for anything else and NaN).
fn number(value: &Value<'_>) -> Option<f64> {
    let n = match value.as_number() {
        Some(n) => n,
        None => {
            let object = value.as_object()?;
            let class: Constructor = value.ctx().globals().get("Number").ok()?;
            if !object.is_instance_of(&class) {
                return None;
            }
            js::to_number(value).ok()?
        }
    };
    (!n.is_nan()).then_some(n)
}

/// The stream's own members, in k6's order: its Go struct's fields
/// (`locked` follows the reader) and methods.
fn members<'js>(ctx: &Ctx<'js>, stream: &StreamClass<'js>) -> rquickjs::Result<()> {
    let target = stream.clone().into_value();
    stream.prop("locked", Property::from(false).writable().enumerable())?;
    stream.prop(
        "source",
        Property::from(Value::new_null(ctx.clone()))
            .writable()
            .enumerable(),
    )?;
    for (name, op) in [
        ("cancel", StreamOp::Cancel),
        ("getReader", StreamOp::GetReader),
        ("tee", StreamOp::Tee),
    ] {
        fixed(
            stream,
            name,
            Method::function(ctx, Op::Stream(op), target.clone())?,
        )?;
    }
    Ok(())
}

/// The controller's methods, on the object every controller handed to
/// the source inherits from (k6 makes a new controller per call).
fn controller_methods<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<Object<'js>> {
    let target = stream.clone().into_value();
    let methods = Object::new(ctx.clone())?;
    let desired = Method::function(ctx, Op::Stream(StreamOp::DesiredSize), target.clone())?;
    methods.prop("desiredSize", Getter(desired))?;
    for (name, op) in [
        ("constructor", StreamOp::ControllerConstructor),
        ("close", StreamOp::Close),
        ("enqueue", StreamOp::Enqueue),
        ("error", StreamOp::Error),
    ] {
        fixed(
            &methods,
            name,
            Method::function(ctx, Op::Stream(op), target.clone())?,
        )?;
    }
    Ok(methods)
}

fn controller_object<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<Object<'js>> {
    let controller = Object::new(ctx.clone())?;
    controller.set_prototype(stream.borrow().controller.as_ref())?;
    Ok(controller)
}

/// Calls the source's `start` (its exception is the constructor's) and
/// starts pulling once the promise it may return is fulfilled.
fn start_source<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
    start: Option<Function<'js>>,
) -> rquickjs::Result<()> {
    let started = match start {
        Some(start) => {
            let source = stream.borrow().source.clone();
            start.call::<_, Value>((This(source), controller_object(ctx, stream)?))?
        }
        None => Value::new_undefined(ctx.clone()),
    };
    let promise = match started.as_promise() {
        Some(promise) => {
            // k6 errors the stream at once for a promise already rejected.
            if promise.state() == PromiseState::Rejected {
                let reason = promise
                    .result::<Value>()
                    .map_or_else(|| Value::new_undefined(ctx.clone()), |_| ctx.catch());
                error_controller(stream, reason)?;
            }
            promise.clone()
        }
        None => resolved(ctx, started)?,
    };
    reactions(
        ctx,
        stream,
        &promise,
        StreamOp::Started,
        StreamOp::StartFailed,
    )
}

/// Calls `fulfilled` or `rejected` on `stream` once `promise` settles.
fn reactions<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
    promise: &Promise<'js>,
    fulfilled: StreamOp,
    rejected: StreamOp,
) -> rquickjs::Result<()> {
    let (fulfilled, rejected) = (Op::Stream(fulfilled), Op::Stream(rejected));
    react(ctx, promise, fulfilled, rejected, stream.as_value()).map(drop)
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

fn can_close_or_enqueue(s: &Stream<'_>) -> bool {
    !s.close_requested && s.state == State::Readable
}

fn desired_size(s: &Stream<'_>) -> Option<f64> {
    match s.state {
        State::Errored => None,
        State::Closed => Some(0.0),
        State::Readable => Some(s.high_water_mark - s.queue_size),
    }
}

fn pending_reads(s: &Stream<'_>) -> usize {
    s.reader
        .as_ref()
        .map_or(0, |reader| reader.borrow().requests.len())
}

/// The standard's ReadableStreamDefaultControllerClearAlgorithms.
fn clear_algorithms(s: &mut Stream<'_>) {
    s.pull = None;
    s.cancel = None;
    s.size = None;
}

fn reset_queue(s: &mut Stream<'_>) {
    s.queue.clear();
    s.queue_size = 0.0;
}

/// The next chunk of the queue, if any (for a read).
pub(super) fn dequeue<'js>(stream: &StreamClass<'js>) -> Option<Value<'js>> {
    let mut s = stream.borrow_mut();
    let (chunk, size) = s.queue.pop_front()?;
    // Rounding must not leave a negative total.
    s.queue_size = (s.queue_size - size).max(0.0);
    Some(chunk)
}

/// After a read took a chunk: closes the stream if that was the last of a
/// closed source, else asks for more.
pub(super) fn after_dequeue<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<()> {
    let drained = {
        let mut s = stream.borrow_mut();
        let drained = s.close_requested && s.queue.is_empty();
        if drained {
            clear_algorithms(&mut s);
        }
        drained
    };
    match drained {
        true => close_stream(ctx, stream),
        false => call_pull_if_needed(ctx, stream),
    }
}

/// ReadableStreamClose: pending reads end with `done`.
fn close_stream<'js>(ctx: &Ctx<'js>, stream: &StreamClass<'js>) -> rquickjs::Result<()> {
    let reader = {
        let mut s = stream.borrow_mut();
        s.state = State::Closed;
        s.reader.clone()
    };
    match reader {
        Some(reader) => reader::closed_stream(ctx, &reader),
        None => Ok(()),
    }
}

/// ReadableStreamDefaultControllerError: the stream keeps `e` for every
/// read to come; pending reads and `closed` reject with it.
fn error_controller<'js>(stream: &StreamClass<'js>, e: Value<'js>) -> rquickjs::Result<()> {
    let reader = {
        let mut s = stream.borrow_mut();
        if s.state != State::Readable {
            return Ok(());
        }
        reset_queue(&mut s);
        clear_algorithms(&mut s);
        s.state = State::Errored;
        s.stored_error = e.clone();
        s.reader.clone()
    };
    match reader {
        Some(reader) => reader::errored_stream(&reader, e),
        None => Ok(()),
    }
}

fn close_controller<'js>(ctx: &Ctx<'js>, stream: &StreamClass<'js>) -> rquickjs::Result<()> {
    let now = {
        let mut s = stream.borrow_mut();
        s.close_requested = true;
        let now = s.queue.is_empty();
        if now {
            clear_algorithms(&mut s);
        }
        now
    };
    match now {
        true => close_stream(ctx, stream),
        false => Ok(()),
    }
}

/// `controller.enqueue(chunk)`: to a pending read, else into the queue
/// with its size (a size function that throws or answers no size errors
/// the stream and throws).
fn enqueue<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
    chunk: Value<'js>,
) -> rquickjs::Result<()> {
    let reader = stream.borrow().reader.clone();
    let request = reader.and_then(|reader| reader.borrow_mut().requests.pop_front());
    if let Some(request) = request {
        request.fulfill(ctx, chunk)?;
    } else {
        let size = stream.borrow().size.clone();
        let size = match size {
            None => 1.0,
            Some(size) => match size.call::<_, Value>((chunk.clone(),)) {
                Ok(size) => js::to_number(&size)?,
                Err(error) => {
                    let thrown = caught(ctx, error)?;
                    error_controller(stream, thrown.clone())?;
                    return Err(ctx.throw(thrown));
                }
            },
        };
        if size.is_nan() || size < 0.0 || size.is_infinite() {
            let error = super::range_error(ctx, "size must be a finite, non-NaN number");
            let thrown = super::error_value(ctx, error);
            error_controller(stream, thrown.clone())?;
            return Err(ctx.throw(thrown));
        }
        let mut s = stream.borrow_mut();
        s.queue.push_back((chunk, size));
        s.queue_size += size;
    }
    call_pull_if_needed(ctx, stream)
}

/// ReadableStreamDefaultControllerCallPullIfNeeded: one `pull` at a
/// time, again when asked while one was running.
pub(super) fn call_pull_if_needed<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<()> {
    let pull = {
        let mut s = stream.borrow_mut();
        let wanted = can_close_or_enqueue(&s)
            && s.started
            && (pending_reads(&s) > 0 || desired_size(&s).is_some_and(|size| size > 0.0));
        if !wanted {
            return Ok(());
        }
        if s.pulling {
            s.pull_again = true;
            return Ok(());
        }
        s.pulling = true;
        s.pull.clone().map(|pull| (pull, s.source.clone()))
    };
    let pulled = match pull {
        None => resolved(ctx, Value::new_undefined(ctx.clone()))?,
        Some((pull, source)) => {
            let controller = controller_object(ctx, stream)?;
            match pull.call::<_, Value>((This(source), controller)) {
                Ok(value) => match value.as_promise() {
                    Some(promise) => promise.clone(),
                    None => resolved(ctx, value)?,
                },
                Err(error) => rejected(ctx, caught(ctx, error)?)?,
            }
        }
    };
    reactions(ctx, stream, &pulled, StreamOp::Pulled, StreamOp::PullFailed)
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
