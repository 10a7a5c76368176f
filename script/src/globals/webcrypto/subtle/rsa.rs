//! RSA keys for RSASSA-PKCS1-v1_5, RSA-PSS and RSA-OAEP: generation,
//! SPKI, PKCS#8 and JWK encodings, signatures and encryption, with k6's
//! rules and messages. A private key is kept as PKCS#8 DER, a public key
//! as SPKI DER.

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use rquickjs::{Ctx, Object, Value};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::rand_core::OsRng;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use super::failure::{dom, Kind, Outcome};
use super::hmac;
use super::key::{usages_among, Family, Hash, KeyType, Keys, RsaScheme, Secret};
use super::params::{self, Algorithm};
use crate::{binary, js};

/// The largest RSA key `generateKey` makes.
const MAX_MODULUS_BITS: usize = 8192;
/// The longest PSS salt taken, in bytes: longer than any salt an 8192-bit
/// key can hold, and small enough that the salt is never a large
/// allocation (the rsa crate allocates it before checking it).
const MAX_SALT_BYTES: f64 = 1024.0;

fn private_key(secret: &Secret) -> Outcome<RsaPrivateKey> {
    RsaPrivateKey::from_pkcs8_der(&secret.bytes)
        .or_else(|_| dom(Kind::InvalidAccess, "key is not a valid RSA private key"))
}

fn public_key(secret: &Secret) -> Outcome<RsaPublicKey> {
    RsaPublicKey::from_public_key_der(&secret.bytes)
        .or_else(|_| dom(Kind::InvalidAccess, "key is not a valid RSA public key"))
}

fn private_der(key: &RsaPrivateKey) -> Outcome<Vec<u8>> {
    match key.to_pkcs8_der() {
        Ok(der) => Ok(der.as_bytes().to_vec()),
        Err(error) => dom(Kind::Operation, error.to_string()),
    }
}

fn public_der(key: &RsaPublicKey) -> Outcome<Vec<u8>> {
    match key.to_public_key_der() {
        Ok(der) => Ok(der.as_bytes().to_vec()),
        Err(error) => dom(Kind::Operation, error.to_string()),
    }
}

/// The modulus length in bits of a stored key.
pub(crate) fn modulus_bits(secret: &Secret) -> usize {
    match secret.kind {
        KeyType::Private => private_key(secret).map(|k| k.n().bits()).unwrap_or(0),
        _ => public_key(secret).map(|k| k.n().bits()).unwrap_or(0),
    }
}

fn check_usages(family: Family, usages: &[String]) -> Outcome<()> {
    match usages
        .iter()
        .find(|usage| !family.allowed_usages().contains(&usage.as_str()))
    {
        Some(bad) => dom(Kind::Syntax, format!("invalid key usage: {bad}")),
        None => Ok(()),
    }
}

