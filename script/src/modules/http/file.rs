//! `http.file()`: the value of a multipart file field.

use std::time::{SystemTime, UNIX_EPOCH};

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::form;
use crate::js;

/// `http.file(data, filename?, contentType?)`: the object k6 sends as a
/// multipart file field. `data` is a string or an `ArrayBuffer`.
pub(super) fn file<'js>(
    ctx: Ctx<'js>,
    data: Opt<Value<'js>>,
    filename: Opt<Value<'js>>,
    content_type: Opt<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    let data = data.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let buffer = data
        .as_object()
        .is_some_and(|object| object.as_array_buffer().is_some());
    if !data.is_string() && !buffer {
        return Err(js::throw_go_error(
            &ctx,
            &format!(
                "invalid type {}, expected string or ArrayBuffer",
                form::go_type(&data)
            ),
        ));
    }
    let text_or = |value: Opt<Value<'js>>, default: String| -> rquickjs::Result<String> {
        match value.0 {
            Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value),
            _ => Ok(default),
        }
    };
    // k6 names an unnamed file after the current time in nanoseconds.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let object = Object::new(ctx.clone())?;
    form::mark_file(&ctx, &object)?;
    object.set("data", data)?;
    object.set("filename", text_or(filename, nanos.to_string())?)?;
    object.set(
        "content_type",
        text_or(content_type, "application/octet-stream".to_owned())?,
    )?;
    Ok(object)
}
