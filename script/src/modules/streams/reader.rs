//! The default reader: `read()` takes a queued chunk or waits for one,
//! `closed` settles with the stream, `releaseLock()` unlocks the stream
//! and fails what was waiting, `cancel(reason)` cancels the stream.

use std::collections::VecDeque;

use rquickjs::class::{JsClass, Trace, Tracer, Writable};
use rquickjs::function::Params;
use rquickjs::{Class, Constructor, Ctx, Function, JsLifetime, Object, Value};

use super::stream::{self, State, Stream};
use super::{
    boxed, error_value, fixed, getter_property, read_result, reason, rejected, type_error, Method,
    Op,
};

/// What a reader's [`Method`] does: `closed`, `cancel(reason)`, `read()`,
/// `releaseLock()`.
#[derive(Clone, Copy, Debug)]
pub(super) enum ReaderOp {
    Closed,
    Cancel,
    Read,
    ReleaseLock,
}

/// A reader's state; the reader object scripts see is its class object.
pub(crate) struct Reader<'js> {
    /// `None` once released.
    stream: Option<Class<'js, Stream<'js>>>,
    /// Reads waiting for a chunk.
    pub(super) requests: VecDeque<Request<'js>>,
    closed: Value<'js>,
    /// Settle `closed` while the reader holds the stream.
    resolve: Function<'js>,
    reject: Function<'js>,
}

/// A read waiting for a chunk: its promise's functions.
pub(super) struct Request<'js> {
    resolve: Function<'js>,
    reject: Function<'js>,
}

impl<'js> Request<'js> {
    /// Resolves the read with `chunk`.
    pub(super) fn fulfill(self, ctx: &Ctx<'js>, chunk: Value<'js>) -> rquickjs::Result<()> {
        self.resolve.call((read_result(ctx, chunk, false)?,))
    }
}

type ReaderClass<'js> = Class<'js, Reader<'js>>;

/// `new ReadableStreamDefaultReader(stream)`.
pub(super) fn construct<'js>(ctx: &Ctx<'js>, args: &[Value<'js>]) -> rquickjs::Result<Value<'js>> {
    let [stream] = args else {
        return Err(type_error(
            ctx,
            "ReadableStreamDefaultReader takes a single argument",
        ));
    };
    match Class::<Stream>::from_value(stream) {
        Ok(stream) => acquire(ctx, &stream),
        Err(_) => Err(type_error(
            ctx,
            "ReadableStreamDefaultReader argument must be a ReadableStream",
        )),
    }
}

/// A reader locking `stream` (AcquireReadableStreamDefaultReader).
pub(super) fn acquire<'js>(
    ctx: &Ctx<'js>,
    stream: &Class<'js, Stream<'js>>,
) -> rquickjs::Result<Value<'js>> {
    if stream.borrow().reader.is_some() {
        return Err(type_error(ctx, "stream is locked"));
    }
    let (closed, resolve, reject) = ctx.promise()?;
    let reader = Class::instance(
        ctx.clone(),
        Reader {
            stream: Some(stream.clone()),
            requests: VecDeque::new(),
            closed: closed.into_value(),
            resolve: resolve.clone(),
            reject: reject.clone(),
        },
    )?;
    let (state, stored) = {
        let mut s = stream.borrow_mut();
        s.reader = Some(reader.clone());
        (s.state, s.stored_error.clone())
    };
    stream.set("locked", true)?;
    match state {
        State::Readable => {}
        State::Closed => resolve.call::<_, ()>((Value::new_undefined(ctx.clone()),))?,
        // As in k6, a stored error that cannot be boxed (`null`) throws
        // with the stream already locked.
        State::Errored => reject.call::<_, ()>((boxed(ctx, stored)?,))?,
    }
    let target = reader.clone().into_value();
    let getter = Method::function(ctx, Op::Reader(ReaderOp::Closed), target.clone())?;
    reader.prop("closed", getter_property(getter))?;
    for (name, op) in [
        ("cancel", ReaderOp::Cancel),
        ("read", ReaderOp::Read),
        ("releaseLock", ReaderOp::ReleaseLock),
    ] {
        fixed(
            &reader,
            name,
            Method::function(ctx, Op::Reader(op), target.clone())?,
        )?;
    }
    Ok(reader.into_value())
}

/// A [`Method`] of the reader.
pub(super) fn call<'js>(
    ctx: &Ctx<'js>,
    reader: &ReaderClass<'js>,
    op: ReaderOp,
    params: &Params<'_, 'js>,
) -> rquickjs::Result<Value<'js>> {
    match op {
        ReaderOp::Closed => Ok(reader.borrow().closed.clone()),
        ReaderOp::Cancel => cancel(ctx, reader, reason(params)),
        ReaderOp::Read => read(ctx, reader),
        ReaderOp::ReleaseLock => {
            release_lock(ctx, reader)?;
            Ok(Value::new_undefined(ctx.clone()))
        }
    }
}

