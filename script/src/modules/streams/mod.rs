//! `k6/experimental/streams`: `ReadableStream` (with its default
//! controller and reader), `ReadableStreamDefaultReader` and
//! `CountQueuingStrategy`, as k6 v1.1.0 has them.
//!
//! What k6 shows a script is kept: the objects' own members (a stream's
//! `locked`, `source`, `cancel`, `getReader`, `tee`; a reader's `closed`,
//! `cancel`, `read`, `releaseLock`; none of them an `instanceof` its
//! constructor), its `TypeError` and `RangeError` messages, the
//! primitives its Go code boxes (a source's cancel rejecting with `"x"`
//! rejects `stream.cancel()` with `new String("x")`), a `null` reason for
//! `cancel()` called without one, and `tee()`, byte streams and BYOB
//! readers refused with k6's `GoError`
//! (`NotSupportedError:'tee()' is not supported yet`).
//!
//! # Layout
//! - this file: the module, `CountQueuingStrategy`, the argument checks
//!   k6 makes, and [`Method`], the callable class of every function the
//!   module hands out after import.
//! - `stream`: the stream (its state, methods and cancel), with
//!   `stream::construct`, the constructor's argument checks, and
//!   `stream::controller`, its controller (queue, pulls, close, error).
//! - `reader`: the default reader (reads, `closed`, releasing the lock).
//!
//! # Memory
//! The module is Rust, not JavaScript glue: glue would cost every VU
//! that imports it its own copy of the compiled functions (~32 KB,
//! measured for this module), where native functions are only objects.
//! Importing makes the three constructors (~2 KB per VU; a VU that does
//! not import the module pays nothing). Each stream and reader makes its
//! own methods, as [`Method`] objects: a Rust closure over a JavaScript
//! value would hide that value from QuickJS's cycle collector (a stream
//! whose source keeps its controller would never be freed), a `Method`
//! traces the object it acts on. State lives in the [`Class`]es `Stream`
//! and `Reader`, borrowed only between calls into JavaScript, never
//! across one (a source's `pull` may call its controller again).

mod reader;
mod stream;

use reader::{Reader, ReaderOp};
use stream::{Stream, StreamOp};

use std::rc::Rc;

use rquickjs::class::{ClassKind, JsCell, JsClass, Readable, Trace, Tracer};
use rquickjs::function::{Params, Rest, This};
use rquickjs::object::Property;
use rquickjs::{Class, Constructor, Ctx, Exception, Function, JsLifetime, Object, Promise, Value};

use super::BuiltinModule;
use crate::state::VuState;
use crate::{binary, js};

/// The `k6/experimental/streams` module.
pub(crate) struct Streams;

impl BuiltinModule for Streams {
    const NAME: &'static str = "k6/experimental/streams";
    const EXPORTS: &'static [&'static str] = &[
        "default",
        "ReadableStream",
        "ReadableStreamDefaultReader",
        "CountQueuingStrategy",
    ];

    fn build<'js>(ctx: &Ctx<'js>, _vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let exports = Object::new(ctx.clone())?;
        let readable = constructor(ctx, "ReadableStream", |ctx, args| {
            stream::construct(&ctx, &args.0)
        })?;
        stream::prototype(ctx, &readable)?;
        exports.set("ReadableStream", readable)?;
        let reader = constructor(ctx, "ReadableStreamDefaultReader", |ctx, args| {
            reader::construct(&ctx, &args.0)
        })?;
        exports.set("ReadableStreamDefaultReader", reader)?;
        let strategy = constructor(ctx, "CountQueuingStrategy", |ctx, args| {
            count_strategy(&ctx, &args.0)
        })?;
        exports.set("CountQueuingStrategy", strategy)?;
        Ok(exports)
    }
}

/// A constructor as k6's Go ones are: callable with or without `new`,
/// counting its arguments, returning an object that is not an
/// `instanceof` it.
fn constructor<'js, F>(ctx: &Ctx<'js>, name: &str, f: F) -> rquickjs::Result<Function<'js>>
where
    F: Fn(Ctx<'js>, Rest<Value<'js>>) -> rquickjs::Result<Value<'js>> + 'js,
{
    let function = js::function(ctx, name, f)?;
    function.set_constructor(true);
    let prototype = Object::new(ctx.clone())?;
    prototype.prop(
        "constructor",
        Property::from(function.clone()).writable().configurable(),
    )?;
    function.set("prototype", prototype)?;
    Ok(function)
}

