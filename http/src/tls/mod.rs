//! k6's TLS options as a TLS client, and what a TLS connection tells the
//! response (`tls_version`, `tls_cipher_suite`, `ocsp`).
//!
//! [`TlsSettings`] is built once per test and shared by every VU's client
//! (its configuration, system roots included, is made on first use and
//! kept). It speaks through one of two TLS libraries, chosen per test:
//!
//! - rustls, for every test whose options it can honour: TLS 1.2 and 1.3
//!   with forward-secret AEAD suites, which is what k6 offers by default.
//! - OpenSSL, for the options rustls cannot honour, which k6 (Go's
//!   `crypto/tls`) can: a `tlsVersion` whose `min` is TLS 1.0 or 1.1, or
//!   `tlsCipherSuites` naming a suite rustls lacks (RSA key exchange,
//!   CBC, 3DES). Servers of that age still exist, and their users load
//!   test them. RC4 is in neither library: such suites are left out of
//!   the offer.
//!
//! Both hand the transport the same `TlsStream`, report the same
//! [`TlsInfo`], and word their failures the same way
//! (`handshake_error`).
//!
//! # Layout
//!
//! - `mod.rs`: [`TlsSettings`] (options → client, the choice of library),
//!   `TlsStream`, [`TlsInfo`], the `tlsAuth` identities and the trust
//!   roots both libraries use.
//! - `rustls_client.rs`: the rustls client (versions, suites in Go's
//!   order, verifiers, client certificates) and its errors;
//!   [`Unverified`], the verifier of `insecureSkipTLSVerify`, which the
//!   other protocols' clients use too.
//! - `openssl_client.rs`: the OpenSSL client for legacy versions and
//!   suites.
//! - `handshake_error.rs`: a failed handshake as k6 reports it (codes,
//!   Go's texts and alert names).

mod handshake_error;
mod openssl_client;
mod rustls_client;

pub use rustls_client::Unverified;

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use k6r_core::options::tls::{cipher_suite_name, version_name};
use k6r_core::options::{TlsAuth, TlsOptions};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::failure::{ErrorKind, Failure};
use crate::ocsp::Ocsp;

pub(crate) use handshake_error::HandshakeError;
pub(crate) use rustls_client::{failure_of, handshake_failure};

/// The lowest version rustls speaks (TLS 1.2).
const TLS_1_2: u16 = 0x0303;

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
    /// A key the TLS library cannot sign with, or one that is not the
    /// certificate's.
    #[error("tls: {0}")]
    BadKey(String),
    /// A password-protected key that can't be decrypted (only legacy PEM
    /// encryption is read, as in k6).
    #[error("{0}")]
    Encrypted(String),
}

/// A test's TLS settings: the options, and the client made from them on
/// first use. Clones share the client.
#[derive(Clone, Default)]
pub struct TlsSettings {
    options: Arc<TlsOptions>,
    built: Arc<OnceLock<Result<Client, TlsError>>>,
}

/// The client of one of the two libraries.
enum Client {
    Rustls(rustls_client::Client),
    OpenSsl(openssl_client::Client),
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

    /// Builds the client now, so a bad certificate or key is reported
    /// when the test loads.
    pub fn check(&self) -> Result<(), TlsError> {
        self.built().map(|_| ())
    }

    /// Whether these options need OpenSSL: they admit a version below
    /// TLS 1.2 or name a cipher suite rustls lacks.
    pub fn uses_openssl(&self) -> bool {
        let legacy_version = self.options.min_version.is_some_and(|v| v < TLS_1_2);
        let legacy_suite = self
            .options
            .cipher_suites
            .as_ref()
            .is_some_and(|suites| suites.iter().any(|&id| !rustls_client::has_suite(id)));
        legacy_version || legacy_suite
    }

