//! Replies as k6 hands them to JavaScript: go-redis's typed results
//! (strings, `int64` numbers, booleans, string slices, maps) and, for
//! `sendCommand`, whatever the reply was (RESP2: strings, numbers,
//! arrays, `null` inside arrays, error replies inside arrays as errors).

use redis::Value;
use rquickjs::{Array, Ctx, IntoJs, Object};

use super::commands::Reply;
use super::error::{server_line, Error};

/// Why a reply can't be what the method returns.
fn unexpected(value: &Value) -> Error {
    Error::Client(format!("redis: unexpected reply {value:?}"))
}

/// A reply's bytes as a (Go) string.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) => Some(text.clone()),
        Value::Okay => Some("OK".into()),
        Value::Int(n) => Some(n.to_string()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Double(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok()?.parse().ok(),
        Value::SimpleString(text) => text.parse().ok(),
        _ => None,
    }
}

fn items(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) | Value::Set(items) => Some(items),
        _ => None,
    }
}

/// `value` as what `reply` makes of it: the JavaScript value, or the
/// error to reject with.
pub(super) fn to_js<'js>(
    ctx: &Ctx<'js>,
    reply: Reply,
    value: Value,
) -> rquickjs::Result<Result<rquickjs::Value<'js>, Error>> {
    if matches!(value, Value::Nil) && reply != Reply::Hash {
        // go-redis's `redis.Nil` for every typed result and for `Do`.
        return Ok(Err(Error::Nil));
    }
    let done = |converted: Option<rquickjs::Value<'js>>| match converted {
        Some(js) => Ok(Ok(js)),
        None => Ok(Err(unexpected(&value))),
    };
    match reply {
        Reply::Text => done(text(&value).map(|t| t.into_js(ctx)).transpose()?),
        Reply::Number => done(
            number(&value)
                .map(|n| (n as f64).into_js(ctx))
                .transpose()?,
        ),
        Reply::Bool => done(number(&value).map(|n| (n == 1).into_js(ctx)).transpose()?),
        Reply::Seconds => done(
            number(&value)
                .map(|n| {
                    let seconds = match n {
                        -1 | -2 => n as f64 / 1e9,
                        n => n as f64,
                    };
                    seconds.into_js(ctx)
                })
                .transpose()?,
        ),
        Reply::Texts | Reply::OptionalTexts => {
            let Some(items) = items(&value) else {
                return done(None);
            };
            let array = Array::new(ctx.clone())?;
            for (index, item) in items.iter().enumerate() {
                let js = match (item, reply) {
                    (Value::Nil, Reply::OptionalTexts) => rquickjs::Value::new_null(ctx.clone()),
                    (Value::Nil, _) => return Ok(Err(Error::Nil)),
                    (item, _) => match text(item) {
                        Some(t) => t.into_js(ctx)?,
                        None => return Ok(Err(unexpected(item))),
                    },
                };
                array.set(index, js)?;
            }
            done(Some(array.into_value()))
        }
        Reply::Hash => {
            let object = Object::new(ctx.clone())?;
            match &value {
                Value::Nil => {}
                Value::Map(pairs) => {
                    for (k, v) in pairs {
                        if let (Some(k), Some(v)) = (text(k), text(v)) {
                            object.set(k, v)?;
                        }
                    }
                }
                other => {
                    let Some(items) = items(other) else {
                        return done(None);
                    };
                    for pair in items.chunks(2) {
                        if let [k, v] = pair {
                            if let (Some(k), Some(v)) = (text(k), text(v)) {
                                object.set(k, v)?;
                            }
                        }
                    }
                }
            }
            done(Some(object.into_value()))
        }
        Reply::Any => Ok(Ok(any(ctx, &value)?)),
    }
}

/// `sendCommand`'s reply as sobek turns go-redis's `interface{}`
/// into JavaScript.
fn any<'js>(ctx: &Ctx<'js>, value: &Value) -> rquickjs::Result<rquickjs::Value<'js>> {
    Ok(match value {
        Value::Nil => rquickjs::Value::new_null(ctx.clone()),
        Value::Int(n) => (*n as f64).into_js(ctx)?,
        Value::Double(n) => n.into_js(ctx)?,
        Value::Boolean(b) => b.into_js(ctx)?,
        Value::ServerError(error) => Error::Server(server_line(error)).to_js(ctx)?,
        Value::Array(items) | Value::Set(items) => {
            let array = Array::new(ctx.clone())?;
            for (index, item) in items.iter().enumerate() {
                array.set(index, any(ctx, item)?)?;
            }
            array.into_value()
        }
        Value::Map(pairs) => {
            let array = Array::new(ctx.clone())?;
            for (index, (k, v)) in pairs.iter().enumerate() {
                array.set(2 * index, any(ctx, k)?)?;
                array.set(2 * index + 1, any(ctx, v)?)?;
            }
            array.into_value()
        }
        Value::Attribute { data, .. } => any(ctx, data)?,
        Value::Push { data, .. } => {
            let array = Array::new(ctx.clone())?;
            for (index, item) in data.iter().enumerate() {
                array.set(index, any(ctx, item)?)?;
            }
            array.into_value()
        }
        other => text(other).unwrap_or_default().into_js(ctx)?,
    })
}
