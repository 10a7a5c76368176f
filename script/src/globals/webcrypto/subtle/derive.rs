//! `deriveBits`. ECDH is the one derivation: PBKDF2 and HKDF are refused
//! as not supported, as k6 refuses them.

use rquickjs::{Ctx, Value};

use super::failure::{not_supported, Outcome};
use super::key::Keys;
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