/// `new CountQueuingStrategy({ highWaterMark })`: a plain object with a
/// read-only `highWaterMark` and a `size` counting every chunk 1.
fn count_strategy<'js>(ctx: &Ctx<'js>, args: &[Value<'js>]) -> rquickjs::Result<Value<'js>> {
    let [init] = args else {
        return Err(type_error(
            ctx,
            "CountQueuingStrategy takes a single argument",
        ));
    };
    let high_water_mark = strategy_high_water_mark(ctx, init)?;
    let strategy = Object::new(ctx.clone())?;
    strategy.prop(
        "highWaterMark",
        Property::from(high_water_mark).enumerable(),
    )?;
    let size = Method::function(ctx, Op::Size, Value::new_undefined(ctx.clone()))?;
    strategy.prop("size", Property::from(size).enumerable())?;
    Ok(strategy.into_value())
}

/// The `highWaterMark` of an object given as a `CountQueuingStrategy`'s
/// argument, with k6's errors.
fn strategy_high_water_mark<'js>(
    ctx: &Ctx<'js>,
    init: &Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    if !is_object(ctx, init)? {
        return Err(type_error(
            ctx,
            "CountQueuingStrategy argument must be an object",
        ));
    }
    let high_water_mark: Value = init.as_object().expect("an object").get("highWaterMark")?;
    if is_nullish(&high_water_mark) {
        return Err(type_error(
            ctx,
            "CountQueuingStrategy argument must have 'highWaterMark' property",
        ));
    }
    Ok(high_water_mark)
}

/// Whether k6 takes `value` for an object (a Go map once exported):
/// plain objects, class instances, errors, regexps, boxed strings; not
/// arrays, functions, dates, boxed numbers and booleans, collections,
/// promises, buffers, typed arrays or proxies.
fn is_object<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<bool> {
    let Some(object) = value.as_object() else {
        return Ok(false);
    };
    if value.is_array() || value.is_function() || value.is_promise() || value.is_proxy() {
        return Ok(false);
    }
    for name in [
        "Date", "Number", "Boolean", "Symbol", "BigInt", "Map", "Set",
    ] {
        // A deferred class has no objects (`globals::lazy`).
        let class = crate::globals::lazy::class_if_used(ctx, name)?;
        if class.is_some_and(|class| class.is_function() && object.is_instance_of(&class)) {
            return Ok(false);
        }
    }
    // Buffers and typed arrays by class: asking doesn't install them
    // (`globals::lazy`).
    let bytes = binary::is_array_buffer(object) || binary::is_typed_array(object);
    Ok(!bytes)
}

fn is_nullish(value: &Value<'_>) -> bool {
    value.is_undefined() || value.is_null()
}

/// Go's text of a value (`String()`, but a symbol is its description).
fn text(value: &Value<'_>) -> rquickjs::Result<String> {
    if let Some(symbol) = value.as_symbol() {
        let description = symbol.description()?;
        return match description.as_string() {
            Some(description) => description.to_string(),
            None => Ok(String::new()),
        };
    }
    js::to_string(value)
}

/// Throws the intrinsic `TypeError` (a script's `TypeError` global may be
/// anything).
fn type_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_type(ctx, message)
}

/// Throws the intrinsic `RangeError`.
fn range_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_range(ctx, message)
}

/// An intrinsic error as a value, to reject with or to keep.
fn error_value<'js>(ctx: &Ctx<'js>, thrown: rquickjs::Error) -> Value<'js> {
    debug_assert!(matches!(thrown, rquickjs::Error::Exception));
    ctx.catch()
}

/// k6's `GoError` for what it does not support, whose `value` is the
/// `{ name, message }` it wraps.
fn not_supported(ctx: &Ctx<'_>, what: &str) -> rquickjs::Error {
    let message = format!("{what} is not supported yet");
    let built = (|| -> rquickjs::Result<Object<'_>> {
        let error = Exception::from_message(ctx.clone(), "")?.into_inner();
        // `from_message` sets an enumerable `message`; an error's own is not.
        error.remove("message")?;
        let text = format!("NotSupportedError:{message}");
        error.prop("message", Property::from(text).writable().configurable())?;
        error.prop("name", Property::from("GoError").writable().configurable())?;
        let value = Object::new(ctx.clone())?;
        value.set("name", "NotSupportedError")?;
        value.set("message", message.as_str())?;
        error.set("value", value)?;
        Ok(error)
    })();
    match built {
        Ok(error) => ctx.throw(error.into_value()),
        Err(error) => error,
    }
}

/// What a script's function threw, to reject a promise with; an
/// interrupt (the VU is being stopped) unwinds on.
fn caught<'js>(ctx: &Ctx<'js>, error: rquickjs::Error) -> rquickjs::Result<Value<'js>> {
    if !matches!(error, rquickjs::Error::Exception) {
        return Err(error);
    }
    let thrown = ctx.catch();
    if thrown.is_uncatchable_error() {
        return Err(ctx.throw(thrown));
    }
    Ok(thrown)
}

/// k6 rejects with some values after boxing them as Go does: `undefined`
/// stays, `null` cannot be boxed (a `TypeError`), a primitive becomes
/// its object.
fn boxed<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Value<'js>> {
    if value.is_undefined() || value.is_object() {
        return Ok(value);
    }
    if value.is_null() {
        return Err(type_error(
            ctx,
            "Cannot convert undefined or null to object",
        ));
    }
    let object: Function = ctx.globals().get("Object")?;
    object.call((value,))
}

fn resolved<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Promise<'js>> {
    let (promise, resolve, _) = ctx.promise()?;
    resolve.call::<_, ()>((value,))?;
    Ok(promise)
}