/// `generateKey` for the RSA algorithms: `{privateKey, publicKey}`.
pub(crate) fn generate<'js>(
    ctx: &Ctx<'js>,
    family: Family,
    algorithm: &Algorithm<'js>,
    extractable: bool,
    usages: Vec<String>,
) -> Outcome<Value<'js>> {
    check_usages(family, &usages)?;
    let bits = algorithm.number("modulusLength")?.unwrap_or(0.0).max(0.0) as usize;
    if bits > MAX_MODULUS_BITS {
        // Generating one would take hours (Go's too): refuse.
        return dom(
            Kind::Operation,
            format!("modulus length {bits} is larger than {MAX_MODULUS_BITS} bits"),
        );
    }
    let exponent = match algorithm.optional("publicExponent")? {
        Some(value) => params::bytes(&value)?,
        None => vec![1, 0, 1],
    };
    let exponent = BigUint::from_bytes_be(&exponent);
    // Only the exponents keys use: with an even one (or 0, 1) no key
    // exists and the rsa crate would search for ever.
    if exponent != BigUint::from(3u32) && exponent != BigUint::from(65537u32) {
        return dom(
            Kind::Operation,
            format!("unsupported public exponent {exponent} (use 3 or 65537)"),
        );
    }
    let private = match RsaPrivateKey::new_with_exp(&mut OsRng, bits, &exponent) {
        Ok(key) => key,
        Err(error) => {
            return dom(
                Kind::Operation,
                format!("could not generate the key: {error}"),
            )
        }
    };
    let keep = |wanted: &[&str]| usages_among(&usages, wanted);
    let (private_usages, public_usages) = match family {
        Family::Rsa(RsaScheme::Oaep, _) => (
            keep(&["decrypt", "unwrapKey"]),
            keep(&["encrypt", "wrapKey"]),
        ),
        _ => (keep(&["sign"]), keep(&["verify"])),
    };
    let keys = Keys::current(ctx)?;
    let public_bytes = public_der(&private.to_public_key())?;
    let private = keys.make(
        ctx,
        Secret {
            family,
            kind: KeyType::Private,
            bytes: private_der(&private)?,
            extractable,
            usages: private_usages,
        },
        bits,
    )?;
    let public = keys.make(
        ctx,
        Secret {
            family,
            kind: KeyType::Public,
            bytes: public_bytes,
            extractable: true,
            usages: public_usages,
        },
        bits,
    )?;
    let pair = Object::new(ctx.clone())?;
    pair.set("privateKey", private)?;
    pair.set("publicKey", public)?;
    Ok(pair.into_value())
}

fn jwk_number(jwk: &Object<'_>, name: &str) -> rquickjs::Result<Option<BigUint>> {
    let value: Value = jwk.get(name)?;
    if value.is_undefined() {
        return Ok(None);
    }
    let text = js::to_string(&value)?;
    Ok(URL_SAFE_NO_PAD
        .decode(&text)
        .or_else(|_| URL_SAFE.decode(&text))
        .ok()
        .map(|bytes| BigUint::from_bytes_be(&bytes)))
}

/// `importKey` of an RSA key.
pub(crate) fn import<'js>(
    ctx: &Ctx<'js>,
    format: &str,
    data: &Value<'js>,
    family: Family,
    extractable: bool,
    usages: Vec<String>,
) -> Outcome<Value<'js>> {
    let (kind, bytes) = match format {
        "spki" => match RsaPublicKey::from_public_key_der(&params::bytes(data)?) {
            Ok(key) => (KeyType::Public, public_der(&key)?),
            Err(error) => {
                return dom(
                    Kind::Data,
                    format!("unable to import RSA public key data: {error}"),
                )
            }
        },
        "pkcs8" => match RsaPrivateKey::from_pkcs8_der(&params::bytes(data)?) {
            Ok(key) => (KeyType::Private, private_der(&key)?),
            Err(error) => {
                return dom(
                    Kind::Data,
                    format!("unable to import RSA private key data: {error}"),
                )
            }
        },
        "jwk" => from_jwk(data)?,
        other => {
            return dom(
                Kind::NotSupported,
                format!(
                    "unsupported key format {other} for algorithm {}",
                    family.name()
                ),
            )
        }
    };
    // k6 checks the usages of generated RSA keys, not of imported ones.
    let secret = Secret {
        family,
        kind,
        bytes,
        extractable,
        usages,
    };
    let bits = modulus_bits(&secret);
    Ok(Keys::current(ctx)?.make(ctx, secret, bits)?.into_value())
}

fn from_jwk(data: &Value<'_>) -> Outcome<(KeyType, Vec<u8>)> {
    let invalid = || dom(Kind::Data, "invalid RSA JWK");
    let Some(jwk) = data.as_object() else {
        return invalid();
    };
    let kty: Value = jwk.get("kty")?;
    if !kty.is_string() || js::to_string(&kty)? != "RSA" {
        return invalid();
    }
    let (Some(n), Some(e)) = (jwk_number(jwk, "n")?, jwk_number(jwk, "e")?) else {
        return invalid();
    };
    match jwk_number(jwk, "d")? {
        None => match RsaPublicKey::new(n, e) {
            Ok(key) => Ok((KeyType::Public, public_der(&key)?)),
            Err(_) => invalid(),
        },
        Some(d) => {
            let primes: Vec<BigUint> = [jwk_number(jwk, "p")?, jwk_number(jwk, "q")?]
                .into_iter()
                .flatten()
                .collect();
            match RsaPrivateKey::from_components(n, e, d, primes) {
                Ok(key) => Ok((KeyType::Private, private_der(&key)?)),
                Err(_) => invalid(),
            }
        }
    }
}