/// The stream of a reader not released, else a promise rejected with
/// k6's `TypeError`.
fn stream_of<'js>(
    ctx: &Ctx<'js>,
    reader: &ReaderClass<'js>,
) -> rquickjs::Result<Result<Class<'js, Stream<'js>>, Value<'js>>> {
    match reader.borrow().stream.clone() {
        Some(stream) => Ok(Ok(stream)),
        None => {
            let released = error_value(ctx, type_error(ctx, "stream is undefined"));
            Ok(Err(rejected(ctx, released)?.into_value()))
        }
    }
}

/// `reader.cancel(reason)`.
fn cancel<'js>(
    ctx: &Ctx<'js>,
    reader: &ReaderClass<'js>,
    reason: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    match stream_of(ctx, reader)? {
        Ok(stream) => stream::cancel(ctx, &stream, reason),
        Err(rejection) => Ok(rejection),
    }
}

/// `reader.read()`: a promise of `{ value, done }`.
fn read<'js>(ctx: &Ctx<'js>, reader: &ReaderClass<'js>) -> rquickjs::Result<Value<'js>> {
    let stream = match stream_of(ctx, reader)? {
        Ok(stream) => stream,
        Err(rejection) => return Ok(rejection),
    };
    let (promise, resolve, reject) = ctx.promise()?;
    let (state, stored) = {
        let s = stream.borrow();
        (s.state, s.stored_error.clone())
    };
    match state {
        State::Closed => {
            let done = read_result(ctx, Value::new_undefined(ctx.clone()), true)?;
            resolve.call::<_, ()>((done,))?;
        }
        State::Errored => reject.call::<_, ()>((stored,))?,
        State::Readable => match stream::dequeue(&stream) {
            Some(chunk) => {
                stream::after_dequeue(ctx, &stream)?;
                resolve.call::<_, ()>((read_result(ctx, chunk, false)?,))?;
            }
            None => {
                let request = Request { resolve, reject };
                reader.borrow_mut().requests.push_back(request);
                stream::call_pull_if_needed(ctx, &stream)?;
            }
        },
    }
    Ok(promise.into_value())
}

/// `reader.releaseLock()`: `closed` rejects (the very promise while the
/// stream is readable, a new one after), as do the reads still waiting.
fn release_lock<'js>(ctx: &Ctx<'js>, reader: &ReaderClass<'js>) -> rquickjs::Result<()> {
    let Some(stream) = reader.borrow().stream.clone() else {
        return Ok(());
    };
    if stream.borrow().state == State::Readable {
        let error = error_value(ctx, type_error(ctx, "stream is readable"));
        let reject = reader.borrow().reject.clone();
        reject.call::<_, ()>((error,))?;
    } else {
        let error = error_value(ctx, type_error(ctx, "stream is not readable"));
        reader.borrow_mut().closed = rejected(ctx, error)?.into_value();
    }
    stream.borrow_mut().reader = None;
    stream.set("locked", false)?;
    let requests = {
        let mut r = reader.borrow_mut();
        r.stream = None;
        std::mem::take(&mut r.requests)
    };
    let released = error_value(ctx, type_error(ctx, "reader released"));
    for request in requests {
        request.reject.call::<_, ()>((released.clone(),))?;
    }
    Ok(())
}

/// The stream closed: `closed` resolves, waiting reads end with `done`.
pub(super) fn closed_stream<'js>(
    ctx: &Ctx<'js>,
    reader: &ReaderClass<'js>,
) -> rquickjs::Result<()> {
    let (resolve, requests) = {
        let mut r = reader.borrow_mut();
        (r.resolve.clone(), std::mem::take(&mut r.requests))
    };
    let undefined = Value::new_undefined(ctx.clone());
    resolve.call::<_, ()>((undefined.clone(),))?;
    for request in requests {
        request
            .resolve
            .call::<_, ()>((read_result(ctx, undefined.clone(), true)?,))?;
    }
    Ok(())
}

/// The stream errored with `e`: `closed` and waiting reads reject with it.
pub(super) fn errored_stream<'js>(
    reader: &ReaderClass<'js>,
    e: Value<'js>,
) -> rquickjs::Result<()> {
    let (reject, requests) = {
        let mut r = reader.borrow_mut();
        (r.reject.clone(), std::mem::take(&mut r.requests))
    };
    reject.call::<_, ()>((e.clone(),))?;
    for request in requests {
        request.reject.call::<_, ()>((e.clone(),))?;
    }
    Ok(())
}

// SAFETY: a `Reader` holds values of its context only, and moves with
// that context's lifetime.
#[allow(unsafe_code)]
unsafe impl<'js> JsLifetime<'js> for Reader<'js> {
    type Changed<'to> = Reader<'to>;
}

impl<'js> Trace<'js> for Reader<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        self.stream.trace(tracer);
        for request in &self.requests {
            request.resolve.trace(tracer);
            request.reject.trace(tracer);
        }
        self.closed.trace(tracer);
        self.resolve.trace(tracer);
        self.reject.trace(tracer);
    }
}

impl<'js> JsClass<'js> for Reader<'js> {
    const NAME: &'static str = "ReadableStreamDefaultReader";
    type Mutable = Writable;

    fn prototype(ctx: &Ctx<'js>) -> rquickjs::Result<Option<Object<'js>>> {
        // k6's reader is a plain object.
        Ok(Object::new(ctx.clone())?.get_prototype())
    }

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }
}
