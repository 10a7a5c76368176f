//! ECDSA and ECDH keys as `crypto.subtle` sees them: key pairs, the raw,
//! SPKI, PKCS#8 and JWK formats, signatures and `deriveBits`, with k6's
//! rules (a generated public key keeps only `verify`, an ECDH public key no
//! usage at all) and messages.

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use rquickjs::{Ctx, Object, Value};

use super::ec::{self, Curve};
use super::failure::{dom, Kind, Outcome};
use super::hmac;
use super::key::{usages_among, EcUse, Family, Hash, KeyType, Keys, Secret};
use super::params::{self, Algorithm};
use crate::{binary, js};

/// `generateKey` for ECDSA and ECDH: `{privateKey, publicKey}`.
pub(crate) fn generate<'js>(
    ctx: &Ctx<'js>,
    family: Family,
    curve: Curve,
    extractable: bool,
    usages: Vec<String>,
) -> Outcome<Value<'js>> {
    if usages
        .iter()
        .any(|usage| !family.allowed_usages().contains(&usage.as_str()))
    {
        return dom(Kind::Syntax, "invalid key usage");
    }
    let Some(pair) = ec::generate(curve) else {
        return dom(Kind::Operation, "could not generate the key pair");
    };
    let keep = |wanted: &[&str]| usages_among(&usages, wanted);
    let (private_usages, public_usages) = match family {
        Family::Ec(EcUse::Ecdsa, _) => (keep(&["sign"]), keep(&["verify"])),
        _ => (keep(&["deriveKey", "deriveBits"]), Vec::new()),
    };
    let keys = Keys::current(ctx)?;
    let private = keys.make(
        ctx,
        Secret {
            family,
            kind: KeyType::Private,
            bytes: pair.private,
            extractable,
            usages: private_usages,
        },
        0,
    )?;
    // Public keys are always extractable.
    let public = keys.make(
        ctx,
        Secret {
            family,
            kind: KeyType::Public,
            bytes: pair.public,
            extractable: true,
            usages: public_usages,
        },
        0,
    )?;
    let pair = Object::new(ctx.clone())?;
    pair.set("privateKey", private)?;
    pair.set("publicKey", public)?;
    Ok(pair.into_value())
}

/// `importKey` of an elliptic-curve key in `format`.
pub(crate) fn import<'js>(
    ctx: &Ctx<'js>,
    format: &str,
    data: &Value<'js>,
    family: Family,
    curve: Curve,
    extractable: bool,
    usages: Vec<String>,
) -> Outcome<Value<'js>> {
    let failed = |which: &str| {
        dom(
            Kind::Data,
            format!("unable to import {} {which} key data", family.name()),
        )
    };
    let (kind, bytes) = match format {
        "raw" => {
            let point = params::bytes(data)?;
            if !ec::valid_public(curve, &point) {
                return failed("public");
            }
            (KeyType::Public, point)
        }
        "spki" => match ec::from_spki(curve, &params::bytes(data)?) {
            Some(point) => (KeyType::Public, point),
            None => return failed("public"),
        },
        "pkcs8" => match ec::from_pkcs8(curve, &params::bytes(data)?) {
            Some(scalar) => (KeyType::Private, scalar),
            None => return failed("private"),
        },
        "jwk" => match from_jwk(curve, data)? {
            Some(key) => key,
            None => return failed("JWK"),
        },
        other => {
            return dom(
                Kind::NotSupported,
                format!("unsupported key format {other}"),
            )
        }
    };
    if let Some(bad) = usages
        .iter()
        .find(|usage| !family.allowed_usages().contains(&usage.as_str()))
    {
        return dom(Kind::Syntax, format!("invalid key usage: {bad}"));
    }
    let secret = Secret {
        family,
        kind,
        bytes,
        extractable,
        usages,
    };
    Ok(Keys::current(ctx)?.make(ctx, secret, 0)?.into_value())
}

fn coordinate(jwk: &Object<'_>, name: &str) -> rquickjs::Result<Option<Vec<u8>>> {
    let value: Value = jwk.get(name)?;
    if value.is_undefined() {
        return Ok(None);
    }
    let text = js::to_string(&value)?;
    Ok(URL_SAFE_NO_PAD
        .decode(&text)
        .or_else(|_| URL_SAFE.decode(&text))
        .ok())
}

/// A JWK's key: the private scalar when it has `d`, else the public point.
fn from_jwk(curve: Curve, data: &Value<'_>) -> Outcome<Option<(KeyType, Vec<u8>)>> {
    let Some(jwk) = data.as_object() else {
        return Ok(None);
    };
    let kty: Value = jwk.get("kty")?;
    let crv: Value = jwk.get("crv")?;
    if !kty.is_string() || js::to_string(&kty)? != "EC" {
        return Ok(None);
    }
    if !crv.is_string() || js::to_string(&crv)? != curve.name() {
        return Ok(None);
    }
    let (Some(x), Some(y)) = (coordinate(jwk, "x")?, coordinate(jwk, "y")?) else {
        return Ok(None);
    };
    let mut point = vec![4u8];
    point.extend(x);
    point.extend(y);
    if !ec::valid_public(curve, &point) {
        return Ok(None);
    }
    match coordinate(jwk, "d")? {
        Some(d) => match ec::public_from_private(curve, &d) {
            Some(public) if public == point => Ok(Some((KeyType::Private, d))),
            _ => Ok(None),
        },
        None => Ok(Some((KeyType::Public, point))),
    }
}

const NOT_PUBLIC: &str = "key is not a valid elliptic curve public key";

