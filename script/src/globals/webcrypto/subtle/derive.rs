//! `deriveBits` and `deriveKey`. ECDH is the one derivation: PBKDF2 and
//! HKDF are refused as not supported, as k6 refuses them. `deriveKey`
//! (which k6 v1.1.0 leaves a TODO returning null) derives as many bits as
//! the derived key algorithm needs and imports them as a raw secret key.

use rquickjs::{Ctx, Value};

use super::failure::{not_supported, Outcome};
use super::interchange;
use super::key::Keys;
use super::normalize;
use super::params::Algorithm;
use super::{ec_keys, Args};
use crate::binary;

/// Refuses every derivation but ECDH for `operation`.
fn check_ecdh(algorithm: &Algorithm<'_>, operation: &str) -> Outcome<()> {
    match algorithm.name == "ECDH" {
        true => Ok(()),
        false => not_supported(&algorithm.name, operation),
    }
}

/// `deriveBits(algorithm, baseKey, length)`.
pub(crate) fn bits<'js>(
    ctx: &Ctx<'js>,
    [algorithm, base, length]: Args<'js, 3>,
) -> Outcome<Value<'js>> {
    let algorithm = Algorithm::read(&algorithm)?;
    check_ecdh(&algorithm, "deriveBits")?;
    let base = Keys::current(ctx)?.read(&base)?;
    let bits = ec_keys::derive(ctx, &algorithm, &base, "deriveBits", &length)?;
    Ok(binary::array_buffer(ctx, bits)?)
}

/// `deriveKey(algorithm, baseKey, derivedKeyAlgorithm, extractable,
/// keyUsages)`: an AES or HMAC key of the bits ECDH derives.
pub(crate) fn key<'js>(
    ctx: &Ctx<'js>,
    [algorithm, base, derived, extractable, usages]: Args<'js, 5>,
) -> Outcome<Value<'js>> {
    let algorithm = Algorithm::read(&algorithm)?;
    check_ecdh(&algorithm, "deriveKey")?;
    let derived = Algorithm::read(&derived)?;
    let family = normalize::family(&derived, "importKey")?;
    let length = normalize::secret_length(&derived, family)?;
    let base = Keys::current(ctx)?.read(&base)?;
    let length = Value::new_number(ctx.clone(), length as f64);
    let bits = ec_keys::derive(ctx, &algorithm, &base, "deriveKey", &length)?;
    let raw = binary::array_buffer(ctx, bits)?;
    interchange::import(ctx, "raw", &raw, family, &extractable, &usages)
}