/// `exportKey` of an RSA key.
pub(crate) fn export<'js>(ctx: &Ctx<'js>, format: &str, secret: &Secret) -> Outcome<Value<'js>> {
    if !secret.extractable {
        return dom(Kind::InvalidAccess, "the key is not extractable");
    }
    match (format, secret.kind) {
        ("spki", KeyType::Public) | ("pkcs8", KeyType::Private) => {
            Ok(binary::array_buffer(ctx, secret.bytes.clone())?)
        }
        ("spki", _) => dom(
            Kind::InvalidAccess,
            "given CryptoKey is not a public RSA key, it's *rsa.PrivateKey",
        ),
        ("pkcs8", _) => dom(
            Kind::InvalidAccess,
            "given CryptoKey is not a private RSA key, it's *rsa.PublicKey",
        ),
        ("jwk", _) => jwk(ctx, secret),
        (other, _) => dom(
            Kind::NotSupported,
            format!("unsupported key format {other}"),
        ),
    }
}

/// `{kty, n, e}` (and `d`, `p`, `q`, `dp`, `dq`, `qi`), the fields k6 exports.
fn jwk<'js>(ctx: &Ctx<'js>, secret: &Secret) -> Outcome<Value<'js>> {
    let jwk = Object::new(ctx.clone())?;
    let b64 = |n: &BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    jwk.set("kty", "RSA")?;
    if secret.kind == KeyType::Private {
        let key = private_key(secret)?;
        jwk.set("n", b64(key.n()))?;
        jwk.set("e", b64(key.e()))?;
        jwk.set("d", b64(key.d()))?;
        if let [p, q, ..] = key.primes() {
            jwk.set("p", b64(p))?;
            jwk.set("q", b64(q))?;
        }
        if let (Some(dp), Some(dq)) = (key.dp(), key.dq()) {
            jwk.set("dp", b64(dp))?;
            jwk.set("dq", b64(dq))?;
        }
        if let Some(qi) = key.crt_coefficient() {
            jwk.set("qi", b64(&qi))?;
        }
    } else {
        let key = public_key(secret)?;
        jwk.set("n", b64(key.n()))?;
        jwk.set("e", b64(key.e()))?;
    }
    Ok(jwk.into_value())
}

macro_rules! by_hash {
    ($hash:expr, $make:ident) => {
        match $hash {
            Hash::Sha1 => $make::<Sha1>(),
            Hash::Sha256 => $make::<Sha256>(),
            Hash::Sha384 => $make::<Sha384>(),
            Hash::Sha512 => $make::<Sha512>(),
        }
    };
}

fn salt_length(algorithm: &Algorithm<'_>) -> Outcome<usize> {
    match algorithm.number("saltLength")? {
        Some(salt) if (0.0..=MAX_SALT_BYTES).contains(&salt) => Ok(salt as usize),
        Some(salt) => dom(Kind::Operation, format!("invalid saltLength {salt}")),
        None => dom(
            Kind::Syntax,
            "could not get saltLength from algorithm parameter",
        ),
    }
}

