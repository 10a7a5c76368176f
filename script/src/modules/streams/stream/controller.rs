//! The stream's default controller: its queue with the chunks' sizes,
//! the source's `start` and `pull`, and closing and erroring the stream,
//! as the standard's ReadableStreamDefaultController algorithms run them.

use rquickjs::function::This;
use rquickjs::promise::PromiseState;
use rquickjs::{Ctx, Function, Object, Promise, Value};

use super::{State, Stream, StreamClass, StreamOp};
use crate::js;
use crate::modules::streams::{self, reader};
use crate::modules::streams::{
    caught, fixed, getter_property, react, rejected, resolved, Method, Op,
};

/// The controller's methods, on the object every controller handed to
/// the source inherits from (k6 makes a new controller per call).
pub(super) fn controller_methods<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<Object<'js>> {
    let target = stream.clone().into_value();
    let methods = Object::new(ctx.clone())?;
    let desired = Method::function(ctx, Op::Stream(StreamOp::DesiredSize), target.clone())?;
    methods.prop("desiredSize", getter_property(desired))?;
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

/// A new controller object, as k6 hands the source one per call.
pub(super) fn controller_object<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<Object<'js>> {
    let controller = Object::new(ctx.clone())?;
    controller.set_prototype(stream.borrow().controller.as_ref())?;
    Ok(controller)
}

/// Calls the source's `start` (its exception is the constructor's) and
/// starts pulling once the promise it may return is fulfilled.
pub(super) fn start_source<'js>(
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
pub(super) fn reactions<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
    promise: &Promise<'js>,
    fulfilled: StreamOp,
    rejected: StreamOp,
) -> rquickjs::Result<()> {
    let (fulfilled, rejected) = (Op::Stream(fulfilled), Op::Stream(rejected));
    react(ctx, promise, fulfilled, rejected, stream.as_value()).map(drop)
}

pub(super) fn can_close_or_enqueue(s: &Stream<'_>) -> bool {
    !s.close_requested && s.state == State::Readable
}

pub(super) fn desired_size(s: &Stream<'_>) -> Option<f64> {
    match s.state {
        State::Errored => None,
        State::Closed => Some(0.0),
        State::Readable => Some(s.high_water_mark - s.queue_size),
    }
}

pub(super) fn pending_reads(s: &Stream<'_>) -> usize {
    s.reader
        .as_ref()
        .map_or(0, |reader| reader.borrow().requests.len())
}

/// The standard's ReadableStreamDefaultControllerClearAlgorithms.
pub(super) fn clear_algorithms(s: &mut Stream<'_>) {
    s.pull = None;
    s.cancel = None;
    s.size = None;
}

pub(super) fn reset_queue(s: &mut Stream<'_>) {
    s.queue.clear();
    s.queue_size = 0.0;
}

/// The next chunk of the queue, if any (for a read).
pub(crate) fn dequeue<'js>(stream: &StreamClass<'js>) -> Option<Value<'js>> {
    let mut s = stream.borrow_mut();
    let (chunk, size) = s.queue.pop_front()?;
    // Rounding must not leave a negative total.
    s.queue_size = (s.queue_size - size).max(0.0);
    Some(chunk)
}

/// After a read took a chunk: closes the stream if that was the last of a
/// closed source, else asks for more.
pub(crate) fn after_dequeue<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<()> {
    match close_if_drained(ctx, stream)? {
        true => Ok(()),
        false => call_pull_if_needed(ctx, stream),
    }
}

/// Closes the stream (its source's algorithms cleared) once the source
/// asked to close and the queue is empty; whether it did.
fn close_if_drained<'js>(ctx: &Ctx<'js>, stream: &StreamClass<'js>) -> rquickjs::Result<bool> {
    let drained = {
        let mut s = stream.borrow_mut();
        let drained = s.close_requested && s.queue.is_empty();
        if drained {
            clear_algorithms(&mut s);
        }
        drained
    };
    if drained {
        close_stream(ctx, stream)?;
    }
    Ok(drained)
}

/// ReadableStreamClose: pending reads end with `done`.
pub(super) fn close_stream<'js>(ctx: &Ctx<'js>, stream: &StreamClass<'js>) -> rquickjs::Result<()> {
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
pub(super) fn error_controller<'js>(
    stream: &StreamClass<'js>,
    e: Value<'js>,
) -> rquickjs::Result<()> {
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

/// `controller.close()`: the stream closes once its queue is read.
pub(super) fn close_controller<'js>(
    ctx: &Ctx<'js>,
    stream: &StreamClass<'js>,
) -> rquickjs::Result<()> {
    stream.borrow_mut().close_requested = true;
    close_if_drained(ctx, stream).map(drop)
}

/// `controller.enqueue(chunk)`: to a pending read, else into the queue
/// with its size (a size function that throws or answers no size errors
/// the stream and throws).
pub(super) fn enqueue<'js>(
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
            let error = streams::range_error(ctx, "size must be a finite, non-NaN number");
            let thrown = streams::error_value(ctx, error);
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
pub(crate) fn call_pull_if_needed<'js>(
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
