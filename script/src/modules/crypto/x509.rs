//! `k6/crypto/x509`: `parse(pem)`, `getAltNames(pem)`, `getIssuer(pem)`,
//! `getSubject(pem)` over the first PEM block of a certificate, with the
//! object shapes k6 builds from Go's `x509.Certificate`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::parse_x509_pem;
use x509_parser::public_key::PublicKey;
use x509_parser::time::ASN1Time;
use x509_parser::x509::X509Name;

use super::algorithm::{self, Algorithm};
use crate::modules::BuiltinModule;
use crate::state::VuState;
use crate::{binary, js};

/// The `k6/crypto/x509` module.
pub(crate) struct X509;

impl BuiltinModule for X509 {
    const NAME: &'static str = "k6/crypto/x509";
    const EXPORTS: &'static [&'static str] =
        &["default", "getAltNames", "getIssuer", "getSubject", "parse"];

    fn build<'js>(ctx: &Ctx<'js>, _vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        let parse = |ctx: Ctx<'js>, pem: Opt<Value<'js>>| {
            with_certificate(&ctx, pem.0, |ctx, cert, der| certificate(ctx, cert, der))
        };
        module.set("parse", js::function(ctx, "parse", parse)?)?;
        let alt_names = |ctx: Ctx<'js>, pem: Opt<Value<'js>>| {
            with_certificate(&ctx, pem.0, |ctx, cert, _| {
                alt_names(ctx, cert).map(|a| a.into_value())
            })
        };
        module.set("getAltNames", js::function(ctx, "getAltNames", alt_names)?)?;
        let issuer = |ctx: Ctx<'js>, pem: Opt<Value<'js>>| {
            with_certificate(&ctx, pem.0, |ctx, cert, _| {
                name(ctx, cert.issuer(), false).map(|o| o.into_value())
            })
        };
        module.set("getIssuer", js::function(ctx, "getIssuer", issuer)?)?;
        let subject = |ctx: Ctx<'js>, pem: Opt<Value<'js>>| {
            with_certificate(&ctx, pem.0, |ctx, cert, _| {
                name(ctx, cert.subject(), true).map(|o| o.into_value())
            })
        };
        module.set("getSubject", js::function(ctx, "getSubject", subject)?)?;
        Ok(module)
    }
}

/// The PEM argument's bytes, or k6's `TypeError` for what Go can't
/// convert to `[]byte`.
fn pem_bytes(ctx: &Ctx<'_>, pem: Option<Value<'_>>) -> rquickjs::Result<Vec<u8>> {
    let Some(pem) = pem.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(Vec::new());
    };
    if pem.is_string() {
        return Ok(js::to_string(&pem)?.into_bytes());
    }
    if let Some(bytes) = binary::buffer_bytes(&pem)? {
        return Ok(bytes);
    }
    let shown = js::to_string(&pem)?;
    let message = if pem.is_object() {
        format!("could not convert function call parameter 0: cannot convert {shown} to []uint8: not an array or iterable")
    } else {
        format!("could not convert function call parameter 0: could not convert {shown} to []uint8")
    };
    Err(Exception::throw_type(ctx, &message))
}

fn with_certificate<'js>(
    ctx: &Ctx<'js>,
    pem: Option<Value<'js>>,
    then: impl FnOnce(&Ctx<'js>, &X509Certificate<'_>, &[u8]) -> rquickjs::Result<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let bytes = pem_bytes(ctx, pem)?;
    let Ok((_, block)) = parse_x509_pem(&bytes) else {
        return Err(js::throw_go_error(
            ctx,
            "failed to decode certificate PEM file",
        ));
    };
    let Ok(cert) = block.parse_x509() else {
        return Err(js::throw_go_error(
            ctx,
            "failed to parse certificate: x509: malformed certificate",
        ));
    };
    then(ctx, &cert, &block.contents)
}

fn certificate<'js>(
    ctx: &Ctx<'js>,
    cert: &X509Certificate<'_>,
    der: &[u8],
) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("subject", name(ctx, cert.subject(), true)?)?;
    object.set("issuer", name(ctx, cert.issuer(), false)?)?;
    object.set("notBefore", time(&cert.validity().not_before))?;
    object.set("notAfter", time(&cert.validity().not_after))?;
    object.set("altNames", alt_names(ctx, cert)?)?;
    object.set(
        "signatureAlgorithm",
        signature_algorithm(&cert.signature_algorithm.algorithm.to_id_string()),
    )?;
    let fingerprint = Array::new(ctx.clone())?;
    for (index, byte) in algorithm::digest(Algorithm::Sha1, der)
        .into_iter()
        .enumerate()
    {
        fingerprint.set(index, byte)?;
    }
    object.set("fingerPrint", fingerprint)?;
    object.set("publicKey", public_key(ctx, cert)?)?;
    Ok(object.into_value())
}

