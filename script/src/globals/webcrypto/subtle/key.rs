//! `CryptoKey`s: JavaScript objects of the `crypto.CryptoKey` class with
//! k6's enumerable `type`, `extractable`, `algorithm` and `usages`, and the
//! secret itself under a symbol only k6r holds (so the key's memory goes
//! with the object).

use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Object, Symbol, Value};

use super::ec::Curve;
use super::failure::{dom, Kind, Outcome};
use crate::binary;

/// The kinds of key k6r implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Hmac(Hash),
    Aes(Mode),
    Ec(EcUse, Curve),
    Rsa(RsaScheme, Hash),
}

/// An RSA algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RsaScheme {
    Pkcs1,
    Pss,
    Oaep,
}

impl RsaScheme {
    pub(crate) fn from_name(name: &str) -> Option<RsaScheme> {
        Some(match name {
            "RSASSA-PKCS1-v1_5" => RsaScheme::Pkcs1,
            "RSA-PSS" => RsaScheme::Pss,
            "RSA-OAEP" => RsaScheme::Oaep,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            RsaScheme::Pkcs1 => "RSASSA-PKCS1-v1_5",
            RsaScheme::Pss => "RSA-PSS",
            RsaScheme::Oaep => "RSA-OAEP",
        }
    }
}

/// What an elliptic-curve key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EcUse {
    Ecdsa,
    Ecdh,
}

/// A key's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyType {
    Secret,
    Public,
    Private,
}

impl KeyType {
    fn name(self) -> &'static str {
        match self {
            KeyType::Secret => "secret",
            KeyType::Public => "public",
            KeyType::Private => "private",
        }
    }

    fn from_name(name: &str) -> Option<KeyType> {
        [KeyType::Secret, KeyType::Public, KeyType::Private]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// The hash of an HMAC key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn from_name(name: &str) -> Option<Hash> {
        Some(match name {
            "SHA-1" => Hash::Sha1,
            "SHA-256" => Hash::Sha256,
            "SHA-384" => Hash::Sha384,
            "SHA-512" => Hash::Sha512,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Hash::Sha1 => "SHA-1",
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }

    /// The block size in bits: an HMAC key's default length.
    pub(crate) fn block_bits(self) -> usize {
        match self {
            Hash::Sha1 | Hash::Sha256 => 512,
            Hash::Sha384 | Hash::Sha512 => 1024,
        }
    }
}

/// An AES mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Cbc,
    Ctr,
    Gcm,
    /// AES-KW: generated and imported as in k6, and wrapping and
    /// unwrapping keys (which k6 does not do).
    Kw,
}

impl Mode {
    pub(crate) fn from_name(name: &str) -> Option<Mode> {
        Some(match name {
            "AES-CBC" => Mode::Cbc,
            "AES-CTR" => Mode::Ctr,
            "AES-GCM" => Mode::Gcm,
            "AES-KW" => Mode::Kw,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Cbc => "AES-CBC",
            Mode::Ctr => "AES-CTR",
            Mode::Gcm => "AES-GCM",
            Mode::Kw => "AES-KW",
        }
    }

    fn jwk_suffix(self) -> &'static str {
        match self {
            Mode::Cbc => "CBC",
            Mode::Ctr => "CTR",
            Mode::Gcm => "GCM",
            Mode::Kw => "KW",
        }
    }
}

impl Family {
    /// The algorithm name (`HMAC`, `AES-GCM`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Family::Hmac(_) => "HMAC",
            Family::Aes(mode) => mode.name(),
            Family::Ec(EcUse::Ecdsa, _) => "ECDSA",
            Family::Ec(EcUse::Ecdh, _) => "ECDH",
            Family::Rsa(scheme, _) => scheme.name(),
        }
    }

    /// The usages a key of this family may have.
    pub(crate) fn allowed_usages(self) -> &'static [&'static str] {
        match self {
            Family::Hmac(_) => &["sign", "verify"],
            Family::Aes(Mode::Kw) => &["wrapKey", "unwrapKey"],
            Family::Aes(_) => &["encrypt", "decrypt", "wrapKey", "unwrapKey"],
            Family::Ec(EcUse::Ecdsa, _) => &["sign", "verify"],
            Family::Ec(EcUse::Ecdh, _) => &["deriveKey", "deriveBits"],
            Family::Rsa(RsaScheme::Oaep, _) => &["encrypt", "decrypt", "wrapKey", "unwrapKey"],
            Family::Rsa(..) => &["sign", "verify"],
        }
    }

    /// The JWK `alg` of a key of `bits` bits.
    pub(crate) fn jwk_alg(self, bits: usize) -> String {
        match self {
            Family::Hmac(Hash::Sha1) => "HS1".to_owned(),
            Family::Hmac(hash) => format!("HS{}", &hash.name()[4..]),
            Family::Aes(mode) => format!("A{bits}{}", mode.jwk_suffix()),
            Family::Ec(..) | Family::Rsa(..) => String::new(),
        }
    }
}