fn rejected<'js>(ctx: &Ctx<'js>, reason: Value<'js>) -> rquickjs::Result<Promise<'js>> {
    let (promise, _, reject) = ctx.promise()?;
    reject.call::<_, ()>((reason,))?;
    Ok(promise)
}

/// `promise.then(fulfilled, rejected)` with two [`Method`]s on `target`.
fn react<'js>(
    ctx: &Ctx<'js>,
    promise: &Promise<'js>,
    fulfilled: Op,
    rejected: Op,
    target: &Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let then: Function = promise.get("then")?;
    then.call((
        This(promise.clone()),
        Method::function(ctx, fulfilled, target.clone())?,
        Method::function(ctx, rejected, target.clone())?,
    ))
}

/// The `{ value, done }` a read resolves with.
fn read_result<'js>(ctx: &Ctx<'js>, value: Value<'js>, done: bool) -> rquickjs::Result<Value<'js>> {
    let result = Object::new(ctx.clone())?;
    // Defined, not set: a setter a script put on `Object.prototype` must
    // not run here.
    result.prop(
        "value",
        Property::from(value).writable().enumerable().configurable(),
    )?;
    result.prop(
        "done",
        Property::from(done).writable().enumerable().configurable(),
    )?;
    Ok(result.into_value())
}

/// A read-only, enumerable, non-configurable data property (how k6
/// defines the methods of its objects).
fn fixed<'js>(
    object: &Object<'js>,
    name: &str,
    value: impl rquickjs::IntoJs<'js>,
) -> rquickjs::Result<()> {
    object.prop(name, Property::from(value).enumerable())
}

/// An enumerable, non-configurable accessor whose getter is `get`.
fn getter_property(get: Function<'_>) -> js::FnAccessor<'_> {
    js::FnAccessor {
        get,
        set: None,
        enumerable: true,
        configurable: false,
    }
}

/// What a [`Method`] does when called.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// A method of a stream or its controller, or a reaction to its
    /// source's promises.
    Stream(StreamOp),
    /// A method of a reader.
    Reader(ReaderOp),
    /// The `locked` getter of the streams' prototype (reads `this`).
    Locked,
    /// `CountQueuingStrategy`'s `size`: 1.
    Size,
    /// Reactions to the source's `cancel` promise: `undefined`, or the
    /// reason boxed.
    Cancelled,
    CancelFailed,
}

/// A function the module hands out: what it does ([`Op`]) and the stream
/// or reader it does it to, which QuickJS traces (see the module docs).
pub(crate) struct Method<'js> {
    op: Op,
    target: Value<'js>,
}

impl<'js> Method<'js> {
    fn function(ctx: &Ctx<'js>, op: Op, target: Value<'js>) -> rquickjs::Result<Function<'js>> {
        let method = Class::instance(ctx.clone(), Method { op, target })?;
        Function::from_value(method.into_value())
    }
}

/// The first argument, `undefined` when there is none.
fn arg<'js>(params: &Params<'_, 'js>, index: usize) -> Value<'js> {
    params
        .arg(index)
        .unwrap_or_else(|| Value::new_undefined(params.ctx().clone()))
}

/// A `cancel(reason)`'s reason: k6 cancels with `null` when there is none.
fn reason<'js>(params: &Params<'_, 'js>) -> Value<'js> {
    params
        .arg(0)
        .unwrap_or_else(|| Value::new_null(params.ctx().clone()))
}

impl<'js> JsClass<'js> for Method<'js> {
    const NAME: &'static str = "Function";
    const KIND: ClassKind = ClassKind::Callable;
    type Mutable = Readable;

    fn prototype(ctx: &Ctx<'js>) -> rquickjs::Result<Option<Object<'js>>> {
        // `Function.prototype`, so that `call`, `apply` and `bind` work.
        Ok(Function::new(ctx.clone(), || ())?.get_prototype())
    }

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }

    fn call<'a>(this: &JsCell<'js, Self>, params: Params<'a, 'js>) -> rquickjs::Result<Value<'js>> {
        let (op, target) = {
            let method = this.borrow();
            (method.op, method.target.clone())
        };
        let ctx = params.ctx().clone();
        match op {
            Op::Stream(op) => {
                let stream = Class::<Stream>::from_value(&target)?;
                stream::call(&ctx, &stream, op, &params)
            }
            Op::Reader(op) => {
                let reader = Class::<Reader>::from_value(&target)?;
                reader::call(&ctx, &reader, op, &params)
            }
            Op::Locked => Ok(Value::new_bool(ctx, stream::locked(&params.this()))),
            Op::Size => Ok(Value::new_int(ctx, 1)),
            Op::Cancelled => Ok(Value::new_undefined(ctx)),
            Op::CancelFailed => Err(ctx.throw(boxed(&ctx, arg(&params, 0))?)),
        }
    }
}

// SAFETY: a `Method` holds a value of its context only, and moves with
// that context's lifetime.
#[allow(unsafe_code)]
unsafe impl<'js> JsLifetime<'js> for Method<'js> {
    type Changed<'to> = Method<'to>;
}

impl<'js> Trace<'js> for Method<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        self.target.trace(tracer);
    }
}