/// An RSASSA-PKCS1-v1_5 or RSA-PSS signature of `data`.
pub(crate) fn sign(
    algorithm: &Algorithm<'_>,
    secret: &Secret,
    scheme: RsaScheme,
    hash: Hash,
    data: &[u8],
) -> Outcome<Vec<u8>> {
    let key = private_key(secret)?;
    let digest = hmac::digest(hash, data);
    let signed = match scheme {
        RsaScheme::Pss => {
            let salt = salt_length(algorithm)?;
            let pss = |salt| match hash {
                Hash::Sha1 => Pss::new_with_salt::<Sha1>(salt),
                Hash::Sha256 => Pss::new_with_salt::<Sha256>(salt),
                Hash::Sha384 => Pss::new_with_salt::<Sha384>(salt),
                Hash::Sha512 => Pss::new_with_salt::<Sha512>(salt),
            };
            key.sign_with_rng(&mut OsRng, pss(salt), &digest)
        }
        _ => key.sign(by_hash!(hash, pkcs1v15), &digest),
    };
    signed.or_else(|error| dom(Kind::Operation, format!("could not sign data: {error}")))
}

fn pkcs1v15<D: sha2::Digest + rsa::pkcs8::AssociatedOid>() -> Pkcs1v15Sign {
    Pkcs1v15Sign::new::<D>()
}

/// Whether `signature` signs `data`.
pub(crate) fn verify(
    algorithm: &Algorithm<'_>,
    secret: &Secret,
    scheme: RsaScheme,
    hash: Hash,
    signature: &[u8],
    data: &[u8],
) -> Outcome<bool> {
    let key = public_key(secret)?;
    let digest = hmac::digest(hash, data);
    let verified = match scheme {
        RsaScheme::Pss => {
            let salt = salt_length(algorithm)?;
            let pss = match hash {
                Hash::Sha1 => Pss::new_with_salt::<Sha1>(salt),
                Hash::Sha256 => Pss::new_with_salt::<Sha256>(salt),
                Hash::Sha384 => Pss::new_with_salt::<Sha384>(salt),
                Hash::Sha512 => Pss::new_with_salt::<Sha512>(salt),
            };
            key.verify(pss, &digest, signature)
        }
        _ => key.verify(by_hash!(hash, pkcs1v15), &digest, signature),
    };
    Ok(verified.is_ok())
}

fn oaep(hash: Hash, label: Option<String>) -> Oaep {
    match (hash, label) {
        (Hash::Sha1, None) => Oaep::new::<Sha1>(),
        (Hash::Sha256, None) => Oaep::new::<Sha256>(),
        (Hash::Sha384, None) => Oaep::new::<Sha384>(),
        (Hash::Sha512, None) => Oaep::new::<Sha512>(),
        (Hash::Sha1, Some(label)) => Oaep::new_with_label::<Sha1, _>(label),
        (Hash::Sha256, Some(label)) => Oaep::new_with_label::<Sha256, _>(label),
        (Hash::Sha384, Some(label)) => Oaep::new_with_label::<Sha384, _>(label),
        (Hash::Sha512, Some(label)) => Oaep::new_with_label::<Sha512, _>(label),
    }
}

/// An RSA-OAEP `label`: the rsa crate takes it as a string, so only
/// labels that are UTF-8 are usable.
fn label(algorithm: &Algorithm<'_>) -> Outcome<Option<String>> {
    let Some(value) = algorithm.optional("label")? else {
        return Ok(None);
    };
    let bytes = params::bytes(&value)?;
    if bytes.is_empty() {
        return Ok(None);
    }
    match String::from_utf8(bytes) {
        Ok(label) => Ok(Some(label)),
        Err(_) => dom(
            Kind::NotSupported,
            "only UTF-8 RSA-OAEP labels are supported",
        ),
    }
}

/// RSA-OAEP encryption or decryption.
pub(crate) fn oaep_run(
    algorithm: &Algorithm<'_>,
    secret: &Secret,
    hash: Hash,
    encrypt: bool,
    data: &[u8],
) -> Outcome<Vec<u8>> {
    let padding = oaep(hash, label(algorithm)?);
    if encrypt {
        public_key(secret)?
            .encrypt(&mut OsRng, padding, data)
            .or_else(|error| dom(Kind::Operation, format!("could not encrypt data: {error}")))
    } else {
        private_key(secret)?.decrypt(padding, data).or_else(|_| {
            dom(
                Kind::Operation,
                "could not decrypt data: crypto/rsa: decryption error",
            )
        })
    }
}
