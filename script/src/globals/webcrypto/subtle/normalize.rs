//! Algorithm normalization: the key family an algorithm identifier
//! names, and the length of the secret key it describes (WebCrypto's
//! "get key length"), with k6's rejections.

use super::ec::Curve;
use super::failure::{dom, not_supported, Kind, Outcome};
use super::key::{EcUse, Family, Hash, Mode, RsaScheme};
use super::params::Algorithm;
use crate::js;

/// The longest HMAC key `generateKey` makes (64 KiB): a script's `length`
/// is allocated at once.
const MAX_HMAC_KEY_BITS: usize = 1 << 19;

/// The key family an algorithm identifier names, or k6's rejection for
/// `operation`.
pub(crate) fn family(algorithm: &Algorithm<'_>, operation: &str) -> Outcome<Family> {
    if algorithm.name == "HMAC" {
        let hash = match algorithm.optional("hash")? {
            Some(hash) => Algorithm::read(&hash)?.name,
            None => return dom(Kind::Syntax, "could not get hash from algorithm parameter"),
        };
        return match Hash::from_name(&hash) {
            Some(hash) => Ok(Family::Hmac(hash)),
            // k6 names generateKey whatever the operation.
            None => not_supported(&hash, "generateKey"),
        };
    }
    let ec_use = match algorithm.name.as_str() {
        "ECDSA" => Some(EcUse::Ecdsa),
        "ECDH" => Some(EcUse::Ecdh),
        _ => None,
    };
    if let Some(ec_use) = ec_use {
        let curve = match algorithm.optional("namedCurve")? {
            Some(curve) => js::to_string(&curve)?,
            None => String::new(),
        };
        return match Curve::from_name(&curve) {
            Some(curve) => Ok(Family::Ec(ec_use, curve)),
            None => dom(
                Kind::NotSupported,
                format!("elliptic curve {curve} is not supported"),
            ),
        };
    }
    if let Some(scheme) = RsaScheme::from_name(&algorithm.name) {
        let hash = match algorithm.optional("hash")? {
            Some(hash) => Algorithm::read(&hash)?.name,
            None => return dom(Kind::Syntax, "could not get hash from algorithm parameter"),
        };
        return match Hash::from_name(&hash) {
            Some(hash) => Ok(Family::Rsa(scheme, hash)),
            None => not_supported(&hash, operation),
        };
    }
    match Mode::from_name(&algorithm.name) {
        Some(mode) => Ok(Family::Aes(mode)),
        None => not_supported(&algorithm.name, operation),
    }
}

/// The length in bits of a new secret key of `family` (`generateKey`'s
/// and `deriveKey`'s): an AES key's `length` (128, 192 or 256), an HMAC
/// key's `length` or its hash's block size. Other families have no such
/// length.
pub(crate) fn secret_length(algorithm: &Algorithm<'_>, family: Family) -> Outcome<usize> {
    match family {
        Family::Hmac(hash) => match algorithm.number("length")? {
            Some(bits) if (0.0..=MAX_HMAC_KEY_BITS as f64).contains(&bits) => Ok(bits as usize),
            Some(_) => dom(Kind::Operation, "invalid key length"),
            None => Ok(hash.block_bits()),
        },
        Family::Aes(_) => match algorithm.number("length")? {
            Some(bits) if [128.0, 192.0, 256.0].contains(&bits) => Ok(bits as usize),
            _ => dom(Kind::Operation, "invalid key length"),
        },
        Family::Ec(..) | Family::Rsa(..) => not_supported(&algorithm.name, "get key length"),
    }
}
