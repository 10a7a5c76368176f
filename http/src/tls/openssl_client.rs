//! The OpenSSL client, for the TLS options rustls cannot honour: TLS 1.0
//! and 1.1, and cipher suites with RSA key exchange, CBC or 3DES.
//!
//! It offers what Go's `crypto/tls` offers with the same options: the
//! versions from `tlsVersion.min` (Go's default maximum, TLS 1.3, when
//! none is given), the `tlsCipherSuites` OpenSSL has, in Go's order
//! (Go's defaults, ECDHE suites only, when none are given), ALPN `h2`
//! and `http/1.1`, a request for a stapled OCSP response, the `tlsAuth`
//! certificates, and the same trust roots as the rustls client.
//! TLS 1.0 and 1.1 sign with SHA-1, which OpenSSL allows only at
//! security level 0: that level is set when such a version is admitted.

use std::pin::Pin;

use k6r_core::options::tls::cipher_suite_name;
use k6r_core::options::TlsOptions;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslConnector, SslMethod, SslRef, SslVerifyMode, SslVersion, StatusType};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509VerifyResult, X509};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_openssl::SslStream;
use tokio_rustls::rustls::pki_types::PrivateKeyDer;

use super::{
    go_rank, system_roots, Alpn, Handshake, HandshakeError, Identity, TlsError, TlsInfo, TlsStream,
    GO_PREFERENCE, NO_VERSION, TLS_1_2,
};
use crate::failure::{ErrorKind, Failure};

/// TLS 1.3's number: Go's default maximum.
const TLS_1_3: u16 = 0x0304;

/// The client: an OpenSSL context made from the options.
pub(super) struct Client {
    connector: SslConnector,
    verify: bool,
    /// Why no connection can be made with these options.
    unusable: Option<String>,
}

impl Client {
    pub(super) fn build(options: &TlsOptions) -> Result<Client, TlsError> {
        let setup = |e: openssl::error::ErrorStack| TlsError::BadKey(e.to_string());
        let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(setup)?;
        let min = options.min_version.unwrap_or(TLS_1_2);
        let max = options.max_version.unwrap_or(TLS_1_3);
        let mut unusable = (min > max).then(|| NO_VERSION.to_string());
        builder
            .set_min_proto_version(ssl_version(min))
            .map_err(setup)?;
        builder
            .set_max_proto_version(ssl_version(max))
            .map_err(setup)?;
        if min < TLS_1_2 {
            builder.set_security_level(0);
        }
        let suites = offered_suites(options);
        if suites.is_empty() && max < TLS_1_3 && unusable.is_none() {
            unusable = Some(
                "tls: no cipher suite of tlsCipherSuites can be offered: neither of k6r's TLS \
                 libraries has RC4"
                    .to_string(),
            );
        }
        if !suites.is_empty() {
            builder.set_cipher_list(&suites.join(":")).map_err(setup)?;
        }
        // TLS 1.3's suites in Go's order (OpenSSL puts AES-256 first).
        builder
            .set_ciphersuites(
                "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            )
            .map_err(setup)?;
        let mut roots = X509StoreBuilder::new().map_err(setup)?;
        for root in system_roots() {
            // A root OpenSSL cannot read is one it could not chain to.
            if let Ok(cert) = X509::from_der(root) {
                let _ = roots.add_cert(cert);
            }
        }
        builder.set_cert_store(roots.build());
        if options.insecure_skip_verify {
            builder.set_verify(SslVerifyMode::NONE);
        }
        // The first certificate of each key type is offered (OpenSSL
        // keeps one per type), with the first one's chain.
        for (i, auth) in options.auth.iter().enumerate().rev() {
            let Identity { chain, key } = Identity::read(auth)?;
            let bad = |e: openssl::error::ErrorStack| TlsError::BadKey(e.to_string());
            let leaf = X509::from_der(&chain[0]).map_err(bad)?;
            builder.set_certificate(&leaf).map_err(bad)?;
            let key = private_key(&key)?;
            let mismatch = |_| TlsError::BadKey("private key does not match public key".into());
            builder.set_private_key(&key).map_err(mismatch)?;
            builder.check_private_key().map_err(mismatch)?;
            if i == 0 {
                for cert in &chain[1..] {
                    builder
                        .add_extra_chain_cert(X509::from_der(cert).map_err(bad)?)
                        .map_err(bad)?;
                }
            }
        }
        Ok(Client {
            connector: builder.build(),
            verify: !options.insecure_skip_verify,
            unusable,
        })
    }

    /// The handshake with `host` over `stream`.
    pub(super) async fn connect<S>(
        &self,
        host: &str,
        stream: S,
        alpn: Alpn,
    ) -> Result<Handshake<S>, Failure>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        if let Some(reason) = &self.unusable {
            return Err(Failure::new(ErrorKind::Tls, reason.clone()));
        }
        let setup = |e: openssl::error::ErrorStack| Failure::new(ErrorKind::Tls, e.to_string());
        let mut config = self.connector.configure().map_err(setup)?;
        config.set_verify_hostname(self.verify);
        config.set_status_type(StatusType::OCSP).map_err(setup)?;
        config.set_alpn_protos(&alpn.wire()).map_err(setup)?;
        let ssl = config.into_ssl(host).map_err(setup)?;
        let mut stream = SslStream::new(ssl, stream).map_err(setup)?;
        if let Err(error) = Pin::new(&mut stream).connect().await {
            return Err(failure(&error, stream.ssl(), self.verify));
        }
        let ssl = stream.ssl();
        let info = TlsInfo::new(
            ssl.version2().and_then(version_number),
            ssl.current_cipher()
                .map(|c| u16::from_be_bytes(c.protocol_id())),
            ssl.ocsp_status().unwrap_or_default(),
        );
        let h2 = ssl.selected_alpn_protocol() == Some(b"h2");
        Ok(Handshake {
            stream: TlsStream::OpenSsl(Box::new(stream)),
            info,
            h2,
        })
    }
}