/// Go's `pkix.Name` as k6 shows it: the first value of each field (the
/// last common name), every organizational unit, and every attribute in
/// `names`. The issuer has no postal code, street or units.
fn name<'js>(ctx: &Ctx<'js>, name: &X509Name<'_>, subject: bool) -> rquickjs::Result<Object<'js>> {
    let mut common_name = String::new();
    let mut firsts: [Option<String>; 6] = Default::default();
    let units = Array::new(ctx.clone())?;
    let names = Array::new(ctx.clone())?;
    for attribute in name.iter_attributes() {
        let oid = attribute.attr_type().to_id_string();
        let Ok(value) = attribute.as_str() else {
            continue;
        };
        let entry = Object::new(ctx.clone())?;
        entry.set("type", oid.as_str())?;
        entry.set("value", value)?;
        names.set(names.len(), entry)?;
        let slot = match oid.as_str() {
            "2.5.4.3" => {
                common_name = value.to_owned();
                continue;
            }
            "2.5.4.11" => {
                units.set(units.len(), value)?;
                continue;
            }
            "2.5.4.6" => 0,
            "2.5.4.17" => 1,
            "2.5.4.8" => 2,
            "2.5.4.7" => 3,
            "2.5.4.9" => 4,
            "2.5.4.10" => 5,
            _ => continue,
        };
        firsts[slot].get_or_insert_with(|| value.to_owned());
    }
    let [country, postal, state, locality, street, organization] =
        firsts.map(Option::unwrap_or_default);
    let object = Object::new(ctx.clone())?;
    object.set("commonName", common_name)?;
    object.set("country", country)?;
    if subject {
        object.set("postalCode", postal)?;
    }
    object.set("stateOrProvinceName", state)?;
    object.set("localityName", locality)?;
    if subject {
        object.set("streetAddress", street)?;
    }
    object.set("organizationName", organization)?;
    if subject {
        object.set("organizationalUnitName", units)?;
    }
    object.set("names", names)?;
    Ok(object)
}

/// RFC 3339 in UTC, as Go's `time.Time` marshals (`2026-12-05T19:36:36Z`).
fn time(time: &ASN1Time) -> String {
    let t = time.to_datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// DNS names, then e-mail addresses, IP addresses and URIs, as Go
/// groups them.
fn alt_names<'js>(ctx: &Ctx<'js>, cert: &X509Certificate<'_>) -> rquickjs::Result<Array<'js>> {
    let mut groups: [Vec<String>; 4] = Default::default();
    if let Ok(Some(extension)) = cert.subject_alternative_name() {
        for general in &extension.value.general_names {
            match general {
                GeneralName::DNSName(dns) => groups[0].push((*dns).to_owned()),
                GeneralName::RFC822Name(email) => groups[1].push((*email).to_owned()),
                GeneralName::IPAddress(ip) => groups[2].extend(ip_address(ip)),
                GeneralName::URI(uri) => groups[3].push((*uri).to_owned()),
                _ => {}
            }
        }
    }
    let names = Array::new(ctx.clone())?;
    for (index, name) in groups.into_iter().flatten().enumerate() {
        names.set(index, name)?;
    }
    Ok(names)
}

fn ip_address(bytes: &[u8]) -> Option<String> {
    let ip = match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => return None,
    };
    Some(ip.to_string())
}

/// Go's name of a signature algorithm OID (`"0"` when unknown).
fn signature_algorithm(oid: &str) -> &'static str {
    match oid {
        "1.2.840.113549.1.1.2" => "MD2-RSA",
        "1.2.840.113549.1.1.4" => "MD5-RSA",
        "1.2.840.113549.1.1.5" => "SHA1-RSA",
        "1.2.840.113549.1.1.11" => "SHA256-RSA",
        "1.2.840.113549.1.1.12" => "SHA384-RSA",
        "1.2.840.113549.1.1.13" => "SHA512-RSA",
        "1.2.840.10040.4.3" => "DSA-SHA1",
        "2.16.840.1.101.3.4.3.2" => "DSA-SHA256",
        "1.2.840.10045.4.1" => "ECDSA-SHA1",
        "1.2.840.10045.4.3.2" => "ECDSA-SHA256",
        "1.2.840.10045.4.3.3" => "ECDSA-SHA384",
        "1.2.840.10045.4.3.4" => "ECDSA-SHA512",
        "1.3.101.112" => "Ed25519",
        _ => "0",
    }
}

/// `{algorithm, key}`: an RSA key's `n` (BigInt), `e` and `size()`, an
/// ECDSA key's `curve`, `x` and `y` (BigInts).
fn public_key<'js>(ctx: &Ctx<'js>, cert: &X509Certificate<'_>) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    let key = Object::new(ctx.clone())?;
    let algorithm = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let modulus = trim_zeros(rsa.modulus);
            key.set("n", big_int(ctx, modulus)?)?;
            let exponent = trim_zeros(rsa.exponent)
                .iter()
                .fold(0f64, |acc, byte| acc * 256.0 + f64::from(*byte));
            key.set("e", exponent)?;
            let size = modulus.len();
            key.set("size", js::function(ctx, "size", move || size)?)?;
            "RSA"
        }
        Ok(PublicKey::EC(point)) => {
            let data = point.data();
            // Uncompressed: 0x04 || x || y.
            if data.len() > 1 && data[0] == 4 {
                let (x, y) = data[1..].split_at((data.len() - 1) / 2);
                key.set("curve", Object::new(ctx.clone())?)?;
                key.set("x", big_int(ctx, trim_zeros(x))?)?;
                key.set("y", big_int(ctx, trim_zeros(y))?)?;
            }
            "ECDSA"
        }
        Ok(PublicKey::DSA(_)) => "DSA",
        _ if cert.public_key().algorithm.algorithm.to_id_string() == "1.3.101.112" => "Ed25519",
        _ => "0",
    };
    object.set("algorithm", algorithm)?;
    object.set("key", key)?;
    Ok(object)
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// A JavaScript BigInt of the big-endian unsigned `bytes`.
fn big_int<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Value<'js>> {
    let constructor: Function = ctx.globals().get("BigInt")?;
    let hex = if bytes.is_empty() {
        "0x0".to_owned()
    } else {
        format!("0x{}", hex::encode(bytes))
    };
    constructor.call((hex,))
}
