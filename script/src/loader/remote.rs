//! Remote modules: `import ... from 'https://...'` (and `require`).
//!
//! A remote module is fetched when the script loads, over HTTPS only (k6
//! refuses `http://`), trusting what k6 trusts: the system's root
//! certificates, which like Go's honour `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` (so a private CA is trusted the same way by both); a
//! module server with an unknown certificate is refused by both (a
//! self-signed certificate that is its own CA is refused by k6r even when
//! trusted: rustls, unlike Go, does not accept a CA certificate as a
//! server's). As k6 does, the first request carries a `_k6=1` query
//! parameter and, when it fails, the URL is asked for again as it is;
//! redirects are followed, and anything but a `200` fails the import.
//!
//! Each URL is fetched once per [`Script`](crate::Script), whose VUs share
//! the [`FetchOnce`] cache; a script packed for a cluster carries what was
//! fetched (see [`RecordingFiles`](crate::RecordingFiles)), so agents read
//! it from their [`MemoryFiles`](crate::MemoryFiles) and never fetch.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::files::{FetchError, Files};

/// How long one fetch may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Fetches `url` (an `https://` URL) from the network.
pub(crate) fn download(url: &str) -> Result<Vec<u8>, FetchError> {
    let url = url.to_owned();
    // Init code may run on a thread that is inside a Tokio runtime, where
    // nothing may block: the request gets a thread and a runtime of its own.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| transport(&url, error.to_string()))?;
                runtime.block_on(get(&url))
            })
            .join()
            .unwrap_or_else(|_| Err(transport(&url, "the fetch panicked".to_owned())))
    })
}

/// As k6: first with `_k6=1`, then, if that fails, the URL as it is.
async fn get(url: &str) -> Result<Vec<u8>, FetchError> {
    let client = client().map_err(|error| transport(url, error))?;
    match get_once(&client, url, true).await {
        Ok(body) => Ok(body),
        Err(_) => get_once(&client, url, false).await,
    }
}

async fn get_once(
    client: &reqwest::Client,
    url: &str,
    tagged: bool,
) -> Result<Vec<u8>, FetchError> {
    let mut request = client.get(url);
    if tagged {
        request = request.query(&[("_k6", "1")]);
    }
    let mut response = request
        .send()
        .await
        .map_err(|error| transport(url, reason(&error, url)))?;
    match response.status().as_u16() {
        200 => {}
        404 => {
            return Err(FetchError::NotFound {
                url: url.to_owned(),
            })
        }
        status => {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            })
        }
    }
    // Read in chunks up to a bound: a module server can't exhaust memory.
    let too_big = || {
        transport(
            url,
            format!("the module is larger than {MAX_MODULE_BYTES} bytes"),
        )
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_MODULE_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| transport(url, reason(&error, url)))?
    {
        if body.len() + chunk.len() > MAX_MODULE_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The largest remote module taken (64 MiB; jslib bundles are < 1 MiB).
const MAX_MODULE_BYTES: usize = 64 << 20;

/// A client trusting the system's roots only, as k6 does.
fn client() -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .timeout(TIMEOUT);
    let native = rustls_native_certs::load_native_certs();
    for certificate in native.certs {
        if let Ok(certificate) = reqwest::Certificate::from_der(&certificate) {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|error| error.to_string())
}

fn transport(url: &str, reason: String) -> FetchError {
    FetchError::Transport {
        url: url.to_owned(),
        reason,
    }
}

/// Why a request failed, in Go's words where k6 users know them (a
/// refused connection), else the innermost cause.
fn reason(error: &reqwest::Error, url: &str) -> String {
    let mut innermost: &dyn std::error::Error = error;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::ConnectionRefused {
                return format!("dial tcp {}: connect: connection refused", authority(url));
            }
        }
        innermost = cause;
        source = cause.source();
    }
    innermost.to_string()
}

/// `host:port` of `url`, the port defaulting to 443.
fn authority(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "{}:{}",
            parsed.host_str().unwrap_or_default(),
            parsed.port_or_known_default().unwrap_or(443)
        ),
        Err(_) => url.to_owned(),
    }
}

/// [`Files`] whose remote modules are fetched once and kept: what every
/// VU of a script shares.
#[derive(Debug)]
pub(crate) struct FetchOnce {
    inner: Arc<dyn Files>,
    /// URL → content. Held while fetching, so VUs starting together fetch
    /// a URL once.
    fetched: Mutex<HashMap<String, Arc<[u8]>>>,
}

impl FetchOnce {
    pub(crate) fn new(inner: Arc<dyn Files>) -> Self {
        Self {
            inner,
            fetched: Mutex::default(),
        }
    }
}

impl Files for FetchOnce {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut fetched = self.fetched.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(content) = fetched.get(url) {
            return Ok(content.to_vec());
        }
        let content = self.inner.fetch(url)?;
        fetched.insert(url.to_owned(), Arc::from(content.as_slice()));
        Ok(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_reads_as_in_go() {
        let error = download("https://127.0.0.1:1/x.js").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Get \"https://127.0.0.1:1/x.js\": dial tcp 127.0.0.1:1: connect: connection refused"
        );
    }

    #[test]
    fn the_authority_defaults_to_port_443() {
        assert_eq!(authority("https://example.com/a.js"), "example.com:443");
        assert_eq!(authority("https://[::1]:8443/a.js"), "[::1]:8443");
    }
}
