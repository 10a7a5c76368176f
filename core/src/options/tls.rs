//! k6's TLS options (`tlsVersion`, `tlsCipherSuites`, `tlsAuth`), read
//! from their JSON with k6's errors, and the names k6 gives TLS versions
//! and cipher suites (also what `response.tls_version`,
//! `response.tls_cipher_suite` and the `tls_version` tag print).
//!
//! Versions and suites are kept as their IANA numbers (the numbers Go's
//! `crypto/tls` uses), so the transport can match them against what its
//! TLS library offers.

use serde_json::Value;

use super::json;
use super::OptionsError;

/// `tls1.0` … `tls1.3` and their protocol numbers.
pub const TLS_VERSIONS: [(&str, u16); 4] = [
    ("tls1.0", 0x0301),
    ("tls1.1", 0x0302),
    ("tls1.2", 0x0303),
    ("tls1.3", 0x0304),
];

/// The cipher suites k6 names, with their IANA numbers.
pub const CIPHER_SUITES: [(&str, u16); 25] = [
    ("TLS_RSA_WITH_RC4_128_SHA", 0x0005),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x000a),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f),
    ("TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035),
    ("TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003c),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d),
    ("TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xc007),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a),
    ("TLS_ECDHE_RSA_WITH_RC4_128_SHA", 0xc011),
    ("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xc012),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", 0xcca8),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", 0xcca9),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027),
    ("TLS_AES_128_GCM_SHA256", 0x1301),
    ("TLS_AES_256_GCM_SHA384", 0x1302),
    ("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
];

/// k6's name of a TLS protocol version (`tls1.3`).
pub fn version_name(version: u16) -> Option<&'static str> {
    TLS_VERSIONS
        .iter()
        .find(|(_, v)| *v == version)
        .map(|(name, _)| *name)
}

/// k6's name of a cipher suite (`TLS_AES_128_GCM_SHA256`).
pub fn cipher_suite_name(suite: u16) -> Option<&'static str> {
    CIPHER_SUITES
        .iter()
        .find(|(_, id)| *id == suite)
        .map(|(name, _)| *name)
}

/// The TLS options of a test.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// `tlsVersion.min` (`None`: the transport's lowest).
    pub min_version: Option<u16>,
    /// `tlsVersion.max` (`None`: the transport's highest).
    pub max_version: Option<u16>,
    /// `tlsCipherSuites`, in the given order (`None`: the defaults).
    pub cipher_suites: Option<Vec<u16>>,
    /// `tlsAuth`: client certificates.
    pub auth: Vec<TlsAuth>,
    /// `insecureSkipTLSVerify`.
    pub insecure_skip_verify: bool,
}

/// One `tlsAuth` entry: a client certificate and its key, in PEM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsAuth {
    /// The certificate chain, PEM.
    pub cert: String,
    /// The private key, PEM.
    pub key: String,
    /// The password of an encrypted (legacy PEM) key.
    pub password: Option<String>,
    /// `domains` (k6 warns that it is deprecated; the certificate is
    /// offered to any server that asks for one).
    pub domains: Vec<String>,
}

/// Reads `tlsVersion`, `tlsCipherSuites` and `tlsAuth` (each may be
/// absent or `null`).
pub(crate) fn read(
    version: Option<&Value>,
    suites: Option<&Value>,
    auth: Option<&Value>,
) -> Result<TlsOptions, OptionsError> {
    let (min_version, max_version) = versions(version)?;
    Ok(TlsOptions {
        min_version,
        max_version,
        cipher_suites: cipher_suites(suites)?,
        auth: auth_list(auth)?,
        insecure_skip_verify: false,
    })
}

/// `"tls1.2"` (both bounds) or `{min, max}`; `""` is "any".
fn versions(value: Option<&Value>) -> Result<(Option<u16>, Option<u16>), OptionsError> {
    let type_error = |value: &Value| OptionsError::Type {
        found: json::kind(value),
        path: "Options.tlsVersion".into(),
        go_type: "lib.tlsVersionsFields".into(),
    };
    match value {
        None | Some(Value::Null) => Ok((None, None)),
        // k6 tries the `{min, max}` form first and reports its error when
        // the string is no version either.
        Some(Value::String(text)) => match version(text) {
            Ok(v) => Ok((v, v)),
            Err(_) => Err(type_error(value.unwrap_or(&Value::Null))),
        },
        Some(Value::Object(map)) => {
            json::deny_unknown(map, &["min", "max"])?;
            let bound = |key: &str| match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => version(text),
                Some(other) => Err(OptionsError::Type {
                    found: json::kind(other),
                    path: format!("tlsVersionsFields.{key}"),
                    go_type: "string".into(),
                }),
            };
            Ok((bound("min")?, bound("max")?))
        }
        Some(other) => Err(type_error(other)),
    }
}