/// OpenSSL's names of the TLS 1.2 (and older) suites to offer, in Go's
/// order: `tlsCipherSuites`, or Go's defaults.
fn offered_suites(options: &TlsOptions) -> Vec<&'static str> {
    let mut ids: Vec<u16> = match &options.cipher_suites {
        Some(wanted) => wanted.clone(),
        // Go's defaults below TLS 1.3: the ECDHE suites.
        None => GO_PREFERENCE[3..13].to_vec(),
    };
    ids.sort_by_key(|&id| go_rank(id));
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let name = cipher_suite_name(id)?;
            // TLS 1.3's suites are not configurable, as in Go.
            if name.starts_with("TLS_AES_") || name.starts_with("TLS_CHACHA20_") {
                return None;
            }
            // Go drops the `_SHA256` of the ChaCha20 suites' standard names.
            let standard = if name.ends_with("CHACHA20_POLY1305") {
                format!("{name}_SHA256")
            } else {
                name.to_string()
            };
            let openssl = openssl::ssl::cipher_name(&standard);
            (openssl != "(NONE)").then_some(openssl)
        })
        .collect()
}

fn ssl_version(version: u16) -> Option<SslVersion> {
    Some(match version {
        0x0301 => SslVersion::TLS1,
        0x0302 => SslVersion::TLS1_1,
        0x0303 => SslVersion::TLS1_2,
        _ => SslVersion::TLS1_3,
    })
}

fn version_number(version: SslVersion) -> Option<u16> {
    [
        (SslVersion::TLS1, 0x0301),
        (SslVersion::TLS1_1, 0x0302),
        (SslVersion::TLS1_2, 0x0303),
        (SslVersion::TLS1_3, 0x0304),
    ]
    .into_iter()
    .find(|(v, _)| *v == version)
    .map(|(_, n)| n)
}

