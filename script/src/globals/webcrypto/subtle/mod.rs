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
//! decrypt. PBKDF2 and HKDF are rejected as not supported, as in k6.
//!
//! Where k6 v1.1.0 has no implementation, k6r follows the WebCrypto spec:
//! `deriveKey` (k6: null) derives an AES or HMAC key with ECDH, and
//! `wrapKey`/`unwrapKey` (k6: a "not implemented" error) export then
//! encrypt, and decrypt then import, keys in every format, with AES-CBC,
//! AES-CTR, AES-GCM, RSA-OAEP and AES-KW (RFC 3394). An AES-KW key is
//! not exportable, as in k6, so it cannot itself be wrapped.
//!
//! # Layout
//! - `params`: algorithm identifiers, `BufferSource`s, usages.
//! - `normalize`: the key family an algorithm names, a secret key's length.
//! - `key`: `CryptoKey` objects and their hidden secrets.
//! - `interchange`: `importKey` and `exportKey` for every family;
//!   `formats` (raw, JWK) for secret keys.
//! - `ec_keys`: elliptic-curve keys, signatures and ECDH secrets.
//! - `rsa`: RSA keys, signatures and RSA-OAEP.
//! - `cipher`: `encrypt`/`decrypt`, and the ciphers that wrap keys.
//! - `derive`: `deriveBits` and `deriveKey`.
//! - `wrap`: `wrapKey` and `unwrapKey`.
//! - `aes`, `hmac`, `ec`: the primitives.
//! - `failure`: k6's rejections.

mod aes;
mod cipher;
mod derive;
mod ec;
mod ec_keys;
mod failure;
mod formats;
mod hmac;
mod interchange;
mod key;
mod normalize;
mod params;
mod rsa;
mod wrap;

use rquickjs::function::Rest;
use rquickjs::{Ctx, Object, Value};

use crate::js;
use failure::{dom, not_supported, Failure, Kind, Outcome};
pub(crate) use key::register;
use key::Keys;
use key::{EcUse, Family, Hash, RsaScheme, Secret};
use params::{truthy, usages_of, Algorithm, Data};

/// A method's `N` arguments, `undefined` where missing.
type Args<'js, const N: usize> = [Value<'js>; N];

/// A method's body: its outcome settles the promise it returns.
type Method<'js, const N: usize> = fn(&Ctx<'js>, Args<'js, N>) -> Outcome<Value<'js>>;

/// The `crypto.subtle` object.
pub(crate) fn build<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let subtle = Object::new(ctx.clone())?;
    method(ctx, &subtle, "digest", digest)?;
    method(ctx, &subtle, "generateKey", generate_key)?;
    method(ctx, &subtle, "importKey", interchange::import_key)?;
    method(ctx, &subtle, "exportKey", interchange::export_key)?;
    method(ctx, &subtle, "sign", sign)?;
    method(ctx, &subtle, "verify", verify)?;
    method(ctx, &subtle, "deriveBits", derive::bits)?;
    method(ctx, &subtle, "deriveKey", derive::key)?;
    method(ctx, &subtle, "encrypt", cipher::encrypt)?;
    method(ctx, &subtle, "decrypt", cipher::decrypt)?;
    method(ctx, &subtle, "wrapKey", wrap::wrap_key)?;
    method(ctx, &subtle, "unwrapKey", wrap::unwrap_key)?;
    Ok(subtle)
}

/// Sets `subtle[name]` to a function of `N` arguments (its `length`, as
/// k6's) that runs `body` and returns a promise of its outcome.
fn method<'js, const N: usize>(
    ctx: &Ctx<'js>,
    subtle: &Object<'js>,
    name: &str,
    body: Method<'js, N>,
) -> rquickjs::Result<()> {
    let call = move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
        let mut args = args.0.into_iter();
        let args = std::array::from_fn(|_| {
            args.next()
                .unwrap_or_else(|| Value::new_undefined(ctx.clone()))
        });
        settle(&ctx, body(&ctx, args))
    };
    let function = js::function(ctx, name, call)?;
    function.set_length(N)?;
    subtle.set(name, function)
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

/// `generateKey(algorithm, extractable, keyUsages)`.
fn generate_key<'js>(
    ctx: &Ctx<'js>,
    [algorithm, extractable, usages]: Args<'js, 3>,
) -> Outcome<Value<'js>> {
    let algorithm = Algorithm::read(&algorithm)?;
    let family = normalize::family(&algorithm, "generateKey")?;
    if let Family::Ec(_, curve) = family {
        let usages = usages_of(&usages)?;
        return ec_keys::generate(ctx, family, curve, truthy(&extractable), usages);
    }
    if let Family::Rsa(..) = family {
        let usages = usages_of(&usages)?;
        return rsa::generate(ctx, family, &algorithm, truthy(&extractable), usages);
    }
    let length = normalize::secret_length(&algorithm, family)?;
    let usages = usages_of(&usages)?;
    key::check_usages(family, &usages, false)?;
    let mut bytes = vec![0u8; length / 8];
    getrandom::getrandom(&mut bytes).or_else(|error| dom(Kind::Operation, error.to_string()))?;
    interchange::secret_key(ctx, family, bytes, length, truthy(&extractable), usages)
}

/// `sign(algorithm, key, data)`.
fn sign<'js>(ctx: &Ctx<'js>, [algorithm, key, data]: Args<'js, 3>) -> Outcome<Value<'js>> {
    let (algorithm, secret) = signing_key(ctx, &algorithm, &key, "sign")?;
    let data = params::bytes(&data)?;
    let signature = match secret.family {
        Family::Hmac(hash) => hmac::sign(hash, &secret.bytes, &data),
        Family::Ec(EcUse::Ecdsa, curve) => ec_keys::sign(&algorithm, &secret, curve, &data)?,
        Family::Rsa(scheme @ (RsaScheme::Pkcs1 | RsaScheme::Pss), hash) => {
            rsa::sign(&algorithm, &secret, scheme, hash, &data)?
        }
        _ => return not_supported(&algorithm.name, "sign"),
    };
    Ok(crate::binary::array_buffer(ctx, signature)?)
}

/// `verify(algorithm, key, signature, data)`.
fn verify<'js>(
    ctx: &Ctx<'js>,
    [algorithm, key, signature, data]: Args<'js, 4>,
) -> Outcome<Value<'js>> {
    let (algorithm, secret) = signing_key(ctx, &algorithm, &key, "verify")?;
    let signature = params::bytes(&signature)?;
    let data = params::bytes(&data)?;
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
}

/// The algorithm and key of a `sign`/`verify` call, checked for `usage`.
fn signing_key<'js>(
    ctx: &Ctx<'js>,
    algorithm: &Value<'js>,
    key: &Value<'js>,
    usage: &str,
) -> Outcome<(Algorithm<'js>, Secret)> {
    let algorithm = Algorithm::read(algorithm)?;
    let secret = Keys::current(ctx)?.read(key)?;
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
fn digest<'js>(ctx: &Ctx<'js>, [algorithm, data]: Args<'js, 2>) -> Outcome<Value<'js>> {
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