/// A key's material and what it is for (for elliptic-curve keys, the
/// private scalar or the uncompressed public point).
pub(crate) struct Secret {
    pub family: Family,
    pub kind: KeyType,
    pub bytes: Vec<u8>,
    pub extractable: bool,
    pub usages: Vec<String>,
}

/// Where the global object keeps the `CryptoKey` class for the methods
/// (host functions must not hold JavaScript values: the collector can't
/// see into them, so a cycle through one would never be freed).
const CLASS_KEY: &str = "k6r.CryptoKey";
/// Where a key object keeps its secret.
const SECRET_KEY: &str = "k6r.CryptoKey.secret";

/// Keeps `class` as the class of the keys `crypto.subtle` makes.
pub(crate) fn register<'js>(ctx: &Ctx<'js>, class: Value<'js>) -> rquickjs::Result<()> {
    let key = Symbol::new_global(ctx.clone(), CLASS_KEY)?;
    ctx.globals().prop(key, Property::from(class))
}

/// Makes and reads `CryptoKey` objects.
pub(crate) struct Keys<'js> {
    /// `CryptoKey.prototype`.
    prototype: Object<'js>,
    /// Where a key object keeps its secret.
    hidden: Symbol<'js>,
}

impl<'js> Keys<'js> {
    /// The keys of `ctx`'s `crypto` global.
    pub(crate) fn current(ctx: &Ctx<'js>) -> rquickjs::Result<Self> {
        let class: Object = ctx
            .globals()
            .get(Symbol::new_global(ctx.clone(), CLASS_KEY)?)?;
        Ok(Keys {
            prototype: class.get("prototype")?,
            hidden: Symbol::new_global(ctx.clone(), SECRET_KEY)?,
        })
    }

    /// A new `CryptoKey` for `secret`; `length` is the `algorithm.length`
    /// k6 reports (bits).
    pub(crate) fn make(
        &self,
        ctx: &Ctx<'js>,
        secret: Secret,
        length: usize,
    ) -> rquickjs::Result<Object<'js>> {
        let key = Object::new(ctx.clone())?;
        key.set_prototype(Some(&self.prototype))?;
        key.set("type", secret.kind.name())?;
        key.set("extractable", secret.extractable)?;
        key.set("algorithm", algorithm(ctx, secret.family, length)?)?;
        let usages = Array::new(ctx.clone())?;
        for (index, usage) in secret.usages.iter().enumerate() {
            usages.set(index, usage.as_str())?;
        }
        key.set("usages", usages)?;
        let hidden = Object::new(ctx.clone())?;
        hidden.set("family", encode_family(secret.family))?;
        hidden.set("kind", secret.kind.name())?;
        hidden.set("bytes", crate::binary::array_buffer(ctx, secret.bytes)?)?;
        hidden.set("extractable", secret.extractable)?;
        hidden.set("usages", secret.usages)?;
        key.prop(self.hidden.clone(), Property::from(hidden))?;
        Ok(key)
    }

    /// The secret of a key made by [`Keys::make`].
    pub(crate) fn read(&self, key: &Value<'js>) -> Outcome<Secret> {
        let hidden = key
            .as_object()
            .map(|key| key.get::<_, Value>(self.hidden.clone()))
            .transpose()?
            .and_then(Value::into_object);
        let Some(hidden) = hidden else {
            return dom(Kind::InvalidAccess, "key is not a valid CryptoKey");
        };
        let family: String = hidden.get("family")?;
        let kind: String = hidden.get("kind")?;
        let bytes: Value = hidden.get("bytes")?;
        let (Some(family), Some(kind)) = (decode_family(&family), KeyType::from_name(&kind)) else {
            return dom(Kind::InvalidAccess, "key is not a valid CryptoKey");
        };
        Ok(Secret {
            family,
            kind,
            bytes: binary::buffer_bytes(&bytes)?.unwrap_or_default(),
            extractable: hidden.get("extractable")?,
            usages: hidden.get("usages")?,
        })
    }
}

