//! TLS for `rediss://` URLs and the options object's `socket.tls`:
//! rustls, trusting `tls.ca` (or the system's roots), presenting
//! `tls.cert`/`tls.key`, and, as k6 merges its own TLS options in,
//! skipping verification under `insecureSkipTLSVerify`.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use k6r_http::tls::Unverified;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use super::error::Error;
use super::options::TlsConfig;

/// Go's refusal of a TLS config that names no server and verifies.
const NO_SERVER_NAME: &str =
    "tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config";

/// Upgrades `stream` (connected to `ip`) to TLS as `config` and k6's
/// `insecureSkipTLSVerify` (`insecure`) say.
pub(super) async fn upgrade(
    stream: TcpStream,
    ip: IpAddr,
    config: &TlsConfig,
    insecure: bool,
) -> Result<TlsStream<TcpStream>, Error> {
    let name = match &config.server_name {
        Some(name) => ServerName::try_from(name.clone())
            .map_err(|_| Error::Tls(format!("tls: invalid server name {name:?}")))?,
        // Go sends no SNI without a name; rustls sends none for an IP.
        None if insecure => ServerName::IpAddress(ip.into()),
        None => return Err(Error::Tls(NO_SERVER_NAME.into())),
    };
    let client = client_config(config, insecure)?;
    TlsConnector::from(Arc::new(client))
        .connect(name, stream)
        .await
        .map_err(|error| Error::Tls(handshake_error(&error)))
}

fn client_config(config: &TlsConfig, insecure: bool) -> Result<ClientConfig, Error> {
    let provider = Arc::new(crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::Tls(format!("tls: {error}")))?;
    let builder = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified::accepting(provider)))
    } else {
        builder.with_root_certificates(roots(config))
    };
    match &config.identity {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .filter_map(Result::ok)
                    .collect();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                .map_err(|_| Error::Tls("tls: failed to find any PEM data in key input".into()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|error| Error::Tls(format!("tls: {error}")))
        }
    }
}

/// `tls.ca` when given (what fails to parse is skipped, as Go's
/// `AppendCertsFromPEM` does), else the system's roots.
fn roots(config: &TlsConfig) -> RootCertStore {
    let mut store = RootCertStore::empty();
    if config.ca.is_empty() {
        static SYSTEM: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
        let system = SYSTEM.get_or_init(|| rustls_native_certs::load_native_certs().certs);
        store.add_parsable_certificates(system.iter().cloned());
    } else {
        for pem in &config.ca {
            let certs = CertificateDer::pem_slice_iter(pem.as_bytes()).filter_map(Result::ok);
            store.add_parsable_certificates(certs);
        }
    }
    store
}

/// A failed handshake in Go's words where they are known.
fn handshake_error(error: &std::io::Error) -> String {
    let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return error.to_string();
    };
    match tls {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                .into()
        }
        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
            ..
        }) => {
            "tls: failed to verify certificate: x509: certificate is not valid for the server name"
                .into()
        }
        other => format!("tls: {other}"),
    }
}
