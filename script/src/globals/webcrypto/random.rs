//! `crypto.getRandomValues(typedArray)` and `crypto.randomUUID()`.

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::error::{self, Kind};
use crate::js;

/// The most elements `getRandomValues` fills at once (k6 counts
/// elements, not bytes).
const MAX_LENGTH: usize = 65536;

/// Whether k6 fills `object`: the integer typed arrays, not float or
/// BigInt ones.
fn fillable(object: &Object<'_>) -> bool {
    object.is_typed_array::<u8>()
        || object.is_typed_array::<i8>()
        || object.is_typed_array::<rquickjs::U8Clamped>()
        || object.is_typed_array::<u16>()
        || object.is_typed_array::<i16>()
        || object.is_typed_array::<u32>()
        || object.is_typed_array::<i32>()
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
    let Some(object) = array.as_object().filter(|object| fillable(object)) else {
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
    // k6 puts one random byte in each element, whatever its width (an
    // Int8Array's wrap to -128..127).
    let mut bytes = vec![0u8; length];
    random(&ctx, &mut bytes)?;
    for (index, byte) in bytes.into_iter().enumerate() {
        object.set(index as u32, byte)?;
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