fn encode_family(family: Family) -> String {
    match family {
        Family::Hmac(hash) => format!("HMAC/{}", hash.name()),
        Family::Aes(mode) => mode.name().to_owned(),
        Family::Ec(_, curve) => format!("{}/{}", family.name(), curve.name()),
        Family::Rsa(scheme, hash) => format!("{}/{}", scheme.name(), hash.name()),
    }
}

fn decode_family(text: &str) -> Option<Family> {
    let (name, detail) = text.split_once('/').unwrap_or((text, ""));
    Some(match name {
        "HMAC" => Family::Hmac(Hash::from_name(detail)?),
        "ECDSA" => Family::Ec(EcUse::Ecdsa, Curve::from_name(detail)?),
        "ECDH" => Family::Ec(EcUse::Ecdh, Curve::from_name(detail)?),
        _ if RsaScheme::from_name(name).is_some() => {
            Family::Rsa(RsaScheme::from_name(name)?, Hash::from_name(detail)?)
        }
        _ => Family::Aes(Mode::from_name(name)?),
    })
}

/// `{name}` wrapped the way k6's Go structs export.
fn named<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Object<'js>> {
    let inner = Object::new(ctx.clone())?;
    inner.set("name", name)?;
    let outer = Object::new(ctx.clone())?;
    outer.set("algorithm", inner)?;
    outer.set("name", name)?;
    Ok(outer)
}

/// k6's `key.algorithm`: its Go struct as exported, embedded fields and
/// all (`{algorithm: {name}, name, length}`, HMAC's with `key_algorithm`
/// and `hash` too).
fn algorithm<'js>(ctx: &Ctx<'js>, family: Family, length: usize) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    if let Family::Hmac(_) | Family::Ec(..) | Family::Rsa(..) = family {
        object.set("key_algorithm", named(ctx, family.name())?)?;
    }
    let inner = Object::new(ctx.clone())?;
    inner.set("name", family.name())?;
    object.set("algorithm", inner)?;
    object.set("name", family.name())?;
    match family {
        Family::Hmac(hash) => {
            object.set("hash", named(ctx, hash.name())?)?;
            object.set("length", length)?;
        }
        Family::Aes(_) => object.set("length", length)?,
        Family::Ec(_, curve) => object.set("namedCurve", curve.name())?,
        Family::Rsa(_, hash) => {
            object.set("modulusLength", length)?;
            let named = Object::new(ctx.clone())?;
            named.set("name", hash.name())?;
            object.set("hash", named)?;
        }
    }
    Ok(object)
}

/// Checks `usages` against what `family` allows, as k6 does.
/// The usages of `usages` that are among `wanted`: what each half of a
/// generated key pair gets.
pub(crate) fn usages_among(usages: &[String], wanted: &[&str]) -> Vec<String> {
    usages
        .iter()
        .filter(|usage| wanted.contains(&usage.as_str()))
        .cloned()
        .collect()
}

pub(crate) fn check_usages(family: Family, usages: &[String], importing: bool) -> Outcome<()> {
    let allowed = family.allowed_usages();
    if let Some(bad) = usages
        .iter()
        .find(|usage| !allowed.contains(&usage.as_str()))
    {
        let message = if importing {
            format!("invalid key usage: {bad}")
        } else {
            "invalid key usage".to_owned()
        };
        return dom(Kind::Syntax, message);
    }
    if usages.is_empty() {
        return dom(
            Kind::Syntax,
            "usages cannot not be empty for a secret or private CryptoKey",
        );
    }
    Ok(())
}

/// Checks that `secret` may be used for `usage` by an operation on
/// algorithm `name`; `mismatch` is k6's message when the names differ,
/// `prefix` starts its message for a missing usage (`encrypt's `).
pub(crate) fn check_use(
    secret: &Secret,
    name: &str,
    usage: &str,
    mismatch: &str,
    prefix: &str,
) -> Outcome<()> {
    if secret.family.name() != name {
        return dom(Kind::InvalidAccess, mismatch);
    }
    if !secret.usages.iter().any(|u| u == usage) {
        return dom(
            Kind::InvalidAccess,
            format!("{prefix}key does not contain the '{usage}' usage"),
        );
    }
    Ok(())
}
