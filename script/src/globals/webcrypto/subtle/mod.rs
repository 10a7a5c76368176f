//! `crypto.subtle`: `digest` (SHA-1/256/384/512), `generateKey`,
//! `importKey` and `exportKey` for HMAC and AES keys (raw, JWK) and ECDSA
//! and ECDH keys on P-256/384/521 (raw, SPKI, PKCS#8, JWK), `sign`/`verify`
//! with HMAC and ECDSA, `encrypt`/`decrypt` with AES-CBC, AES-CTR and
//! AES-GCM, and `deriveBits` with ECDH. Every method returns a promise,
//! settled before it returns (the work is synchronous), with k6's
//! rejections.
//!
//! RSA keys (RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP) are generated,
//! imported and exported in SPKI, PKCS#8 and JWK, sign, verify, encrypt and
//! decrypt. AES-KW keys are generated and imported only, as in k6. PBKDF2
//! and HKDF are rejected as not supported, as in k6; `deriveKey`, `wrapKey` and `unwrapKey` are
//! not there.
//!
//! # Layout
//! - `params`: algorithm identifiers and `BufferSource` arguments.
//! - `key`: `CryptoKey` objects and their hidden secrets.
//! - `formats`: import and export (raw, JWK).
//! - `ec_keys`: elliptic-curve keys, signatures and `deriveBits`.
//! - `rsa`: RSA keys, signatures and RSA-OAEP.
//! - `aes`, `hmac`, `ec`: the primitives.
//! - `failure`: k6's rejections.

mod aes;
mod ec;
mod ec_keys;
mod failure;
mod formats;
mod hmac;
mod key;
mod params;
mod rsa;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use crate::js;
use aes::Direction;
use ec::Curve;
use failure::{dom, not_supported, Failure, Kind, Outcome};
pub(crate) use key::register;
use key::Keys;
use key::{EcUse, Family, Hash, KeyType, Mode, RsaScheme, Secret};
use params::{Algorithm, Data};

