//! Importing and exporting keys of every family: what `importKey` and
//! `exportKey` do, and what `unwrapKey`, `wrapKey` and `deriveKey` do
//! around their own work. Each family's formats live with it (`formats`
//! for secret keys, `ec_keys`, `rsa`).

use rquickjs::{Ctx, Value};

use super::failure::{dom, Kind, Outcome};
use super::key::{self, Family, KeyType, Keys, Secret};
use super::params::{truthy, usages_of, Algorithm};
use super::{ec_keys, formats, normalize, rsa, Args};
use crate::js;

/// `importKey(format, keyData, algorithm, extractable, keyUsages)`.
pub(crate) fn import_key<'js>(
    ctx: &Ctx<'js>,
    [format, data, algorithm, extractable, usages]: Args<'js, 5>,
) -> Outcome<Value<'js>> {
    let format = js::to_string(&format)?;
    let algorithm = Algorithm::read(&algorithm)?;
    let family = normalize::family(&algorithm, "importKey")?;
    import(ctx, &format, &data, family, &extractable, &usages)
}

/// `exportKey(format, key)`.
pub(crate) fn export_key<'js>(ctx: &Ctx<'js>, [format, key]: Args<'js, 2>) -> Outcome<Value<'js>> {
    let format = js::to_string(&format)?;
    let secret = Keys::current(ctx)?.read(&key)?;
    export(ctx, &format, &secret)
}

/// A new `CryptoKey` of `family` from `data` in `format`, with the
/// `extractable` and `usages` arguments as given (read in k6's order:
/// an elliptic-curve or RSA key's usages before its data, a secret
/// key's after).
pub(crate) fn import<'js>(
    ctx: &Ctx<'js>,
    format: &str,
    data: &Value<'js>,
    family: Family,
    extractable: &Value<'js>,
    usages: &Value<'js>,
) -> Outcome<Value<'js>> {
    if let Family::Ec(_, curve) = family {
        let usages = usages_of(usages)?;
        return ec_keys::import(
            ctx,
            format,
            data,
            family,
            curve,
            truthy(extractable),
            usages,
        );
    }
    if let Family::Rsa(..) = family {
        let usages = usages_of(usages)?;
        return rsa::import(ctx, format, data, family, truthy(extractable), usages);
    }
    let bytes = formats::import(format, data)?;
    if let Family::Aes(_) = family {
        if ![16, 24, 32].contains(&bytes.len()) {
            return dom(
                Kind::Data,
                format!("invalid key length {} bytes", bytes.len()),
            );
        }
    }
    let usages = usages_of(usages)?;
    key::check_usages(family, &usages, true)?;
    let length = bytes.len() * 8;
    secret_key(ctx, family, bytes, length, truthy(extractable), usages)
}

/// `secret` exported as `format`.
pub(crate) fn export<'js>(ctx: &Ctx<'js>, format: &str, secret: &Secret) -> Outcome<Value<'js>> {
    match secret.family {
        Family::Ec(_, curve) => ec_keys::export(ctx, format, secret, curve),
        Family::Rsa(..) => rsa::export(ctx, format, secret),
        Family::Hmac(_) | Family::Aes(_) => formats::export(ctx, format, secret),
    }
}

/// A new HMAC or AES `CryptoKey` of `bytes` (`length` bits).
pub(crate) fn secret_key<'js>(
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
