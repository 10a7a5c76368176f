//! `new ReadableStream(underlyingSource, strategy)`: the checks k6 makes
//! of its arguments, in k6's order, and the stream's own members.

use std::collections::VecDeque;

use rquickjs::object::Property;
use rquickjs::{Class, Constructor, Ctx, Function, Object, Value};

use super::controller::{controller_methods, start_source};
use super::{State, Stream, StreamClass, StreamOp};
use crate::js;
use crate::modules::streams;
use crate::modules::streams::{
    fixed, is_nullish, is_object, not_supported, strategy_high_water_mark, text, type_error,
    Method, Op,
};

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
pub(crate) fn construct<'js>(ctx: &Ctx<'js>, args: &[Value<'js>]) -> rquickjs::Result<Value<'js>> {
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
        .ok_or_else(|| streams::range_error(ctx, "highWaterMark must be a non-negative number"))?;
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