    fn built(&self) -> Result<&Client, TlsError> {
        self.built
            .get_or_init(|| {
                if self.uses_openssl() {
                    openssl_client::Client::build(&self.options).map(Client::OpenSsl)
                } else {
                    rustls_client::Client::build(&self.options).map(Client::Rustls)
                }
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The TLS handshake with `host` (a name or an IP address, without
    /// brackets) over `stream`, offering `alpn`.
    pub(crate) async fn handshake<S>(
        &self,
        host: &str,
        stream: S,
        alpn: Alpn,
    ) -> Result<Handshake<S>, Failure>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let client = self
            .built()
            .map_err(|e| Failure::new(ErrorKind::Tls, e.to_string()))?;
        match client {
            Client::Rustls(client) => client.connect(host, stream, alpn).await,
            Client::OpenSsl(client) => client.connect(host, stream, alpn).await,
        }
    }
}

/// The application protocols a handshake offers by ALPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alpn {
    /// `h2` and `http/1.1`: requests, which speak HTTP/2 where the server
    /// picks it.
    Http,
    /// `http/1.1` alone: a connection upgraded from HTTP/1.1 (a
    /// WebSocket), as k6 offers for its WebSockets.
    Http1,
}

impl Alpn {
    /// The protocols, in order of preference.
    fn protocols(self) -> &'static [&'static [u8]] {
        match self {
            Alpn::Http => &[b"h2", b"http/1.1"],
            Alpn::Http1 => &[b"http/1.1"],
        }
    }

    /// The protocols in OpenSSL's wire format (each prefixed with its length).
    fn wire(self) -> Vec<u8> {
        let mut wire = Vec::new();
        for protocol in self.protocols() {
            wire.push(protocol.len() as u8);
            wire.extend_from_slice(protocol);
        }
        wire
    }
}

/// An established TLS connection.
pub(crate) struct Handshake<S> {
    pub stream: TlsStream<S>,
    pub info: TlsInfo,
    /// Whether the server chose HTTP/2 (ALPN `h2`).
    pub h2: bool,
}

/// A TLS connection of either library.
pub(crate) enum TlsStream<S> {
    Rustls(Box<tokio_rustls::client::TlsStream<S>>),
    OpenSsl(Box<tokio_openssl::SslStream<S>>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            TlsStream::OpenSsl(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            TlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            TlsStream::OpenSsl(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            TlsStream::OpenSsl(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            TlsStream::OpenSsl(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
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
    /// The facts of an established connection: its protocol version and
    /// cipher suite (IANA numbers) and the stapled OCSP response (empty:
    /// none).
    fn new(version: Option<u16>, suite: Option<u16>, stapled: &[u8]) -> TlsInfo {
        TlsInfo {
            version: version.and_then(version_name).unwrap_or(""),
            cipher_suite: suite.and_then(cipher_suite_name).unwrap_or(""),
            ocsp: Ocsp::parse(stapled),
        }
    }
}

/// A `tlsAuth` entry read: its certificate chain and private key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// Reads `auth`'s PEM (decrypting a legacy-encrypted key with its
    /// password), with k6's errors.
    fn read(auth: &TlsAuth) -> Result<Identity, TlsError> {
        let chain = CertificateDer::pem_slice_iter(auth.cert.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| TlsError::NoCertificate)?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key = match &auth.password {
            Some(password) => crate::legacy_pem::decrypt(&auth.key, password)?,
            None => {
                PrivateKeyDer::from_pem_slice(auth.key.as_bytes()).map_err(|_| TlsError::NoKey)?
            }
        };
        Ok(Identity { chain, key })
    }
}

/// The system's trust roots (`SSL_CERT_FILE`/`SSL_CERT_DIR` are honoured,
/// as by Go), read once per process for both libraries.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// Go's error for a `tlsVersion` range that admits no version.
const NO_VERSION: &str = "tls: no supported versions satisfy MinVersion and MaxVersion";

/// The cipher suites in Go's order of preference (on CPUs with AES
/// instructions): servers that follow the client's order pick what they
/// pick for k6. Forward-secret AEAD suites first, then ECDHE with CBC,
/// then RSA key exchange, then 3DES.
const GO_PREFERENCE: [u16; 20] = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a,
    0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0xc023, 0xc027, 0x003c,
];

/// Where `suite` falls in Go's preference (unknown suites last).
fn go_rank(suite: u16) -> usize {
    GO_PREFERENCE
        .iter()
        .position(|&go| go == suite)
        .unwrap_or(GO_PREFERENCE.len())
}
