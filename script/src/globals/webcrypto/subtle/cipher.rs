//! Encryption and decryption with a key: what `encrypt` and `decrypt`
//! do, and what `wrapKey` and `unwrapKey` do with the key's bytes (AES-KW
//! besides, which only wraps).

use rquickjs::{Ctx, Value};

use super::aes::{self, Direction};
use super::failure::{not_supported, Outcome};
use super::key::{self, Family, Keys, Mode, RsaScheme, Secret};
use super::params::{self, Algorithm};
use super::{rsa, Args};
use crate::binary;

/// `encrypt(algorithm, key, data)`.
pub(crate) fn encrypt<'js>(ctx: &Ctx<'js>, args: Args<'js, 3>) -> Outcome<Value<'js>> {
    apply(ctx, Direction::Encrypt, args)
}

/// `decrypt(algorithm, key, data)`.
pub(crate) fn decrypt<'js>(ctx: &Ctx<'js>, args: Args<'js, 3>) -> Outcome<Value<'js>> {
    apply(ctx, Direction::Decrypt, args)
}

fn apply<'js>(
    ctx: &Ctx<'js>,
    direction: Direction,
    [algorithm, key, data]: Args<'js, 3>,
) -> Outcome<Value<'js>> {
    let name = match direction {
        Direction::Encrypt => "encrypt",
        Direction::Decrypt => "decrypt",
    };
    let algorithm = Algorithm::read(&algorithm)?;
    let secret = Keys::current(ctx)?.read(&key)?;
    check_key(&secret, &algorithm, name)?;
    let data = params::bytes(&data)?;
    let out = run(&algorithm, &secret, direction, &data, name)?;
    Ok(binary::array_buffer(ctx, out)?)
}

/// Checks that `secret` serves `operation` (`encrypt`, `wrapKey`, ...)
/// with `algorithm`, in k6's words.
pub(crate) fn check_key(
    secret: &Secret,
    algorithm: &Algorithm<'_>,
    operation: &str,
) -> Outcome<()> {
    let mismatch = format!("{operation}'s algorithm name does not match key algorithm name");
    let prefix = format!("{operation}'s ");
    key::check_use(secret, &algorithm.name, operation, &mismatch, &prefix)
}

/// `data` encrypted or decrypted with `secret` (AES-CBC, AES-CTR,
/// AES-GCM, RSA-OAEP), `operation` naming the method for its rejection.
pub(crate) fn run(
    algorithm: &Algorithm<'_>,
    secret: &Secret,
    direction: Direction,
    data: &[u8],
    operation: &str,
) -> Outcome<Vec<u8>> {
    match secret.family {
        Family::Aes(mode) => aes::run(mode, direction, algorithm, &secret.bytes, data),
        Family::Rsa(RsaScheme::Oaep, hash) => rsa::oaep_run(
            algorithm,
            secret,
            hash,
            direction == Direction::Encrypt,
            data,
        ),
        _ => not_supported(&algorithm.name, operation),
    }
}

/// The algorithms that wrap keys: AES-KW, and those that encrypt.
const WRAPPING: [&str; 5] = ["AES-KW", "AES-CBC", "AES-CTR", "AES-GCM", "RSA-OAEP"];

/// Checks that `algorithm` wraps keys, for `operation` (`wrapKey` or
/// `unwrapKey`).
pub(crate) fn check_wrapping(algorithm: &Algorithm<'_>, operation: &str) -> Outcome<()> {
    match WRAPPING.contains(&algorithm.name.as_str()) {
        true => Ok(()),
        false => not_supported(&algorithm.name, operation),
    }
}

/// `data` wrapped or unwrapped with `secret`: AES-KW's own operation, or
/// encryption or decryption.
pub(crate) fn wrap(
    algorithm: &Algorithm<'_>,
    secret: &Secret,
    direction: Direction,
    data: &[u8],
    operation: &str,
) -> Outcome<Vec<u8>> {
    match secret.family {
        Family::Aes(Mode::Kw) => aes::kw(direction, &secret.bytes, data),
        _ => run(algorithm, secret, direction, data, operation),
    }
}