/// `exportKey` of an elliptic-curve key.
pub(crate) fn export<'js>(
    ctx: &Ctx<'js>,
    format: &str,
    secret: &Secret,
    curve: Curve,
) -> Outcome<Value<'js>> {
    if !secret.extractable {
        return dom(Kind::InvalidAccess, "the key is not extractable");
    }
    let bytes = match format {
        "raw" if secret.kind == KeyType::Public => secret.bytes.clone(),
        "spki" if secret.kind == KeyType::Public => match ec::to_spki(curve, &secret.bytes) {
            Some(der) => der,
            None => return dom(Kind::InvalidAccess, NOT_PUBLIC),
        },
        "raw" | "spki" => return dom(Kind::InvalidAccess, NOT_PUBLIC),
        "pkcs8" if secret.kind == KeyType::Private => ec::to_pkcs8(curve, &secret.bytes)
            .ok_or(())
            .or_else(|()| dom(Kind::Operation, "could not encode the private key"))?,
        "pkcs8" => {
            return dom(
                Kind::InvalidAccess,
                "key is not a valid elliptic curve private key",
            )
        }
        "jwk" => return jwk(ctx, secret, curve),
        other => {
            return dom(
                Kind::NotSupported,
                format!("unsupported key format {other}"),
            )
        }
    };
    Ok(binary::array_buffer(ctx, bytes)?)
}

/// `{kty, crv, x, y}` (and `d`), the fields k6 exports.
fn jwk<'js>(ctx: &Ctx<'js>, secret: &Secret, curve: Curve) -> Outcome<Value<'js>> {
    let point = match secret.kind {
        KeyType::Private => ec::public_from_private(curve, &secret.bytes).unwrap_or_default(),
        _ => secret.bytes.clone(),
    };
    let width = (point.len().saturating_sub(1)) / 2;
    let (x, y) = point.get(1..).unwrap_or_default().split_at(width);
    let jwk = Object::new(ctx.clone())?;
    jwk.set("kty", "EC")?;
    jwk.set("crv", curve.name())?;
    jwk.set("x", URL_SAFE_NO_PAD.encode(x))?;
    jwk.set("y", URL_SAFE_NO_PAD.encode(y))?;
    if secret.kind == KeyType::Private {
        jwk.set("d", URL_SAFE_NO_PAD.encode(&secret.bytes))?;
    }
    Ok(jwk.into_value())
}

/// The hash an ECDSA `{name, hash}` names.
fn hash_of(algorithm: &Algorithm<'_>) -> Outcome<Hash> {
    let Some(hash) = algorithm.optional("hash")? else {
        return dom(Kind::Syntax, "could not get hash from algorithm parameter");
    };
    let name = Algorithm::read(&hash)?.name;
    match Hash::from_name(&name) {
        Some(hash) => Ok(hash),
        None => super::failure::not_supported(&name, "digest"),
    }
}

/// An ECDSA signature of `data` with a private key.
pub(crate) fn sign(
    algorithm: &Algorithm<'_>,
    secret: &Secret,
    curve: Curve,
    data: &[u8],
) -> Outcome<Vec<u8>> {
    let prehash = hmac::digest(hash_of(algorithm)?, data);
    ec::sign(curve, &secret.bytes, &prehash)
        .ok_or(())
        .or_else(|()| dom(Kind::Operation, "could not sign the data"))
}

/// Whether `signature` is an ECDSA signature of `data` by a public key.
pub(crate) fn verify(
    algorithm: &Algorithm<'_>,
    secret: &Secret,
    curve: Curve,
    signature: &[u8],
    data: &[u8],
) -> Outcome<bool> {
    let prehash = hmac::digest(hash_of(algorithm)?, data);
    Ok(ec::verify(curve, &secret.bytes, &prehash, signature))
}

/// `deriveBits({name: 'ECDH', public}, privateKey, length)`.
pub(crate) fn derive_bits<'js>(
    ctx: &Ctx<'js>,
    algorithm: &Algorithm<'js>,
    base: &Secret,
    length: &Value<'js>,
) -> Outcome<Value<'js>> {
    let Family::Ec(EcUse::Ecdh, curve) = base.family else {
        return dom(
            Kind::InvalidAccess,
            "algorithm name does not match key algorithm name",
        );
    };
    if !base.usages.iter().any(|usage| usage == "deriveBits") {
        return dom(
            Kind::InvalidAccess,
            "key does not contain the 'deriveBits' usage",
        );
    }
    let public = match algorithm.optional("public")? {
        Some(public) => Keys::current(ctx)?.read(&public)?,
        None => return dom(Kind::InvalidAccess, "algorithm has no public key"),
    };
    if public.family.name() != "ECDH" {
        return dom(
            Kind::InvalidAccess,
            format!(
                "algorithm name does not match public key's algorithm name: ECDH != {}",
                public.family.name()
            ),
        );
    }
    if public.family != base.family || public.kind != KeyType::Public {
        return dom(
            Kind::InvalidAccess,
            "the public key does not match the private key's curve",
        );
    }
    let Some(shared) = ec::shared(curve, &base.bytes, &public.bytes) else {
        return dom(Kind::Operation, "could not derive the shared secret");
    };
    let bits = if length.is_undefined() || length.is_null() {
        shared.len() * 8
    } else {
        js::to_number(length)?.max(0.0) as usize
    };
    if bits > shared.len() * 8 {
        return dom(Kind::Operation, "length is too large");
    }
    if bits % 8 != 0 {
        return dom(
            Kind::NotSupported,
            "currently only multiples of 8 are supported for length",
        );
    }
    Ok(binary::array_buffer(ctx, shared[..bits / 8].to_vec())?)
}
