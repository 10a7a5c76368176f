//! NTLM authentication (NTLMv2 responses), as k6 does it for
//! `auth: 'ntlm'`: the request goes out without credentials; on a 401
//! offering `NTLM` it goes out again with a negotiate message, and on the
//! 401 carrying the server's challenge a third time with the
//! authenticate message, all three on the same connection. The user may
//! name its domain as `DOMAIN\user` (`DOMAIN%5Cuser` in a URL).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md4::{Digest as _, Md4};

type HmacMd5 = Hmac<md5::Md5>;

/// The negotiate message k6 sends (NTLM, Unicode, always sign, NTLMv2
/// session security, 128-bit, key exchange; version 6.1 build 7601).
const NEGOTIATE: &[u8] = &[
    0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x88, 0xa0,
    0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00,
    0x06, 0x01, 0xb1, 0x1d, 0x00, 0x00, 0x00, 0x0f,
];

/// The flags of the authenticate message.
const FLAGS: u32 = 0xa088_0201;

/// The `Authorization` value opening the exchange; a user's domain
/// (`DOMAIN\\user`) goes in it, as k6 sends it.
pub fn negotiate(user: &str) -> String {
    let message = match user.split_once('\\') {
        Some((domain, _)) if !domain.is_empty() => {
            let mut message = NEGOTIATE[..12].to_vec();
            let flags =
                u32::from_le_bytes([NEGOTIATE[12], NEGOTIATE[13], NEGOTIATE[14], NEGOTIATE[15]])
                    | DOMAIN_SUPPLIED;
            message.extend_from_slice(&flags.to_le_bytes());
            let length = domain.len() as u16;
            let header = 40u32;
            for (length, offset) in [(length, header), (0, header + u32::from(length))] {
                message.extend_from_slice(&length.to_le_bytes());
                message.extend_from_slice(&length.to_le_bytes());
                message.extend_from_slice(&offset.to_le_bytes());
            }
            message.extend_from_slice(&NEGOTIATE[32..40]);
            message.extend_from_slice(domain.as_bytes());
            message
        }
        _ => NEGOTIATE.to_vec(),
    };
    format!(
        "NTLM {}",
        base64::engine::general_purpose::STANDARD.encode(message)
    )
}

/// The negotiate flag for a domain given in the message.
const DOMAIN_SUPPLIED: u32 = 0x1000;

/// Whether a 401's `WWW-Authenticate` values offer NTLM.
pub fn offered<'a>(mut values: impl Iterator<Item = &'a str>) -> bool {
    values.any(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("ntlm") || v.eq_ignore_ascii_case("negotiate")
    })
}

/// The server's challenge message from `WWW-Authenticate: NTLM <base64>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    server_challenge: [u8; 8],
    target_info: Vec<u8>,
}

impl Challenge {
    /// Parses a header value; `None` if it holds no challenge message.
    pub fn parse(header: &str) -> Option<Challenge> {
        let (scheme, data) = header.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("ntlm") && !scheme.eq_ignore_ascii_case("negotiate") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()?;
        if raw.get(..8)? != b"NTLMSSP\0" || u32_at(&raw, 8)? != 2 {
            return None;
        }
        let server_challenge: [u8; 8] = raw.get(24..32)?.try_into().ok()?;
        let length = usize::from(u16_at(&raw, 40)?);
        let offset = u32_at(&raw, 44)? as usize;
        let target_info = raw
            .get(offset..offset + length)
            .unwrap_or_default()
            .to_vec();
        Some(Challenge {
            server_challenge,
            target_info,
        })
    }

    /// The `Authorization` value answering this challenge. `timestamp` is
    /// in 100 ns since 1601 (Windows time), `client_challenge` random.
    pub fn answer(
        &self,
        user: &str,
        password: &str,
        timestamp: u64,
        client_challenge: [u8; 8],
    ) -> String {
        let (domain, user) = match user.split_once('\\') {
            Some((domain, user)) => (domain, user),
            None => ("", user),
        };
        let key = ntowf_v2(user, password, domain);
        let mut blob = vec![1, 1, 0, 0, 0, 0, 0, 0];
        blob.extend_from_slice(&timestamp.to_le_bytes());
        blob.extend_from_slice(&client_challenge);
        blob.extend_from_slice(&[0; 4]);
        blob.extend_from_slice(&self.target_info);
        blob.extend_from_slice(&[0; 4]);
        let mut mac = hmac_md5(&key);
        mac.update(&self.server_challenge);
        mac.update(&blob);
        let mut nt_response = mac.finalize().into_bytes().to_vec();
        nt_response.extend_from_slice(&blob);

        let domain = utf16(domain);
        let user = utf16(user);
        let header_length = 64u32;
        let mut fields = Vec::new();
        let mut payload = Vec::new();
        for part in [&[][..], &nt_response, &domain, &user, &[][..], &[][..]] {
            let offset = if part.is_empty() && fields.len() == 40 {
                0
            } else {
                header_length + payload.len() as u32
            };
            let length = part.len() as u16;
            fields.extend_from_slice(&length.to_le_bytes());
            fields.extend_from_slice(&length.to_le_bytes());
            fields.extend_from_slice(&offset.to_le_bytes());
            payload.extend_from_slice(part);
        }
        let mut message = b"NTLMSSP\0".to_vec();
        message.extend_from_slice(&3u32.to_le_bytes());
        message.extend_from_slice(&fields);
        message.extend_from_slice(&FLAGS.to_le_bytes());
        message.extend_from_slice(&payload);
        format!(
            "NTLM {}",
            base64::engine::general_purpose::STANDARD.encode(message)
        )
    }
}

/// NTOWFv2: HMAC-MD5 keyed by MD4(password) over UPPER(user) + domain.
pub fn ntowf_v2(user: &str, password: &str, domain: &str) -> Vec<u8> {
    let hash = Md4::digest(utf16(password));
    let mut mac = hmac_md5(&hash);
    mac.update(&utf16(&user.to_uppercase()));
    mac.update(&utf16(domain));
    mac.finalize().into_bytes().to_vec()
}

fn hmac_md5(key: &[u8]) -> HmacMd5 {
    // HMAC takes a key of any length: this cannot fail.
    <HmacMd5 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// Now as Windows time (100 ns since 1601-01-01).
pub fn now() -> u64 {
    const EPOCH_DIFFERENCE: u64 = 11_644_473_600;
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (since_unix.as_secs() + EPOCH_DIFFERENCE) * 10_000_000
        + u64::from(since_unix.subsec_nanos() / 100)
}

/// 8 random bytes.
pub fn client_challenge() -> [u8; 8] {
    std::array::from_fn(|_| fastrand::u8(..))
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn u16_at(raw: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(raw.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(raw: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(raw.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MS-NLMP 4.2.4's NTLMv2 example: User/Password/Domain.
    #[test]
    fn ntowf_v2_matches_the_specification() {
        let key = ntowf_v2("User", "Password", "Domain");
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "0c868a403bfd7a93a3001ef22ef02e3f");
    }

    #[test]
    fn negotiate_is_what_k6_sends() {
        assert_eq!(
            negotiate("user"),
            "NTLM TlRMTVNTUAABAAAAAQCIoAAAAAAoAAAAAAAAACgAAAAGAbEdAAAADw=="
        );
        assert_eq!(
            negotiate("DOM\\user"),
            "NTLM TlRMTVNTUAABAAAAARCIoAMAAwAoAAAAAAAAACsAAAAGAbEdAAAAD0RPTQ=="
        );
    }
}
