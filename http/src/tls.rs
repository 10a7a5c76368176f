//! k6's TLS options as a rustls client configuration, and what a TLS
//! connection tells the response (`tls_version`, `tls_cipher_suite`,
//! `ocsp`).
//!
//! [`TlsSettings`] is built once per test and shared by every VU's client
//! (its configuration, system roots included, is made on first use and
//! kept). rustls speaks TLS 1.2 and 1.3: a `tlsVersion` range that admits
//! neither fails every `https://` request with Go's message; cipher
//! suites rustls lacks (CBC, RC4, 3DES) are left out of the offer, and
//! `tlsCipherSuites`, as in Go, restricts TLS 1.2 only (TLS 1.3's suites
//! are not configurable).

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use k6r_core::options::tls::{cipher_suite_name, version_name};
use k6r_core::options::TlsOptions;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::ResolvesClientCert;
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion,
};

use crate::failure::{ErrorKind, Failure};
use crate::ocsp::Ocsp;

/// Why the TLS options cannot be used (reported when the test loads, as
/// k6 does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// A `tlsAuth` certificate that is no PEM certificate.
    #[error("tls: failed to find any PEM data in certificate input")]
    NoCertificate,
    /// A `tlsAuth` key that is no PEM key.
    #[error("tls: failed to find any PEM data in key input")]
    NoKey,
    /// A key rustls cannot sign with, or one that is not the
    /// certificate's.
    #[error("tls: {0}")]
    BadKey(String),
    /// A password-protected key that can't be decrypted (only legacy PEM
    /// encryption is read, as in k6).
    #[error("{0}")]
    Encrypted(String),
}

/// A test's TLS settings: the options, and the rustls configuration made
/// from them on first use. Clones share the configuration.
#[derive(Clone, Default)]
pub struct TlsSettings {
    options: Arc<TlsOptions>,
    built: Arc<OnceLock<Result<Built, TlsError>>>,
}

#[derive(Clone)]
struct Built {
    config: Arc<ClientConfig>,
    /// The configuration's server certificate verifier.
    verifier: Arc<dyn ServerCertVerifier>,
    /// Why no connection can be made with these options (no version
    /// between `min` and `max`, no cipher suite rustls has).
    unusable: Option<&'static str>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl PartialEq for TlsSettings {
    fn eq(&self, other: &Self) -> bool {
        self.options == other.options
    }
}

impl Eq for TlsSettings {}

impl TlsSettings {
    /// Settings for `options`; nothing is built yet.
    pub fn new(options: TlsOptions) -> Self {
        TlsSettings {
            options: Arc::new(options),
            built: Arc::default(),
        }
    }

    /// The options.
    pub fn options(&self) -> &TlsOptions {
        &self.options
    }

    /// Builds the configuration now, so a bad certificate or key is
    /// reported when the test loads.
    pub fn check(&self) -> Result<(), TlsError> {
        self.built().map(|_| ())
    }

    fn built(&self) -> Result<&Built, TlsError> {
        self.built
            .get_or_init(|| build(&self.options))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The configuration of one new connection: the test's, with a
    /// verifier that keeps the server's stapled OCSP response in `ocsp`.
    pub(crate) fn connection_config(
        &self,
        ocsp: &Arc<Mutex<Vec<u8>>>,
    ) -> Result<Arc<ClientConfig>, Failure> {
        let built = self
            .built()
            .map_err(|e| Failure::new(ErrorKind::Tls, e.to_string()))?;
        if let Some(reason) = built.unusable {
            return Err(Failure::new(ErrorKind::Tls, reason));
        }
        let mut config = (*built.config).clone();
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(Stapled {
                inner: built.verifier.clone(),
                ocsp: ocsp.clone(),
            }));
        Ok(Arc::new(config))
    }
}

fn build(options: &TlsOptions) -> Result<Built, TlsError> {
    let mut provider = provider(options);
    let mut versions = versions(options);
    let unusable = if versions.is_empty() {
        Some("tls: no supported versions satisfy MinVersion and MaxVersion")
    } else if !provider
        .cipher_suites
        .iter()
        .any(|suite| versions.contains(&suite.version()))
    {
        Some(
            "tls: no cipher suite of tlsCipherSuites can be offered: k6r's TLS (rustls) has no \
             RSA key exchange, CBC, RC4 or 3DES suites",
        )
    } else {
        None
    };
    // rustls refuses a configuration without versions or suites: build
    // with its defaults and fail each connection instead (as Go does).
    if unusable.is_some() {
        provider = crypto::ring::default_provider();
        versions = rustls::DEFAULT_VERSIONS.to_vec();
    }
    let provider = Arc::new(provider);
    let roots = system_roots();
    let verifier: Arc<dyn ServerCertVerifier> = if options.insecure_skip_verify {
        Arc::new(Unverified {
            provider: provider.clone(),
            accept: true,
        })
    } else if roots.is_empty() {
        // No trust anchor on this machine: every certificate is unknown.
        Arc::new(Unverified {
            provider: provider.clone(),
            accept: false,
        })
    } else {
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| TlsError::BadKey(e.to_string()))?
    };
    let keys = client_keys(options, &provider)?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| TlsError::BadKey(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone());
    let mut config = if keys.is_empty() {
        builder.with_no_client_auth()
    } else {
        builder.with_client_cert_resolver(Arc::new(ClientKeys(keys)))
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Built {
        config: Arc::new(config),
        verifier,
        unusable,
    })
}

