//! The rustls client: TLS 1.2 and 1.3, the ring provider's suites in
//! Go's order. A `tlsVersion` range that admits neither version fails
//! every `https://` request with Go's message; `tlsCipherSuites`, as in
//! Go, restricts TLS 1.2 only (TLS 1.3's suites are not configurable).

use std::sync::{Arc, Mutex};

use k6r_core::options::TlsOptions;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::ResolvesClientCert;
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion,
};
use tokio_rustls::TlsConnector;

use super::{
    go_rank, system_roots, Alpn, Handshake, HandshakeError, Identity, TlsError, TlsInfo, TlsStream,
    NO_VERSION,
};
use crate::failure::{ErrorKind, Failure};

/// The client: the rustls configuration made from the options.
pub(super) struct Client {
    config: Arc<ClientConfig>,
    /// The configuration's server certificate verifier.
    verifier: Arc<dyn ServerCertVerifier>,
    /// Why no connection can be made with these options (no version
    /// between `min` and `max`, no cipher suite rustls has).
    unusable: Option<&'static str>,
}

/// Whether rustls has the cipher suite numbered `id`.
pub(super) fn has_suite(id: u16) -> bool {
    crypto::ring::default_provider()
        .cipher_suites
        .iter()
        .any(|suite| u16::from(suite.suite()) == id)
}

impl Client {
    pub(super) fn build(options: &TlsOptions) -> Result<Client, TlsError> {
        build(options)
    }

    /// The handshake with `host` over `stream`, timed as `tls_handshaking`
    /// by the caller.
    pub(super) async fn connect<S>(
        &self,
        host: &str,
        stream: S,
        alpn: Alpn,
    ) -> Result<Handshake<S>, Failure>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        if let Some(reason) = self.unusable {
            return Err(Failure::new(ErrorKind::Tls, reason));
        }
        let name = ServerName::try_from(host)
            .map_err(|_| Failure::new(ErrorKind::InvalidUrl, "invalid host"))?
            .to_owned();
        // A verifier of this connection's own keeps the stapled OCSP
        // response it is shown.
        let ocsp = Arc::new(Mutex::new(Vec::new()));
        let mut config = (*self.config).clone();
        config.alpn_protocols = alpn.protocols().iter().map(|p| p.to_vec()).collect();
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(Stapled {
                inner: self.verifier.clone(),
                ocsp: ocsp.clone(),
            }));
        let stream = TlsConnector::from(Arc::new(config))
            .connect(name, stream)
            .await
            .map_err(|e| handshake_failure(&e))?;
        let (_, session) = stream.get_ref();
        let stapled = std::mem::take(&mut *ocsp.lock().unwrap_or_else(|e| e.into_inner()));
        let info = TlsInfo::new(
            session.protocol_version().map(u16::from),
            session
                .negotiated_cipher_suite()
                .map(|s| u16::from(s.suite())),
            &stapled,
        );
        let h2 = session.alpn_protocol() == Some(b"h2");
        Ok(Handshake {
            stream: TlsStream::Rustls(Box::new(stream)),
            info,
            h2,
        })
    }
}

fn build(options: &TlsOptions) -> Result<Client, TlsError> {
    let mut provider = provider(options);
    let mut versions = versions(options);
    let unusable = if versions.is_empty() {
        Some(NO_VERSION)
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
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    let roots = Arc::new(roots);
    let verifier: Arc<dyn ServerCertVerifier> = if options.insecure_skip_verify {
        Arc::new(Unverified::accepting(provider.clone()))
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
    let config = if keys.is_empty() {
        builder.with_no_client_auth()
    } else {
        builder.with_client_cert_resolver(Arc::new(ClientKeys(keys)))
    };
    Ok(Client {
        config: Arc::new(config),
        verifier,
        unusable,
    })
}

/// The ring provider in Go's order, with TLS 1.2 suites cut to
/// `tlsCipherSuites`.
fn provider(options: &TlsOptions) -> CryptoProvider {
    let mut provider = crypto::ring::default_provider();
    provider
        .cipher_suites
        .sort_by_key(|suite| go_rank(u16::from(suite.suite())));
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
            let Identity { chain, key } = Identity::read(auth)?;
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
pub struct Unverified {
    provider: Arc<CryptoProvider>,
    accept: bool,
}

impl Unverified {
    /// The verifier of `insecureSkipTLSVerify`: any certificate is
    /// accepted, the signatures checked with `provider`'s algorithms.
    pub fn accepting(provider: Arc<CryptoProvider>) -> Unverified {
        Unverified {
            provider,
            accept: true,
        }
    }
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

/// A rustls error as k6 reports it.
pub(crate) fn failure_of(tls: &rustls::Error) -> Failure {
    use rustls::CertificateError as Cert;
    let error = match tls {
        rustls::Error::InvalidCertificate(Cert::UnknownIssuer) => HandshakeError::UnknownAuthority,
        rustls::Error::InvalidCertificate(
            Cert::NotValidForName | Cert::NotValidForNameContext { .. },
        ) => HandshakeError::Hostname(tls.to_string()),
        rustls::Error::InvalidCertificate(
            Cert::Expired | Cert::ExpiredContext { .. } | Cert::NotValidYet,
        ) => HandshakeError::Expired,
        rustls::Error::AlertReceived(alert) => HandshakeError::Alert(u8::from(*alert)),
        other => HandshakeError::Other(other.to_string()),
    };
    error.failure()
}
