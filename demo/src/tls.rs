//! The demo target over HTTPS: HTTP/2 and HTTP/1.1 chosen by ALPN, a
//! throwaway certificate authority, and optionally client certificates
//! and a stapled OCSP response, so HTTPS load tests (and their tests)
//! never need a real certificate.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// A throwaway certificate authority with a server certificate for
/// `localhost` and `127.0.0.1`, and a client certificate, all in PEM.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The authority's certificate (what clients trust: `SSL_CERT_FILE`).
    pub ca_pem: String,
    /// The server's certificate.
    pub server_cert_pem: String,
    /// The server's key.
    pub server_key_pem: String,
    /// A client certificate signed by the same authority (`tlsAuth`).
    pub client_cert_pem: String,
    /// Its key.
    pub client_key_pem: String,
}

impl Identity {
    /// Makes a new authority and its two certificates.
    pub fn generate() -> Result<Identity, rcgen::Error> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "k6r demo authority");
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca.self_signed(&ca_key)?;
        let leaf = |names: Vec<String>, common: &str| -> Result<(String, String), rcgen::Error> {
            let mut params = CertificateParams::new(names)?;
            params.distinguished_name.push(DnType::CommonName, common);
            let key = KeyPair::generate()?;
            let cert = params.signed_by(&key, &ca_cert, &ca_key)?;
            Ok((cert.pem(), key.serialize_pem()))
        };
        let (server_cert_pem, server_key_pem) = leaf(
            vec!["localhost".into(), "127.0.0.1".into()],
            "k6r demo target",
        )?;
        let (client_cert_pem, client_key_pem) = leaf(Vec::new(), "k6r demo client")?;
        Ok(Identity {
            ca_pem: ca_cert.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
        })
    }
}

/// How the HTTPS server behaves.
#[derive(Debug, Clone, Default)]
pub struct TlsServerOptions {
    /// Offer HTTP/1.1 only (no `h2` in ALPN).
    pub http1_only: bool,
    /// Require a client certificate signed by the identity's authority.
    pub require_client_cert: bool,
    /// An OCSP response (DER) to staple to each handshake.
    pub ocsp: Vec<u8>,
    /// The highest TLS version offered is 1.2.
    pub tls12_only: bool,
}

/// The rustls server configuration for `identity` and `options`.
pub fn server_config(
    identity: &Identity,
    options: &TlsServerOptions,
) -> Result<ServerConfig, rustls::Error> {
    let provider = Arc::new(default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if options.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        rustls::DEFAULT_VERSIONS
    };
    let builder =
        ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(versions)?;
    let builder = if options.require_client_cert {
        let mut roots = RootCertStore::empty();
        roots.add(pem_cert(&identity.ca_pem)?)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let chain = vec![pem_cert(&identity.server_cert_pem)?];
    let key = PrivateKeyDer::from_pem_slice(identity.server_key_pem.as_bytes())
        .map_err(|e| rustls::Error::General(e.to_string()))?;
    let mut config = builder.with_single_cert_with_ocsp(chain, key, options.ocsp.clone())?;
    config.alpn_protocols = if options.http1_only {
        vec![b"http/1.1".to_vec()]
    } else {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    };
    Ok(config)
}

fn pem_cert(pem: &str) -> Result<CertificateDer<'static>, rustls::Error> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| rustls::Error::General(e.to_string()))
}

/// Serves `router` over TLS on `listener` until `shutdown` is cancelled;
/// connections still open then are closed. A failed handshake drops only
/// its connection.
pub async fn serve_tls(
    listener: TcpListener,
    config: ServerConfig,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let mut connections = JoinSet::new();
    loop {
        let (tcp, _peer): (_, SocketAddr) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => continue,
            },
            // Reap finished connections so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        let stop = shutdown.clone();
        connections.spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let serving = auto::Builder::new(TokioExecutor::new())
                // With upgrades: the WebSocket routes (`/ws/echo`).
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            tokio::select! {
                _ = serving => {}
                _ = stop.cancelled() => {}
            }
        });
    }
    connections.shutdown().await;
    Ok(())
}

/// What a stapled OCSP response says of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspStatus {
    /// `good`.
    Good,
    /// `revoked` at the given Unix second, for "key compromise".
    Revoked(u64),
}

/// An OCSP response (DER) for tests to staple: one single response with
/// `status`, produced at `produced_at` (Unix seconds), valid for a day.
/// Its signature is not a real one: clients that staple-read without an
/// issuer (k6, k6r) do not check it.
pub fn ocsp_response(status: OcspStatus, produced_at: u64) -> Result<Vec<u8>, der::Error> {
    use der::asn1::{BitString, GeneralizedTime, OctetString};
    use der::Encode;
    use std::time::Duration;
    use x509_cert::ext::pkix::CrlReason;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::AlgorithmIdentifierOwned;
    use x509_ocsp::{
        BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspResponse,
        OcspResponseStatus, ResponderId, ResponseBytes, ResponseData, RevokedInfo, SingleResponse,
    };

    let time = |secs: u64| -> Result<OcspGeneralizedTime, der::Error> {
        Ok(OcspGeneralizedTime(GeneralizedTime::from_unix_duration(
            Duration::from_secs(secs),
        )?))
    };
    let algorithm = |oid: &str| AlgorithmIdentifierOwned {
        oid: der::oid::ObjectIdentifier::new_unwrap(oid),
        parameters: None,
    };
    let cert_status = match status {
        OcspStatus::Good => CertStatus::good(),
        OcspStatus::Revoked(at) => CertStatus::revoked(RevokedInfo {
            revocation_time: time(at)?,
            revocation_reason: Some(CrlReason::KeyCompromise),
        }),
    };
    let single = SingleResponse {
        cert_id: CertId {
            // SHA-1, the hash OCSP certificate ids use.
            hash_algorithm: algorithm("1.3.14.3.2.26"),
            issuer_name_hash: OctetString::new([1u8; 20])?,
            issuer_key_hash: OctetString::new([2u8; 20])?,
            serial_number: SerialNumber::new(&[7])?,
        },
        cert_status,
        this_update: time(produced_at)?,
        next_update: Some(time(produced_at + 86_400)?),
        single_extensions: None,
    };
    let basic = BasicOcspResponse {
        tbs_response_data: ResponseData {
            version: Default::default(),
            responder_id: ResponderId::ByKey(OctetString::new([3u8; 20])?),
            produced_at: time(produced_at)?,
            responses: vec![single],
            response_extensions: None,
        },
        // ecdsa-with-SHA256.
        signature_algorithm: algorithm("1.2.840.10045.4.3.2"),
        signature: BitString::from_bytes(&[0u8; 64])?,
        certs: None,
    };
    OcspResponse {
        response_status: OcspResponseStatus::Successful,
        response_bytes: Some(ResponseBytes {
            response_type: der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1"),
            response: OctetString::new(basic.to_der()?)?,
        }),
    }
    .to_der()
}
