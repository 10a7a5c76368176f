//! HTTP digest authentication (RFC 7616's MD5 and MD5-sess, `qop=auth`
//! or none), as k6 does it for `auth: 'digest'`: the request goes out
//! once, and if the server answers 401 with a `Digest` challenge it goes
//! out again with the `Authorization` that answers it (both hops are
//! requests, with their metrics).

use md5::{Digest as _, Md5};

/// A server's `WWW-Authenticate: Digest ...` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Option<String>,
    /// Whether the server offered `qop=auth`.
    qop_auth: bool,
}

impl Challenge {
    /// Parses a `WWW-Authenticate` value; `None` if it is not a digest
    /// challenge k6r can answer (no nonce, an algorithm other than MD5).
    pub fn parse(header: &str) -> Option<Challenge> {
        let rest = header.trim_start();
        let rest = rest
            .get(..6)
            .filter(|scheme| scheme.eq_ignore_ascii_case("digest"))
            .map(|_| &rest[6..])?;
        let mut challenge = Challenge {
            realm: String::new(),
            nonce: String::new(),
            opaque: None,
            algorithm: None,
            qop_auth: false,
        };
        for (key, value) in params(rest) {
            match key.to_ascii_lowercase().as_str() {
                "realm" => challenge.realm = value,
                "nonce" => challenge.nonce = value,
                "opaque" => challenge.opaque = Some(value),
                "algorithm" => challenge.algorithm = Some(value),
                "qop" => challenge.qop_auth = value.split(',').any(|q| q.trim() == "auth"),
                _ => {}
            }
        }
        let algorithm = challenge.algorithm.as_deref().unwrap_or("MD5");
        let known =
            algorithm.eq_ignore_ascii_case("MD5") || algorithm.eq_ignore_ascii_case("MD5-sess");
        (!challenge.nonce.is_empty() && known).then_some(challenge)
    }

    /// The `Authorization` value answering this challenge for `method`
    /// and `uri` (path and query), with client nonce `cnonce`.
    pub fn answer(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        let nc = "00000001";
        let mut ha1 = md5_hex(&format!("{user}:{}:{password}", self.realm));
        let sess = self
            .algorithm
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("MD5-sess"));
        if sess {
            ha1 = md5_hex(&format!("{ha1}:{}:{cnonce}", self.nonce));
        }
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let response = if self.qop_auth {
            md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            md5_hex(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        let mut out = format!(
            "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\"",
            self.realm, self.nonce
        );
        if self.qop_auth {
            out.push_str(&format!(", cnonce=\"{cnonce}\", nc={nc}, qop=auth"));
        }
        out.push_str(&format!(", response=\"{response}\""));
        if let Some(opaque) = &self.opaque {
            out.push_str(&format!(", opaque=\"{opaque}\""));
        }
        if let Some(algorithm) = &self.algorithm {
            out.push_str(&format!(", algorithm=\"{algorithm}\""));
        }
        out
    }
}

/// A fresh client nonce: 16 random bytes in hex.
pub fn cnonce() -> String {
    (0..16)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `key=value, key="quoted, value"` pairs.
fn params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        if key.is_empty() {
            return out;
        }
        if chars.next_if_eq(&'=').is_none() {
            continue;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
        }
        out.push((key.trim().to_string(), value.trim().to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 section 3.5's example.
    #[test]
    fn answers_the_rfc_example() {
        let challenge = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        let answer = challenge.answer(
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "0a4f113b",
        );
        assert!(
            answer.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{answer}"
        );
        assert!(answer.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
        assert_eq!(Challenge::parse("Basic realm=\"x\""), None);
        assert_eq!(
            Challenge::parse("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512"),
            None
        );
    }
}
