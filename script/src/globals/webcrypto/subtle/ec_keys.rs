//! ECDSA and ECDH keys as `crypto.subtle` sees them: key pairs, the raw,
//! SPKI, PKCS#8 and JWK formats, signatures and shared secrets, with k6's
//! rules (a generated public key keeps only `verify`, an ECDH public key no
//! usage at all) and messages.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rquickjs::{Ctx, Object, Value};

use super::ec::{self, Curve};
use super::failure::{dom, Failure, Kind, Outcome};
use super::hmac;
use super::key::{usages_among, EcUse, Family, Hash, KeyType, Keys, Secret};
use super::params::{self, Algorithm};
use crate::modules::encoding::decode::{self, Alphabet};
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
        "jwk" => match from_jwk(family, data)? {
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

/// The fields of an EC JWK k6 reads, in the order Go decodes them (its
/// `json.Marshal` of the key sorts the names).
const JWK_FIELDS: [&str; 5] = ["crv", "d", "kty", "x", "y"];

/// The JSON type Go's `json.Marshal` gives a script value (`None`: null).
fn json_kind(value: &Value<'_>) -> Option<&'static str> {
    Some(if value.is_undefined() || value.is_null() {
        return None;
    } else if value.is_string() {
        "string"
    } else if value.is_number() || value.is_big_int() {
        "number"
    } else if value.is_bool() {
        "bool"
    } else if value.is_array() {
        "array"
    } else {
        "object"
    })
}

/// A JWK's fields (in [`JWK_FIELDS`] order) as k6 reads them: Go's
/// `json.Unmarshal` into strings, names matched regardless of case (the
/// last in sorted order winning), null leaving a field empty, and the
/// first value of another type failing.
fn jwk_fields(data: &Value<'_>) -> Outcome<[String; 5]> {
    let mismatch = |what: String| {
        Err(Failure::Plain(format!(
            "failed to parse input as EC JWK key: json: cannot unmarshal {what}"
        )))
    };
    let mut fields: [String; 5] = Default::default();
    let object = match (data.as_object(), json_kind(data)) {
        (_, None) => return Ok(fields),
        (Some(object), Some("object")) => object,
        (_, Some(kind)) => {
            return mismatch(format!("{kind} into Go value of type webcrypto.ecJWK"))
        }
    };
    let mut names: Vec<String> = object.keys::<String>().collect::<rquickjs::Result<_>>()?;
    names.sort();
    let mut error = None;
    for name in names {
        let Some(index) = JWK_FIELDS
            .iter()
            .position(|field| field.eq_ignore_ascii_case(&name))
        else {
            continue;
        };
        let value: Value = object.get(name.as_str())?;
        match json_kind(&value) {
            None => {}
            Some("string") => fields[index] = js::to_string(&value)?,
            Some(kind) => {
                error.get_or_insert(format!(
                    "{kind} into Go struct field ecJWK.{} of type string",
                    JWK_FIELDS[index]
                ));
            }
        }
    }
    match error {
        Some(what) => mismatch(what),
        None => Ok(fields),
    }
}

/// Go's `base64.RawURLEncoding` decoding of a JWK field, with k6's
/// message naming it.
fn jwk_bytes(text: &str, what: &str) -> Outcome<Vec<u8>> {
    let raw_url = Alphabet {
        url: true,
        padded: false,
    };
    decode::decode(raw_url, text.as_bytes())
        .map_err(|error| Failure::Plain(format!("failed to decode {what}: {error}")))
}

/// A big-endian integer of any length as `len` bytes (`None`: too big).
fn fixed(bytes: &[u8], len: usize) -> Option<Vec<u8>> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let digits = &bytes[start..];
    let mut out = vec![0u8; len.checked_sub(digits.len())?];
    out.extend_from_slice(digits);
    Some(out)
}

/// A JWK's key, as k6 imports it: on the JWK's own curve (`namedCurve`
/// is not looked at), with k6's messages for what it rejects. An ECDH
/// private key is its `d` alone; `None` is what k6 takes and k6r does
/// not (an ECDSA point off the curve, or a `d` of another point).
fn from_jwk(family: Family, data: &Value<'_>) -> Outcome<Option<(KeyType, Vec<u8>)>> {
    let ecdh = matches!(family, Family::Ec(EcUse::Ecdh, _));
    let Jwk { curve, point, d } = match parse_jwk(data) {
        Ok(parsed) => parsed,
        Err(Failure::Plain(message)) if ecdh => {
            return Err(Failure::Plain(format!(
                "failed to parse input as ECDH key: {message}"
            )))
        }
        Err(failure) => return Err(failure),
    };
    let width = curve.scalar_len();
    let point = point.filter(|point| ec::valid_public(curve, point));
    let d = match d {
        Some(d) => Some(
            fixed(&d, width)
                .ok_or(())
                .or_else(|()| invalid_private(ecdh))?,
        ),
        None => None,
    };
    match (d, point) {
        (Some(d), point) => match ec::public_from_private(curve, &d) {
            Some(public) if ecdh || point.as_ref() == Some(&public) => {
                Ok(Some((KeyType::Private, d)))
            }
            Some(_) => Ok(None),
            None => invalid_private(ecdh),
        },
        (None, Some(point)) => Ok(Some((KeyType::Public, point))),
        (None, None) if ecdh => Err(Failure::Plain(
            "failed to convert ECDSA key to ECDH key: ecdsa: invalid public key".to_owned(),
        )),
        (None, None) => Ok(None),
    }
}

/// k6's rejection of a private scalar out of range (ECDSA keys: k6r's).
fn invalid_private<T>(ecdh: bool) -> Outcome<T> {
    if ecdh {
        return Err(Failure::Plain(
            "failed to convert ECDSA key to ECDH key: crypto/ecdh: invalid private key".to_owned(),
        ));
    }
    Err(Failure::Dom(
        Kind::Data,
        "unable to import ECDSA JWK key data".to_owned(),
    ))
}

/// An EC JWK's key material as k6 decodes it.
struct Jwk {
    curve: Curve,
    /// The uncompressed point, `None` when a coordinate does not fit the
    /// curve.
    point: Option<Vec<u8>>,
    /// The private scalar as written (any length).
    d: Option<Vec<u8>>,
}

/// An EC JWK, with k6's checks in its order.
fn parse_jwk(data: &Value<'_>) -> Outcome<Jwk> {
    let [crv, d, kty, x, y] = jwk_fields(data)?;
    let invalid = |what: &str| Err(Failure::Plain(format!("invalid EC JWK key: {what}")));
    if kty != "EC" {
        return invalid(&format!("invalid key type: {kty}"));
    }
    if crv.is_empty() {
        return invalid("curve is required");
    }
    if x.is_empty() {
        return invalid("coordinate X is required");
    }
    if y.is_empty() {
        return invalid("coordinate Y is required");
    }
    let Some(curve) = Curve::from_name(&crv) else {
        return Err(Failure::Plain(format!(
            "failed to parse elliptic curve: invalid elliptic curve {crv}"
        )));
    };
    let x = jwk_bytes(&x, "X coordinate")?;
    let y = jwk_bytes(&y, "Y coordinate")?;
    let d = match d.is_empty() {
        true => None,
        false => Some(jwk_bytes(&d, "D")?),
    };
    let width = curve.scalar_len();
    let point = fixed(&x, width).zip(fixed(&y, width)).map(|(x, y)| {
        let mut point = vec![4u8];
        point.extend(x);
        point.extend(y);
        point
    });
    Ok(Jwk { curve, point, d })
}

/// The curve `secret`'s material is on: a JWK's own, whatever the
/// `namedCurve` the key reports.
fn material_curve(secret: &Secret, named: Curve) -> Curve {
    Curve::of_material(secret.kind == KeyType::Private, secret.bytes.len()).unwrap_or(named)
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
    let curve = material_curve(secret, curve);
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
    ec::sign(material_curve(secret, curve), &secret.bytes, &prehash)
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
    Ok(ec::verify(
        material_curve(secret, curve),
        &secret.bytes,
        &prehash,
        signature,
    ))
}

/// The first `length` bits (all when undefined or null) of the ECDH
/// secret shared by `base` (a private key with the `usage` the caller
/// needs: `deriveBits` or `deriveKey`) and the `public` key of
/// `algorithm`.
pub(crate) fn derive<'js>(
    ctx: &Ctx<'js>,
    algorithm: &Algorithm<'js>,
    base: &Secret,
    usage: &str,
    length: &Value<'js>,
) -> Outcome<Vec<u8>> {
    let Family::Ec(EcUse::Ecdh, curve) = base.family else {
        return dom(
            Kind::InvalidAccess,
            "algorithm name does not match key algorithm name",
        );
    };
    if !base.usages.iter().any(|held| held == usage) {
        return dom(
            Kind::InvalidAccess,
            format!("key does not contain the '{usage}' usage"),
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
    let Some(mut shared) = ec::shared(material_curve(base, curve), &base.bytes, &public.bytes)
    else {
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
    shared.truncate(bits / 8);
    Ok(shared)
}