/// The `crypto.subtle` object.
pub(crate) fn build<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let subtle = Object::new(ctx.clone())?;

    let digest = |ctx: Ctx<'js>, algorithm: Opt<Value<'js>>, data: Opt<Value<'js>>| {
        let outcome = digest(&ctx, arg(&ctx, algorithm), arg(&ctx, data));
        settle(&ctx, outcome)
    };
    subtle.set("digest", js::function(ctx, "digest", digest)?)?;

    let generate_key = |ctx: Ctx<'js>,
                        algorithm: Opt<Value<'js>>,
                        extractable: Opt<Value<'js>>,
                        usages: Opt<Value<'js>>| {
        let outcome = (|| {
            let algorithm = Algorithm::read(&arg(&ctx, algorithm))?;
            let family = family(&algorithm, "generateKey")?;
            if let Family::Ec(_, curve) = family {
                let usages = usages_of(&arg(&ctx, usages))?;
                let extractable = truthy(&arg(&ctx, extractable));
                return ec_keys::generate(&ctx, family, curve, extractable, usages);
            }
            if let Family::Rsa(..) = family {
                let usages = usages_of(&arg(&ctx, usages))?;
                let extractable = truthy(&arg(&ctx, extractable));
                return rsa::generate(&ctx, family, &algorithm, extractable, usages);
            }
            let length = match family {
                Family::Hmac(hash) => match algorithm.number("length")? {
                    Some(bits) if (0.0..=MAX_HMAC_KEY_BITS as f64).contains(&bits) => bits as usize,
                    Some(_) => return dom(Kind::Operation, "invalid key length"),
                    None => hash.block_bits(),
                },
                Family::Aes(_) => match algorithm.number("length")? {
                    Some(bits) if [128.0, 192.0, 256.0].contains(&bits) => bits as usize,
                    _ => return dom(Kind::Operation, "invalid key length"),
                },
                Family::Ec(..) | Family::Rsa(..) => 0,
            };
            let usages = usages_of(&arg(&ctx, usages))?;
            key::check_usages(family, &usages, false)?;
            let mut bytes = vec![0u8; length / 8];
            getrandom::getrandom(&mut bytes)
                .or_else(|error| dom(Kind::Operation, error.to_string()))?;
            secret_key(
                &ctx,
                family,
                bytes,
                length,
                truthy(&arg(&ctx, extractable)),
                usages,
            )
        })();
        settle(&ctx, outcome)
    };
    subtle.set(
        "generateKey",
        js::function(ctx, "generateKey", generate_key)?,
    )?;

    let import_key = |ctx: Ctx<'js>,
                      format: Opt<Value<'js>>,
                      data: Opt<Value<'js>>,
                      algorithm: Opt<Value<'js>>,
                      extractable: Opt<Value<'js>>,
                      usages: Opt<Value<'js>>| {
        let outcome = (|| {
            let format = js::to_string(&arg(&ctx, format))?;
            let algorithm = Algorithm::read(&arg(&ctx, algorithm))?;
            let family = family(&algorithm, "importKey")?;
            if let Family::Ec(_, curve) = family {
                let usages = usages_of(&arg(&ctx, usages))?;
                let extractable = truthy(&arg(&ctx, extractable));
                let data = arg(&ctx, data);
                return ec_keys::import(&ctx, &format, &data, family, curve, extractable, usages);
            }
            if let Family::Rsa(..) = family {
                let usages = usages_of(&arg(&ctx, usages))?;
                let extractable = truthy(&arg(&ctx, extractable));
                let data = arg(&ctx, data);
                return rsa::import(&ctx, &format, &data, family, extractable, usages);
            }
            let bytes = formats::import(&format, &arg(&ctx, data))?;
            if let Family::Aes(_) = family {
                if ![16, 24, 32].contains(&bytes.len()) {
                    return dom(
                        Kind::Data,
                        format!("invalid key length {} bytes", bytes.len()),
                    );
                }
            }
            let usages = usages_of(&arg(&ctx, usages))?;
            key::check_usages(family, &usages, true)?;
            let length = bytes.len() * 8;
            secret_key(
                &ctx,
                family,
                bytes,
                length,
                truthy(&arg(&ctx, extractable)),
                usages,
            )
        })();
        settle(&ctx, outcome)
    };
    subtle.set("importKey", js::function(ctx, "importKey", import_key)?)?;

    let export_key = |ctx: Ctx<'js>, format: Opt<Value<'js>>, key: Opt<Value<'js>>| {
        let outcome = (|| {
            let format = js::to_string(&arg(&ctx, format))?;
            let secret = Keys::current(&ctx)?.read(&arg(&ctx, key))?;
            match secret.family {
                Family::Ec(_, curve) => ec_keys::export(&ctx, &format, &secret, curve),
                Family::Rsa(..) => rsa::export(&ctx, &format, &secret),
                _ => formats::export(&ctx, &format, &secret),
            }
        })();
        settle(&ctx, outcome)
    };
    subtle.set("exportKey", js::function(ctx, "exportKey", export_key)?)?;

    let sign =
        |ctx: Ctx<'js>, algorithm: Opt<Value<'js>>, key: Opt<Value<'js>>, data: Opt<Value<'js>>| {
            let outcome = (|| {
                let (algorithm, secret) = signing_key(&ctx, algorithm, key, "sign")?;
                let data = params::bytes(&arg(&ctx, data))?;
                let signature = match secret.family {
                    Family::Hmac(hash) => hmac::sign(hash, &secret.bytes, &data),
                    Family::Ec(EcUse::Ecdsa, curve) => {
                        ec_keys::sign(&algorithm, &secret, curve, &data)?
                    }
                    Family::Rsa(scheme @ (RsaScheme::Pkcs1 | RsaScheme::Pss), hash) => {
                        rsa::sign(&algorithm, &secret, scheme, hash, &data)?
                    }
                    _ => return not_supported(&algorithm.name, "sign"),
                };
                Ok(crate::binary::array_buffer(&ctx, signature)?)
            })();
            settle(&ctx, outcome)
        };
    subtle.set("sign", js::function(ctx, "sign", sign)?)?;

    let verify = |ctx: Ctx<'js>,
                  algorithm: Opt<Value<'js>>,
                  key: Opt<Value<'js>>,
                  signature: Opt<Value<'js>>,
                  data: Opt<Value<'js>>| {
        let outcome = (|| {
            let (algorithm, secret) = signing_key(&ctx, algorithm, key, "verify")?;
            let signature = params::bytes(&arg(&ctx, signature))?;
            let data = params::bytes(&arg(&ctx, data))?;
            let valid = match secret.family {
                Family::Hmac(hash) => hmac::verify(hash, &secret.bytes, &signature, &data),
                Family::Ec(EcUse::Ecdsa, curve) => {
                    ec_keys::verify(&algorithm, &secret, curve, &signature, &data)?
                }
                Family::Rsa(scheme @ (RsaScheme::Pkcs1 | RsaScheme::Pss), hash) => {
                    rsa::verify(&algorithm, &secret, scheme, hash, &signature, &data)?
                }
                _ => return not_supported(&algorithm.name, "verify"),
            };
            Ok(Value::new_bool(ctx.clone(), valid))
        })();
        settle(&ctx, outcome)
    };
    subtle.set("verify", js::function(ctx, "verify", verify)?)?;

    let derive_bits = |ctx: Ctx<'js>,
                       algorithm: Opt<Value<'js>>,
                       key: Opt<Value<'js>>,
                       length: Opt<Value<'js>>| {
        let outcome = (|| {
            let algorithm = Algorithm::read(&arg(&ctx, algorithm))?;
            if algorithm.name != "ECDH" {
                return not_supported(&algorithm.name, "deriveBits");
            }
            let base = Keys::current(&ctx)?.read(&arg(&ctx, key))?;
            ec_keys::derive_bits(&ctx, &algorithm, &base, &arg(&ctx, length))
        })();
        settle(&ctx, outcome)
    };
    subtle.set("deriveBits", js::function(ctx, "deriveBits", derive_bits)?)?;

    for (name, direction) in [
        ("encrypt", Direction::Encrypt),
        ("decrypt", Direction::Decrypt),
    ] {
        let cipher = move |ctx: Ctx<'js>,
                           algorithm: Opt<Value<'js>>,
                           key: Opt<Value<'js>>,
                           data: Opt<Value<'js>>| {
            let outcome = (|| {
                let algorithm = Algorithm::read(&arg(&ctx, algorithm))?;
                let secret = Keys::current(&ctx)?.read(&arg(&ctx, key))?;
                let mismatch = format!("{name}'s algorithm name does not match key algorithm name");
                let prefix = format!("{name}'s ");
                key::check_use(&secret, &algorithm.name, name, &mismatch, &prefix)?;
                let data = params::bytes(&arg(&ctx, data))?;
                let out = match secret.family {
                    Family::Aes(mode) => {
                        aes::run(mode, direction, &algorithm, &secret.bytes, &data)?
                    }
                    Family::Rsa(RsaScheme::Oaep, hash) => rsa::oaep_run(
                        &algorithm,
                        &secret,
                        hash,
                        direction == Direction::Encrypt,
                        &data,
                    )?,
                    _ => return not_supported(&algorithm.name, name),
                };
                Ok(crate::binary::array_buffer(&ctx, out)?)
            })();
            settle(&ctx, outcome)
        };
        subtle.set(name, js::function(ctx, name, cipher)?)?;
    }
    Ok(subtle)
}

