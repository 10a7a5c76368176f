//! `crypto.getRandomValues(typedArray)` and `crypto.randomUUID()`.

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::error::{self, Kind};
use crate::js;

/// The most elements `getRandomValues` fills at once (k6 counts
/// elements, not bytes).
const MAX_LENGTH: usize = 65536;

/// The width in bytes of the integer typed arrays k6 fills; `None` for
/// anything else (floats and BigInt arrays included).
fn element_size(object: &Object<'_>) -> Option<usize> {
    if object.is_typed_array::<u8>()
        || object.is_typed_array::<i8>()
        || object.is_typed_array::<rquickjs::U8Clamped>()
    {
        Some(1)
    } else if object.is_typed_array::<u16>() || object.is_typed_array::<i16>() {
        Some(2)
    } else if object.is_typed_array::<u32>() || object.is_typed_array::<i32>() {
        Some(4)
    } else {
        None
    }
}

fn random(ctx: &Ctx<'_>, bytes: &mut [u8]) -> rquickjs::Result<()> {
    getrandom::getrandom(bytes)
        .map_err(|error| js::throw_go_error(ctx, &format!("failed to get random bytes: {error}")))
}

/// Fills an integer typed array with random values and returns it.
pub(crate) fn get_random_values<'js>(
    ctx: Ctx<'js>,
    array: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let array = array.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let sized = array
        .as_object()
        .and_then(|object| Some((object, element_size(object)?)));
    let Some((object, size)) = sized else {
        return Err(error::throw(
            &ctx,
            Kind::TypeMismatch,
            "typedArray parameter isn't a TypedArray instance",
        ));
    };
    let length: usize = object.get("length")?;
    if length > MAX_LENGTH {
        return Err(error::throw(
            &ctx,
            Kind::QuotaExceeded,
            &format!("typedArray parameter is too big; maximum length is {MAX_LENGTH}"),
        ));
    }
    let mut bytes = vec![0u8; length * size];
    random(&ctx, &mut bytes)?;
    for (index, chunk) in bytes.chunks_exact(size).enumerate() {
        // An unsigned value of the element's width; the typed array
        // wraps it into its own range.
        let value = chunk
            .iter()
            .fold(0u32, |acc, byte| (acc << 8) | u32::from(*byte));
        object.set(index as u32, f64::from(value))?;
    }
    Ok(array)
}

/// A random (version 4) UUID in its lowercase text form.
pub(crate) fn random_uuid(ctx: Ctx<'_>) -> rquickjs::Result<String> {
    let mut bytes = [0u8; 16];
    random(&ctx, &mut bytes)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}