fn version(text: &str) -> Result<Option<u16>, OptionsError> {
    if text.is_empty() {
        return Ok(None);
    }
    TLS_VERSIONS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, v)| Some(*v))
        .ok_or_else(|| OptionsError::Tls(format!("unknown TLS version '{text}'")))
}

fn cipher_suites(value: Option<&Value>) -> Result<Option<Vec<u16>>, OptionsError> {
    let Some(names) = json::string_list(value, "Options.tlsCipherSuites")? else {
        return Ok(None);
    };
    names
        .iter()
        .map(|name| {
            CIPHER_SUITES
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, id)| *id)
                .ok_or_else(|| OptionsError::Tls(format!("unknown cipher suite '{name}'")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn auth_list(value: Option<&Value>) -> Result<Vec<TlsAuth>, OptionsError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(OptionsError::Type {
                found: json::kind(other),
                path: "Options.tlsAuth".into(),
                go_type: "[]*lib.TLSAuth".into(),
            })
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if item.is_null() {
            continue;
        }
        let map = json::object(item, "Options.tlsAuth", "lib.TLSAuthFields")?;
        json::deny_unknown(map, &["cert", "key", "password", "domains"])?;
        let field = |key: &str| format!("TLSAuthFields.{key}");
        out.push(TlsAuth {
            cert: json::string(map.get("cert"), &field("cert"))?.unwrap_or_default(),
            key: json::string(map.get("key"), &field("key"))?.unwrap_or_default(),
            password: json::string(map.get("password"), &field("password"))?,
            domains: json::string_list(map.get("domains"), &field("domains"))?.unwrap_or_default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tls(value: Value) -> Result<TlsOptions, OptionsError> {
        read(
            value.get("tlsVersion"),
            value.get("tlsCipherSuites"),
            value.get("tlsAuth"),
        )
    }

    #[test]
    fn a_version_string_sets_both_bounds() {
        let options = tls(json!({"tlsVersion": "tls1.2"})).unwrap();
        assert_eq!(
            (options.min_version, options.max_version),
            (Some(0x0303), Some(0x0303))
        );
        let options = tls(json!({"tlsVersion": {"min": "tls1.2", "max": ""}})).unwrap();
        assert_eq!(
            (options.min_version, options.max_version),
            (Some(0x0303), None)
        );
    }

    #[test]
    fn bad_versions_get_k6s_errors() {
        assert_eq!(
            tls(json!({"tlsVersion": {"min": "tls1.2", "max": "tls1.5"}}))
                .unwrap_err()
                .to_string(),
            "unknown TLS version 'tls1.5'"
        );
        assert_eq!(
            tls(json!({"tlsVersion": "tls9"})).unwrap_err().to_string(),
            "json: cannot unmarshal string into Go struct field Options.tlsVersion of type lib.tlsVersionsFields"
        );
        assert_eq!(
            tls(json!({"tlsVersion": 5})).unwrap_err().to_string(),
            "json: cannot unmarshal number into Go struct field Options.tlsVersion of type lib.tlsVersionsFields"
        );
    }

    #[test]
    fn cipher_suites_are_named_as_k6_names_them() {
        let options =
            tls(json!({"tlsCipherSuites": ["TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]}))
                .unwrap();
        assert_eq!(options.cipher_suites, Some(vec![0x1301, 0xc02f]));
        assert_eq!(
            tls(json!({"tlsCipherSuites": ["FOO"]}))
                .unwrap_err()
                .to_string(),
            "unknown cipher suite 'FOO'"
        );
        assert_eq!(
            tls(json!({"tlsCipherSuites": "TLS_AES_128_GCM_SHA256"})).unwrap_err().to_string(),
            "json: cannot unmarshal string into Go struct field Options.tlsCipherSuites of type []string"
        );
        assert_eq!(
            cipher_suite_name(0xcca8),
            Some("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305")
        );
        assert_eq!(version_name(0x0304), Some("tls1.3"));
    }

    #[test]
    fn auth_entries_keep_their_pem_and_password() {
        let options =
            tls(json!({"tlsAuth": [{"cert": "C", "key": "K", "password": "p", "domains": ["a"]}]}))
                .unwrap();
        assert_eq!(
            options.auth,
            vec![TlsAuth {
                cert: "C".into(),
                key: "K".into(),
                password: Some("p".into()),
                domains: vec!["a".into()],
            }]
        );
        assert_eq!(
            tls(json!({"tlsAuth": [{"cert": "C", "other": 1}]}))
                .unwrap_err()
                .to_string(),
            "json: unknown field \"other\""
        );
    }
}
