//! Key import and export formats: `raw` (the bytes) and `jwk` (an
//! `oct` JSON Web Key).

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use rquickjs::{Array, Ctx, Object, Value};

use super::failure::{dom, Kind, Outcome};
use super::key::{Family, Mode, Secret};
use super::params;
use crate::{binary, js};

fn unsupported<T>(format: &str) -> Outcome<T> {
    dom(
        Kind::NotSupported,
        format!("unsupported key format {format}"),
    )
}

/// The secret bytes of `data` in `format`.
pub(crate) fn import(format: &str, data: &Value<'_>) -> Outcome<Vec<u8>> {
    match format {
        "raw" => params::bytes(data),
        "jwk" => {
            let Some(jwk) = data.as_object() else {
                return dom(Kind::Data, "invalid symmetric JWK: not an object");
            };
            let kty: Value = jwk.get("kty")?;
            let kty = if kty.is_undefined() {
                String::new()
            } else {
                js::to_string(&kty)?
            };
            if kty != "oct" {
                return dom(
                    Kind::Data,
                    format!("invalid symmetric JWK: invalid key type: {kty}"),
                );
            }
            let k: Value = jwk.get("k")?;
            let k = if k.is_undefined() {
                String::new()
            } else {
                js::to_string(&k)?
            };
            URL_SAFE_NO_PAD
                .decode(&k)
                .or_else(|_| URL_SAFE.decode(&k))
                .or_else(|error| dom(Kind::Data, format!("invalid symmetric JWK: {error}")))
        }
        other => unsupported(other),
    }
}

/// `secret` exported as `format`.
pub(crate) fn export<'js>(ctx: &Ctx<'js>, format: &str, secret: &Secret) -> Outcome<Value<'js>> {
    if secret.family == Family::Aes(Mode::Kw) {
        // k6 makes AES-KW keys but cannot export them.
        return dom(Kind::NotSupported, "unsupported algorithm AES-KW");
    }
    if format != "raw" && format != "jwk" {
        return unsupported(format);
    }
    if !secret.extractable {
        return dom(Kind::InvalidAccess, "the key is not extractable");
    }
    if format == "raw" {
        return Ok(binary::array_buffer(ctx, secret.bytes.clone())?);
    }
    let jwk = Object::new(ctx.clone())?;
    jwk.set("kty", "oct")?;
    jwk.set("ext", secret.extractable)?;
    let ops = Array::new(ctx.clone())?;
    for (index, usage) in secret.usages.iter().enumerate() {
        ops.set(index, usage.as_str())?;
    }
    jwk.set("key_ops", ops)?;
    jwk.set("alg", secret.family.jwk_alg(secret.bytes.len() * 8))?;
    jwk.set("k", URL_SAFE_NO_PAD.encode(&secret.bytes))?;
    Ok(jwk.into_value())
}
