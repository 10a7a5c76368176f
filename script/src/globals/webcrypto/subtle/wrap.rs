//! `wrapKey` and `unwrapKey` (which k6 v1.1.0 does not implement), as
//! the WebCrypto spec composes them: export then encrypt, decrypt then
//! import, a JWK travelling as its UTF-8 JSON text.

use rquickjs::{Ctx, Value};

use super::aes::Direction;
use super::cipher;
use super::failure::{dom, Kind, Outcome};
use super::interchange;
use super::key::Keys;
use super::normalize;
use super::params::{self, Algorithm};
use super::Args;
use crate::{binary, js};

/// `wrapKey(format, key, wrappingKey, wrapAlgorithm)`: `key` exported
/// as `format` and encrypted (AES-KW: wrapped) with `wrappingKey`.
pub(crate) fn wrap_key<'js>(
    ctx: &Ctx<'js>,
    [format, key, wrapping, algorithm]: Args<'js, 4>,
) -> Outcome<Value<'js>> {
    let format = js::to_string(&format)?;
    let algorithm = Algorithm::read(&algorithm)?;
    cipher::check_wrapping(&algorithm, "wrapKey")?;
    let keys = Keys::current(ctx)?;
    let key = keys.read(&key)?;
    let wrapping = keys.read(&wrapping)?;
    cipher::check_key(&wrapping, &algorithm, "wrapKey")?;
    let exported = interchange::export(ctx, &format, &key)?;
    let bytes = match format.as_str() {
        "jwk" => match ctx.json_stringify(exported)? {
            Some(json) => json.to_string()?.into_bytes(),
            None => return dom(Kind::Operation, "the key has no JWK form"),
        },
        _ => binary::buffer_bytes(&exported)?.unwrap_or_default(),
    };
    let wrapped = cipher::wrap(&algorithm, &wrapping, Direction::Encrypt, &bytes, "wrapKey")?;
    Ok(binary::array_buffer(ctx, wrapped)?)
}

/// `unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm,
/// unwrappedKeyAlgorithm, extractable, keyUsages)`: `wrappedKey`
/// decrypted (AES-KW: unwrapped) with `unwrappingKey` and imported as
/// `importKey` would.
pub(crate) fn unwrap_key<'js>(
    ctx: &Ctx<'js>,
    [format, wrapped, unwrapping, algorithm, key_algorithm, extractable, usages]: Args<'js, 7>,
) -> Outcome<Value<'js>> {
    let format = js::to_string(&format)?;
    let algorithm = Algorithm::read(&algorithm)?;
    cipher::check_wrapping(&algorithm, "unwrapKey")?;
    let key_algorithm = Algorithm::read(&key_algorithm)?;
    let family = normalize::family(&key_algorithm, "importKey")?;
    let wrapped = params::bytes(&wrapped)?;
    let unwrapping = Keys::current(ctx)?.read(&unwrapping)?;
    cipher::check_key(&unwrapping, &algorithm, "unwrapKey")?;
    let bytes = cipher::wrap(
        &algorithm,
        &unwrapping,
        Direction::Decrypt,
        &wrapped,
        "unwrapKey",
    )?;
    let data = match format.as_str() {
        "jwk" => parse_jwk(ctx, bytes)?,
        _ => binary::array_buffer(ctx, bytes)?,
    };
    interchange::import(ctx, &format, &data, family, &extractable, &usages)
}

/// The JSON object an unwrapped JWK's bytes spell.
fn parse_jwk<'js>(ctx: &Ctx<'js>, bytes: Vec<u8>) -> Outcome<Value<'js>> {
    let invalid = |why: &str| dom(Kind::Data, format!("the unwrapped key is not a JWK: {why}"));
    let Ok(text) = String::from_utf8(bytes) else {
        return invalid("not UTF-8");
    };
    // JSON has no NUL (and QuickJS parses a C string).
    if text.contains('\0') {
        return invalid("not JSON");
    }
    match ctx.json_parse(text) {
        Ok(jwk) if jwk.is_object() => Ok(jwk),
        Ok(_) => invalid("not a JSON object"),
        Err(rquickjs::Error::Exception) => {
            ctx.catch();
            invalid("not JSON")
        }
        Err(error) => Err(error.into()),
    }
}