/// An argument, `undefined` when missing.
fn arg<'js>(ctx: &Ctx<'js>, value: Opt<Value<'js>>) -> Value<'js> {
    value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()))
}

/// A promise settled with `outcome`.
fn settle<'js>(ctx: &Ctx<'js>, outcome: Outcome<Value<'js>>) -> rquickjs::Result<Value<'js>> {
    let (promise, resolve, reject) = ctx.promise()?;
    match outcome {
        Ok(value) => resolve.call::<_, ()>((value,))?,
        Err(failure) => reject.call::<_, ()>((failure.into_value(ctx)?,))?,
    }
    Ok(promise.into_value())
}

fn truthy(value: &Value<'_>) -> bool {
    value.as_bool().unwrap_or(false)
}

/// A new HMAC or AES `CryptoKey` of `bytes` (`length` bits).
fn secret_key<'js>(
    ctx: &Ctx<'js>,
    family: Family,
    bytes: Vec<u8>,
    length: usize,
    extractable: bool,
    usages: Vec<String>,
) -> Outcome<Value<'js>> {
    let secret = Secret {
        family,
        kind: KeyType::Secret,
        bytes,
        extractable,
        usages,
    };
    Ok(Keys::current(ctx)?.make(ctx, secret, length)?.into_value())
}

/// The longest HMAC key `generateKey` makes (64 KiB): a script's `length`
/// is allocated at once.
const MAX_HMAC_KEY_BITS: usize = 1 << 19;

fn usages_of(value: &Value<'_>) -> Outcome<Vec<String>> {
    match value.as_array() {
        Some(array) => Ok(js::array_items(array)?
            .iter()
            .map(js::to_string)
            .collect::<rquickjs::Result<_>>()?),
        None => dom(Kind::Syntax, "usages must be an array"),
    }
}

/// The key family an algorithm identifier names, or k6's rejection for
/// `operation`.
fn family(algorithm: &Algorithm<'_>, operation: &str) -> Outcome<Family> {
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

/// The algorithm and key of a `sign`/`verify` call, checked for `usage`.
fn signing_key<'js>(
    ctx: &Ctx<'js>,
    algorithm: Opt<Value<'js>>,
    key: Opt<Value<'js>>,
    usage: &str,
) -> Outcome<(Algorithm<'js>, Secret)> {
    let algorithm = Algorithm::read(&arg(ctx, algorithm))?;
    let secret = Keys::current(ctx)?.read(&arg(ctx, key))?;
    key::check_use(
        &secret,
        &algorithm.name,
        usage,
        "algorithm name does not match key algorithm name",
        "",
    )?;
    Ok((algorithm, secret))
}

/// `digest(algorithm, data)`.
fn digest<'js>(ctx: &Ctx<'js>, algorithm: Value<'js>, data: Value<'js>) -> Outcome<Value<'js>> {
    let algorithm = Algorithm::read(&algorithm)?;
    let Some(hash) = Hash::from_name(&algorithm.name) else {
        return not_supported(&algorithm.name, "digest");
    };
    let bytes = match params::data(&data)? {
        Data::Bytes(bytes) => bytes,
        Data::View => {
            return dom(
                Kind::Operation,
                "data is neither an ArrayBuffer, nor a TypedArray nor DataView",
            )
        }
        Data::Other => {
            return Err(Failure::Plain(
                "data must be an ArrayBuffer, TypedArray, or DataView".to_owned(),
            ))
        }
    };
    Ok(crate::binary::array_buffer(
        ctx,
        hmac::digest(hash, &bytes),
    )?)
}
