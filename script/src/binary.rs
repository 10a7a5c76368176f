//! Binary data between JavaScript and Rust, the way k6's Go code sees it.
//!
//! k6 functions that take "a string, `[]byte` or `ArrayBuffer`" accept a
//! string (as UTF-8), an `ArrayBuffer`, or a `Uint8Array` /
//! `Uint8ClampedArray` view, and refuse anything else with the Go type the
//! value exported to (`invalid type int64, expected string, []byte or
//! ArrayBuffer`). Going the other way, Go byte strings handed to JavaScript
//! turn each invalid UTF-8 byte into U+FFFD.

use rquickjs::{ArrayBuffer, Ctx, Object, TypedArray, U8Clamped, Value};

use crate::js;

/// The Go type a JavaScript value exports to (for k6's `invalid type`
/// messages), for values that are neither strings nor bytes.
pub(crate) fn go_type(value: &Value<'_>) -> &'static str {
    if value.is_undefined() || value.is_null() {
        return "<nil>";
    }
    if value.is_bool() {
        return "bool";
    }
    if value.is_int() {
        return "int64";
    }
    if let Some(number) = value.as_number() {
        let integral = number.is_finite() && number.fract() == 0.0 && number.abs() < 9.2e18;
        return if integral { "int64" } else { "float64" };
    }
    if value.is_big_int() {
        return "*big.Int";
    }
    if value.is_string() || value.is_symbol() {
        return "string";
    }
    if value.is_function() {
        return "func(sobek.FunctionCall) sobek.Value";
    }
    if value.is_array() {
        return "[]interface {}";
    }
    let Some(object) = value.as_object() else {
        return "interface {}";
    };
    typed_array_type(object).unwrap_or_else(|| {
        if is_date(object) {
            "time.Time"
        } else {
            "map[string]interface {}"
        }
    })
}

fn typed_array_type(object: &Object<'_>) -> Option<&'static str> {
    let name = if object.is_typed_array::<i8>() {
        "[]int8"
    } else if object.is_typed_array::<i16>() {
        "[]int16"
    } else if object.is_typed_array::<u16>() {
        "[]uint16"
    } else if object.is_typed_array::<i32>() {
        "[]int32"
    } else if object.is_typed_array::<u32>() {
        "[]uint32"
    } else if object.is_typed_array::<f32>() {
        "[]float32"
    } else if object.is_typed_array::<f64>() {
        "[]float64"
    } else if object.is_typed_array::<i64>() {
        "[]int64"
    } else if object.is_typed_array::<u64>() {
        "[]uint64"
    } else {
        return None;
    };
    Some(name)
}

/// Whether `object` is a typed array of any kind, from its class (asking
/// installs no typed arrays, see `globals::lazy`).
pub(crate) fn is_typed_array(object: &Object<'_>) -> bool {
    // SAFETY: the value is alive (borrowed from `object`) and the call
    // only reads its class id.
    #[allow(unsafe_code)]
    unsafe {
        rquickjs::qjs::JS_GetTypedArrayType(object.as_raw()) >= 0
    }
}

/// Whether `object` is an `ArrayBuffer`, from its class. (rquickjs's
/// `ArrayBuffer::from_object` asks QuickJS for the bytes, which leaves a
/// `TypeError` pending when it is not one.)
pub(crate) fn is_array_buffer(object: &Object<'_>) -> bool {
    // SAFETY: the value is alive (borrowed from `object`) and the call
    // only reads its class id.
    #[allow(unsafe_code)]
    unsafe {
        rquickjs::qjs::JS_IsArrayBuffer(object.as_raw())
    }
}

/// Whether `object` is a `DataView`, from its class: asking installs no
/// typed arrays (`globals::lazy`).
pub(crate) fn is_data_view(object: &Object<'_>) -> bool {
    // SAFETY: the value is alive (borrowed from `object`) and the call
    // only reads its class id.
    #[allow(unsafe_code)]
    unsafe {
        rquickjs::qjs::JS_IsDataView(object.as_raw())
    }
}

fn is_date(object: &Object<'_>) -> bool {
    crate::globals::lazy::class_if_used(object.ctx(), "Date")
        .ok()
        .flatten()
        .is_some_and(|date| object.is_instance_of(&date))
}

/// The bytes of an `ArrayBuffer`, `Uint8Array` or `Uint8ClampedArray`;
/// `None` for anything else.
pub(crate) fn buffer_bytes(value: &Value<'_>) -> rquickjs::Result<Option<Vec<u8>>> {
    let Some(object) = value.as_object() else {
        return Ok(None);
    };
    let buffer = is_array_buffer(object)
        .then(|| ArrayBuffer::from_object(object.clone()))
        .flatten();
    let view = if let Some(buffer) = buffer {
        TypedArray::<u8>::from_arraybuffer(buffer)?.into_object()
    } else if object.is_typed_array::<u8>() || object.is_typed_array::<U8Clamped>() {
        object.clone()
    } else {
        return Ok(None);
    };
    // Element by element: borrowing the engine's buffer would need
    // `unsafe`, and these inputs are small (keys, hash inputs). The length
    // is the engine's, not the `length` property a script can redefine.
    let raw = if view.is_typed_array::<U8Clamped>() {
        TypedArray::<U8Clamped>::from_object(view.clone())?.as_raw()
    } else {
        TypedArray::<u8>::from_object(view.clone())?.as_raw()
    };
    let length = raw.map_or(0, |raw| raw.len());
    let mut bytes = Vec::with_capacity(length);
    for index in 0..length {
        bytes.push(view.get::<_, u8>(index as u32)?);
    }
    Ok(Some(bytes))
}

/// A string (as UTF-8) or binary data, or the Go type it is not.
pub(crate) fn bytes_or_type(value: &Value<'_>) -> rquickjs::Result<Result<Vec<u8>, &'static str>> {
    if value.is_string() {
        return Ok(Ok(js::to_string(value)?.into_bytes()));
    }
    if let Some(symbol) = value.as_symbol() {
        // k6 exports a symbol as its description.
        let description = symbol.description()?;
        let text = match description.as_string() {
            Some(text) => text.to_string()?,
            None => String::new(),
        };
        return Ok(Ok(text.into_bytes()));
    }
    Ok(buffer_bytes(value)?.ok_or_else(|| go_type(value)))
}

/// k6's message for a value that is not a string, `[]byte` or `ArrayBuffer`.
pub(crate) fn invalid_type_message(go_type: &str) -> String {
    format!("invalid type {go_type}, expected string, []byte or ArrayBuffer")
}

/// [`bytes_or_type`], throwing k6's GoError (after `prefix`, as in
/// `sha256 failed: `) for other values.
pub(crate) fn bytes(ctx: &Ctx<'_>, value: &Value<'_>, prefix: &str) -> rquickjs::Result<Vec<u8>> {
    bytes_or_type(value)?.map_err(|found| {
        js::throw_go_error(ctx, &format!("{prefix}{}", invalid_type_message(found)))
    })
}

/// Copies the bytes of an `ArrayBuffer` or `ArrayBuffer` view through
/// JavaScript (reading the engine's buffer directly would need `unsafe`).
const COPY_VIEW: &str = "(x) => Array.from(x instanceof ArrayBuffer ? new Uint8Array(x) : \
     new Uint8Array(x.buffer, x.byteOffset, x.byteLength))";

/// The bytes of an `ArrayBuffer`, a typed array of any kind or a
/// `DataView` (the bytes it views); `None` for anything else.
pub(crate) fn view_bytes(value: &Value<'_>) -> rquickjs::Result<Option<Vec<u8>>> {
    let Some(object) = value.as_object() else {
        return Ok(None);
    };
    // From the classes: neither question installs the typed arrays.
    let is_view = is_array_buffer(object) || is_typed_array(object) || is_data_view(object);
    if !is_view {
        return Ok(None);
    }
    let copy: rquickjs::Function = object.ctx().eval(COPY_VIEW)?;
    copy.call((object.clone(),)).map(Some)
}

/// A new `ArrayBuffer` holding `bytes`.
/// Every `ArrayBuffer` Rust makes is made here (clippy.toml), after the
/// typed arrays it needs are installed.
#[allow(clippy::disallowed_methods)]
pub(crate) fn array_buffer<'js>(ctx: &Ctx<'js>, bytes: Vec<u8>) -> rquickjs::Result<Value<'js>> {
    crate::globals::lazy::ensure(ctx, &crate::globals::lazy::TYPED_ARRAYS)?;
    Ok(ArrayBuffer::new(ctx.clone(), bytes)?.into_value())
}

/// Go's conversion of bytes to a JavaScript string: valid UTF-8 as is,
/// every byte of an invalid sequence as one U+FFFD.
pub(crate) fn go_string(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let invalid = error.error_len().unwrap_or(rest.len());
                out.extend(std::iter::repeat_n('\u{FFFD}', invalid));
                bytes = &rest[invalid..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::go_string;

    #[test]
    fn invalid_bytes_become_one_replacement_each() {
        assert_eq!(go_string(b"ok"), "ok");
        assert_eq!(go_string(&[0xff]), "\u{FFFD}");
        assert_eq!(go_string(&[0xe2, 0x82, b'a']), "\u{FFFD}\u{FFFD}a");
        assert_eq!(go_string(&[b'a', 0xe2, 0x82]), "a\u{FFFD}\u{FFFD}");
    }
}