/// A `tlsAuth` key as OpenSSL's.
fn private_key(key: &PrivateKeyDer<'_>) -> Result<PKey<Private>, TlsError> {
    let bad = |e: openssl::error::ErrorStack| TlsError::BadKey(e.to_string());
    match key {
        PrivateKeyDer::Pkcs1(der) => {
            openssl::rsa::Rsa::private_key_from_der(der.secret_pkcs1_der())
                .and_then(PKey::from_rsa)
                .map_err(bad)
        }
        PrivateKeyDer::Sec1(der) => openssl::ec::EcKey::private_key_from_der(der.secret_sec1_der())
            .and_then(PKey::from_ec_key)
            .map_err(bad),
        PrivateKeyDer::Pkcs8(der) => {
            PKey::private_key_from_pkcs8(der.secret_pkcs8_der()).map_err(bad)
        }
        _ => Err(TlsError::NoKey),
    }
}

/// OpenSSL's reason codes for a received alert are the alert's number
/// plus this (`SSL_AD_REASON_OFFSET`).
const ALERT_REASON_OFFSET: i32 = 1000;

/// A failed handshake as k6 reports it (`verify`: whether the server's
/// certificate was to be verified; OpenSSL records its verdict either way).
fn failure(error: &openssl::ssl::Error, ssl: &SslRef, verify: bool) -> Failure {
    let verified = ssl.verify_result();
    if verify && verified != X509VerifyResult::OK {
        return verify_error(verified).failure();
    }
    if let Some(stack) = error.ssl_error() {
        for e in stack.errors() {
            let reason = e.reason_code();
            if let Ok(alert) = u8::try_from(reason - ALERT_REASON_OFFSET) {
                return HandshakeError::Alert(alert).failure();
            }
        }
        let why = stack
            .errors()
            .first()
            .and_then(|e| e.reason())
            .unwrap_or("handshake failed");
        return HandshakeError::Other(why.to_string()).failure();
    }
    match error.io_error() {
        Some(io) => Failure::from_io("read", io),
        // The peer closed without a word.
        None => Failure::from_io("read", &std::io::ErrorKind::UnexpectedEof.into()),
    }
}

/// OpenSSL's verdict on the server's certificate as k6's.
fn verify_error(result: X509VerifyResult) -> HandshakeError {
    // X509_V_ERR_*: unable to get issuer (2, 20), self-signed (18, 19),
    // unable to verify the leaf (21).
    match result.as_raw() {
        2 | 18 | 19 | 20 | 21 => HandshakeError::UnknownAuthority,
        // Not yet valid, expired.
        9 | 10 => HandshakeError::Expired,
        // Host name, IP address mismatch.
        62 | 64 => HandshakeError::Hostname(result.error_string().to_string()),
        _ => HandshakeError::Other(format!(
            "failed to verify certificate: x509: {}",
            result.error_string()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k6r_core::options::tls::CIPHER_SUITES;

    #[test]
    fn suites_are_offered_by_openssl_name_in_gos_order() {
        let id = |name: &str| CIPHER_SUITES.iter().find(|(n, _)| *n == name).unwrap().1;
        let options = TlsOptions {
            cipher_suites: Some(vec![
                id("TLS_RSA_WITH_RC4_128_SHA"),
                id("TLS_RSA_WITH_AES_128_GCM_SHA256"),
                id("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"),
                id("TLS_AES_128_GCM_SHA256"),
            ]),
            ..TlsOptions::default()
        };
        // RC4 is not in OpenSSL; TLS 1.3's suites are not configurable.
        assert_eq!(
            offered_suites(&options),
            ["ECDHE-RSA-CHACHA20-POLY1305", "AES128-GCM-SHA256"]
        );
        let defaults = offered_suites(&TlsOptions::default());
        assert_eq!(defaults.first(), Some(&"ECDHE-ECDSA-AES128-GCM-SHA256"));
        assert!(
            defaults.iter().all(|s| s.starts_with("ECDHE-")),
            "{defaults:?}"
        );
    }

    #[test]
    fn versions_map_both_ways() {
        for n in [0x0301, 0x0302, 0x0303, 0x0304] {
            assert_eq!(ssl_version(n).and_then(version_number), Some(n));
        }
    }
}