/// The system's trust roots (`SSL_CERT_FILE`/`SSL_CERT_DIR` are honoured,
/// as by Go), read once per process.
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            Arc::new(roots)
        })
        .clone()
}

/// The cipher suites in Go's order of preference (on CPUs with AES
/// instructions): servers that follow the client's order pick what they
/// pick for k6.
const GO_PREFERENCE: [u16; 9] = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
];

/// The ring provider in Go's order, with TLS 1.2 suites cut to
/// `tlsCipherSuites`.
fn provider(options: &TlsOptions) -> CryptoProvider {
    let mut provider = crypto::ring::default_provider();
    provider.cipher_suites.sort_by_key(|suite| {
        let id = u16::from(suite.suite());
        GO_PREFERENCE
            .iter()
            .position(|&go| go == id)
            .unwrap_or(GO_PREFERENCE.len())
    });
    if let Some(wanted) = &options.cipher_suites {
        provider.cipher_suites.retain(|suite| match suite {
            rustls::SupportedCipherSuite::Tls13(_) => true,
            rustls::SupportedCipherSuite::Tls12(_) => wanted.contains(&u16::from(suite.suite())),
        });
    }
    provider
}

fn versions(options: &TlsOptions) -> Vec<&'static SupportedProtocolVersion> {
    let min = options.min_version.unwrap_or(0);
    let max = options.max_version.unwrap_or(u16::MAX);
    rustls::ALL_VERSIONS
        .iter()
        .copied()
        .filter(|v| {
            let n = u16::from(v.version);
            n >= min && n <= max
        })
        .collect()
}

/// The `tlsAuth` certificates with their signing keys.
fn client_keys(
    options: &TlsOptions,
    provider: &CryptoProvider,
) -> Result<Vec<Arc<CertifiedKey>>, TlsError> {
    options
        .auth
        .iter()
        .map(|auth| {
            let chain = CertificateDer::pem_slice_iter(auth.cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| TlsError::NoCertificate)?;
            if chain.is_empty() {
                return Err(TlsError::NoCertificate);
            }
            let key = match &auth.password {
                Some(password) => crate::legacy_pem::decrypt(&auth.key, password)?,
                None => PrivateKeyDer::from_pem_slice(auth.key.as_bytes())
                    .map_err(|_| TlsError::NoKey)?,
            };
            let signer = provider
                .key_provider
                .load_private_key(key)
                .map_err(|e| TlsError::BadKey(e.to_string()))?;
            let certified = CertifiedKey::new(chain, signer);
            certified
                .keys_match()
                .map_err(|_| TlsError::BadKey("private key does not match public key".into()))?;
            Ok(Arc::new(certified))
        })
        .collect()
}

/// Offers the first `tlsAuth` certificate whose key signs with a scheme
/// the server accepts (Go's choice among `Certificates`).
#[derive(Debug)]
struct ClientKeys(Vec<Arc<CertifiedKey>>);

impl ResolvesClientCert for ClientKeys {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.0
            .iter()
            .find(|key| key.key.choose_scheme(sigschemes).is_some())
            .cloned()
    }

    fn has_certs(&self) -> bool {
        !self.0.is_empty()
    }
}

/// The test's verifier, keeping the stapled OCSP response it is shown.
#[derive(Debug)]
struct Stapled {
    inner: Arc<dyn ServerCertVerifier>,
    ocsp: Arc<Mutex<Vec<u8>>>,
}

