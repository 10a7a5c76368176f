//! The digest and NTLM answers of the echo server: challenges, and
//! whether the client's answer is right for [`PASSWORD`].

use std::collections::BTreeMap;

use md5::Digest as _;

/// The realm, nonce and password of the digest paths.
pub(crate) const REALM: &str = "me@k6.io";
pub(crate) const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
const PASSWORD: &str = "pa ss";

/// The server challenge of the NTLM paths.
const SERVER_CHALLENGE: [u8; 8] = [1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];

/// The NTLM paths: 401 offering NTLM, 401 with a challenge for a
/// negotiate message, 200 or 403 for an authenticate message.
pub(crate) fn ntlm_reply(authorization: Option<&String>) -> (&'static str, String, &'static str) {
    use base64::Engine as _;
    let message = authorization
        .and_then(|a| a.strip_prefix("NTLM "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    let Some(message) = message else {
        return (
            "401 Unauthorized",
            "WWW-Authenticate: NTLM\r\n".into(),
            "need",
        );
    };
    match message.get(8) {
        Some(1) => {
            let challenge = base64::engine::general_purpose::STANDARD.encode(ntlm_challenge());
            (
                "401 Unauthorized",
                format!("WWW-Authenticate: NTLM {challenge}\r\n"),
                "",
            )
        }
        Some(3) if ntlm_valid(&message) => ("200 OK", String::new(), "ok"),
        _ => ("403 Forbidden", String::new(), "bad ntlm"),
    }
}

/// A challenge message with target info `DOM`.
fn ntlm_challenge() -> Vec<u8> {
    let name: Vec<u8> = "DOM".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut info = vec![2, 0, name.len() as u8, 0];
    info.extend_from_slice(&name);
    info.extend_from_slice(&[0, 0, 0, 0]);
    let mut out = b"NTLMSSP\0".to_vec();
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 48, 0, 0, 0]);
    out.extend_from_slice(&0xa288_0205u32.to_le_bytes());
    out.extend_from_slice(&SERVER_CHALLENGE);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&(info.len() as u16).to_le_bytes());
    out.extend_from_slice(&(info.len() as u16).to_le_bytes());
    out.extend_from_slice(&48u32.to_le_bytes());
    out.extend_from_slice(&info);
    out
}

/// Whether an authenticate message's NTLMv2 response is right for
/// [`PASSWORD`].
fn ntlm_valid(message: &[u8]) -> bool {
    use hmac::Mac;
    let field = |at: usize| -> Option<&[u8]> {
        let length = u16::from_le_bytes(message.get(at..at + 2)?.try_into().ok()?) as usize;
        let offset = u32::from_le_bytes(message.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        message.get(offset..offset + length)
    };
    let (Some(nt), Some(domain), Some(user)) = (field(20), field(28), field(36)) else {
        return false;
    };
    if nt.len() < 16 {
        return false;
    }
    let text = |bytes: &[u8]| -> String {
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    type HmacMd5 = hmac::Hmac<md5::Md5>;
    let hash = <md4::Md4 as md5::Digest>::digest(utf16(PASSWORD));
    let mut mac = HmacMd5::new_from_slice(&hash).unwrap();
    mac.update(&utf16(&text(user).to_uppercase()));
    mac.update(&utf16(&text(domain)));
    let key = mac.finalize().into_bytes();
    let mut mac = HmacMd5::new_from_slice(&key).unwrap();
    mac.update(&SERVER_CHALLENGE);
    mac.update(&nt[16..]);
    mac.verify_slice(&nt[..16]).is_ok()
}

/// `None` without a digest `Authorization`; else whether its response
/// is right for the password [`PASSWORD`].
pub(crate) fn digest_verdict(method: &str, authorization: Option<&String>) -> Option<bool> {
    let params = digest_params(authorization?.strip_prefix("Digest ")?);
    let get = |key: &str| params.get(key).cloned().unwrap_or_default();
    let md5 = |text: String| format!("{:x}", md5::Md5::digest(text.as_bytes()));
    let ha1 = md5(format!("{}:{REALM}:{PASSWORD}", get("username")));
    let ha2 = md5(format!("{method}:{}", get("uri")));
    let expected = md5(format!(
        "{ha1}:{}:{}:{}:{}:{ha2}",
        get("nonce"),
        get("nc"),
        get("cnonce"),
        get("qop")
    ));
    Some(get("response") == expected)
}

/// The `key=value` pairs of a digest `Authorization`, unquoted.
pub(crate) fn digest_params(text: &str) -> BTreeMap<String, String> {
    text.split(", ")
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}
