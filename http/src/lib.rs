//! k6r's HTTP engine: what a VU's `k6/http` calls do, minus JavaScript.
//!
//! Each VU owns a [`Client`] (its own connections and cookie jar, as in
//! k6). A call returns an [`Outcome`]: either [`Outcome::Cancelled`] (the
//! iteration was interrupted) or an [`Exchange`] holding k6's
//! [`Response`] and, for every hop (redirects included), the metric values
//! and tags ([`RequestMetrics`]) the engine should emit. Transport failures
//! are data: a `Response` with `status` 0 and k6's `error`/`error_code`
//! ([`Failure`], [`ErrorKind`]), never an `Err` or a panic.
//!
//! Everything runs on the caller's (current-thread) tokio runtime: an
//! HTTP/1.1 request is written and its answer read by the task that
//! sends it; only an HTTP/2 connection's hyper driver is spawned.
//!
//! # Why not reqwest
//! k6 reports `blocked`, `connecting`, `tls_handshaking`, `sending`,
//! `waiting` and `receiving` per request and counts bytes on the wire.
//! reqwest hides its pool and socket, so both `http://` and `https://` go
//! over metered sockets pooled per VU here: HTTP/1.1 written and parsed
//! by the transport itself (httparse, hyper's parser, reads the answer),
//! HTTP/2 through hyper's client when a TLS server picks it by ALPN;
//! TLS is rustls, configured from k6's TLS options in [`tls`], or
//! OpenSSL for the options rustls cannot honour (TLS 1.0/1.1, RSA key
//! exchange and CBC suites).
//!
//! # Layout
//! - [`client`]: [`Client`], one request with its redirect hops, responses
//!   and per-hop metrics.
//! - [`batch`]: `http.batch()` with the `batch`/`batchPerHost` limits.
//! - [`request`]: [`Request`], [`Body`], [`Params`] and their enums.
//! - [`response`]: [`Response`], [`Timings`], the `request` echo.
//! - [`metrics`]: [`RequestMetrics`] and [`Tags`], returned not emitted.
//! - [`expected`]: [`ExpectedStatuses`] behind `http_req_failed`.
//! - [`cookies`]: [`CookieJar`] (the VU's and `new http.CookieJar()`s) and
//!   `response.cookies`.
//! - [`prepare`]: validation, default headers, auth, bodies, cookies.
//! - [`target`]: the URL checked as Go checks it (k6's errors for bad URLs).
//! - [`multipart`]: `multipart/form-data` bodies (`http.file()` fields).
//! - [`compression`]: the `compression` param (gzip, deflate, zstd, br).
//! - [`digest`]: digest authentication (`auth: 'digest'`).
//! - [`ntlm`]: NTLM authentication (`auth: 'ntlm'`).
//! - [`failure`]: k6's error codes and messages.
//! - [`options`]: [`ClientOptions`] (k6's HTTP options).
//! - [`hosts`]: the `hosts` option, names resolved before DNS.
//! - [`transport`]: the wire: the per-VU pool, dialling, HTTP/1.1 and
//!   HTTP/2 over metered sockets.
//! - [`tls`]: k6's TLS options as a TLS client, rustls or OpenSSL
//!   ([`TlsSettings`], whose [`TlsError`] is the one set-up error), and
//!   what a TLS connection tells its responses ([`TlsInfo`]).
//! - [`ocsp`]: the stapled OCSP response (`response.ocsp`).
//! - `legacy_pem`: password-protected `tlsAuth` keys (legacy PEM
//!   encryption).
#![warn(missing_docs)]

pub mod batch;
pub mod client;
pub mod compression;
pub mod cookies;
pub mod digest;
pub mod expected;
pub mod failure;
pub mod hosts;
mod legacy_pem;
pub mod metrics;
pub mod multipart;
pub mod ntlm;
pub mod ocsp;
pub mod options;
pub mod prepare;
pub mod request;
pub mod response;
pub mod target;
pub mod tls;
pub mod transport;

pub use client::{Client, Exchange, Outcome};

/// A key PEM-encrypted the legacy way (`Proc-Type: 4,ENCRYPTED`),
/// decrypted with `password` (for `k6/net/grpc`'s `tls.password`, which
/// k6 reads as `tlsAuth` reads it): its PEM label and DER bytes.
pub fn decrypt_legacy_pem_key(
    pem: &str,
    password: &str,
) -> Result<(&'static str, Vec<u8>), tls::TlsError> {
    use tokio_rustls::rustls::pki_types::PrivateKeyDer;
    let der = legacy_pem::decrypt(pem, password)?;
    let label = match &der {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    Ok((label, der.secret_der().to_vec()))
}
pub use cookies::{CookieJar, CookieOptions};
pub use expected::ExpectedStatuses;
pub use failure::{ErrorKind, Failure};
pub use hosts::Hosts;
pub use metrics::{RequestMetrics, Tags};
pub use ocsp::Ocsp;
pub use options::{ClientOptions, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT};
pub use request::{
    Auth, Body, Compression, FormPart, FormValue, JarChoice, Params, Request, RequestCookie,
    ResponseType,
};
pub use response::{
    Headers, RequestInfo, Response, ResponseBody, ResponseCookie, SentCookie, Timings,
};
pub use tls::{TlsError, TlsInfo, TlsSettings};
pub use tokio_util::sync::CancellationToken;