impl ServerCertVerifier for Stapled {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.ocsp.lock().unwrap_or_else(|e| e.into_inner()) = ocsp_response.to_vec();
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A verifier that does not look at the certificate: `accept` it
/// (`insecureSkipTLSVerify`) or call its issuer unknown (no trust anchor
/// at all). The handshake's signatures are still checked, so the peer
/// must hold the certificate's key.
#[derive(Debug)]
struct Unverified {
    provider: Arc<CryptoProvider>,
    accept: bool,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.accept {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What a TLS connection tells each of its responses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// `tls1.3`-style version.
    pub version: &'static str,
    /// k6's name of the negotiated cipher suite.
    pub cipher_suite: &'static str,
    /// The stapled OCSP response (status `unknown` without one).
    pub ocsp: Ocsp,
}

impl TlsInfo {
    /// The facts of an established connection.
    pub(crate) fn of(conn: &rustls::ClientConnection, stapled: &[u8]) -> TlsInfo {
        TlsInfo {
            version: conn
                .protocol_version()
                .and_then(|v| version_name(u16::from(v)))
                .unwrap_or(""),
            cipher_suite: conn
                .negotiated_cipher_suite()
                .and_then(|s| cipher_suite_name(u16::from(s.suite())))
                .unwrap_or(""),
            ocsp: Ocsp::parse(stapled),
        }
    }
}

/// A failed handshake as k6 reports it (an I/O error that is no TLS
/// error is the socket's).
pub(crate) fn handshake_failure(err: &std::io::Error) -> Failure {
    if let Some(tls) = tls_error_in(err) {
        return failure_of(tls);
    }
    // After a fatal alert, rustls' reader reports it as text only.
    let text = err.to_string();
    let alert = text
        .strip_prefix("received fatal alert: ")
        .and_then(|name| {
            (0..=u8::MAX)
                .map(rustls::AlertDescription::from)
                .find(|a| format!("{a:?}") == name)
        });
    match alert {
        Some(alert) => failure_of(&rustls::Error::AlertReceived(alert)),
        None => Failure::from_io("read", err),
    }
}

/// The rustls error inside an I/O error, however deep it is wrapped.
fn tls_error_in(err: &std::io::Error) -> Option<&rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = match err.get_ref() {
        Some(inner) => Some(inner),
        None => return None,
    };
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cur = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// A TLS error as k6 reports it: the code of its kind, k6's `error`
/// text, and Go's wording where k6 logs that.
pub(crate) fn failure_of(tls: &rustls::Error) -> Failure {
    use rustls::CertificateError as Cert;
    let (kind, message, detail) = match tls {
        rustls::Error::InvalidCertificate(Cert::UnknownIssuer) => (
            ErrorKind::TlsUnknownAuthority,
            "x509: unknown authority".to_string(),
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                .to_string(),
        ),
        rustls::Error::InvalidCertificate(
            Cert::NotValidForName | Cert::NotValidForNameContext { .. },
        ) => (
            ErrorKind::TlsHostname,
            "x509: certificate doesn't match hostname".to_string(),
            format!("tls: failed to verify certificate: x509: {tls}"),
        ),
        rustls::Error::InvalidCertificate(
            Cert::Expired | Cert::ExpiredContext { .. } | Cert::NotValidYet,
        ) => {
            let text = "tls: failed to verify certificate: x509: certificate has expired or is not yet valid".to_string();
            (ErrorKind::Tls, text.clone(), text)
        }
        // Go reports a received alert as a non-TCP network error (1010).
        rustls::Error::AlertReceived(alert) => {
            let text = format!("remote error: tls: {}", alert_text(*alert));
            (ErrorKind::NetNonTcp, text.clone(), text)
        }
        other => {
            let text = format!("tls: {other}");
            (ErrorKind::Tls, text.clone(), text)
        }
    };
    let mut failure = Failure::new(kind, message);
    failure.detail = Some(detail);
    failure
}

/// Go's words for a TLS alert (`crypto/tls`'s alert texts).
fn alert_text(alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    let text = match alert {
        A::CloseNotify => "close notify",
        A::UnexpectedMessage => "unexpected message",
        A::BadRecordMac => "bad record MAC",
        A::RecordOverflow => "record overflow",
        A::HandshakeFailure => "handshake failure",
        A::BadCertificate => "bad certificate",
        A::UnsupportedCertificate => "unsupported certificate",
        A::CertificateRevoked => "revoked certificate",
        A::CertificateExpired => "expired certificate",
        A::CertificateUnknown => "unknown certificate",
        A::IllegalParameter => "illegal parameter",
        A::UnknownCA => "unknown certificate authority",
        A::AccessDenied => "access denied",
        A::DecodeError => "error decoding message",
        A::DecryptError => "error decrypting message",
        A::ProtocolVersion => "protocol version not supported",
        A::InsufficientSecurity => "insufficient security level",
        A::InternalError => "internal error",
        A::InappropriateFallback => "inappropriate fallback",
        A::UserCanceled => "user canceled",
        A::NoRenegotiation => "no renegotiation",
        A::MissingExtension => "missing extension",
        A::UnsupportedExtension => "unsupported extension",
        A::UnrecognisedName => "unrecognized name",
        A::BadCertificateStatusResponse => "bad certificate status response",
        A::UnknownPSKIdentity => "unknown PSK identity",
        A::CertificateRequired => "certificate required",
        A::NoApplicationProtocol => "no application protocol",
        other => return format!("alert({})", u8::from(other)),
    };
    text.to_string()
}
