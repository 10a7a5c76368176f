//! An HTTPS server of the test's own on 127.0.0.1:0 serving fixed files,
//! with a certificate from a CA the test makes, and the log of what it
//! was asked for.
//!
//! k6 and k6r trust the system's roots, which `SSL_CERT_FILE` replaces:
//! [`trust_test_ca`] points it at the test CA for this test process
//! (nextest runs each test in a process of its own; under `cargo test`
//! every test of the binary sets the same file).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use rcgen::{BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A certificate authority made by the test.
pub struct Ca {
    certificate: Certificate,
    key: KeyPair,
    /// Its certificate, PEM, in a file of its own.
    pub pem_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Ca {
    /// A CA whose certificate's common name is `name`.
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let certificate = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pem_file = dir.path().join("ca.pem");
        std::fs::write(&pem_file, certificate.pem()).unwrap();
        Ca {
            certificate,
            key,
            pem_file,
            _dir: dir,
        }
    }

    /// A certificate for 127.0.0.1 and localhost, and its key.
    fn issue(&self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let certificate = params
            .signed_by(&key, &self.certificate, &self.key)
            .unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (certificate.der().clone(), key)
    }
}

/// The CA this test process trusts (through `SSL_CERT_FILE`).
pub fn trust_test_ca() -> &'static Ca {
    static CA: OnceLock<Ca> = OnceLock::new();
    CA.get_or_init(|| {
        let ca = Ca::new("k6r test CA");
        std::env::set_var("SSL_CERT_FILE", &ca.pem_file);
        ca
    })
}

/// A running server; it stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    /// Every request line's path (with its query), in the order they
    /// were answered.
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `files` (path → body; anything else is a 404) with a
    /// certificate from `ca`.
    pub fn start(ca: &Ca, files: &[(&str, &str)]) -> Server {
        let files: HashMap<String, String> = files
            .iter()
            .map(|(path, body)| ((*path).to_owned(), (*body).to_owned()))
            .collect();
        let (certificate, key) = ca.issue();
        let config =
            ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![certificate], key)
                .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let files = Arc::new(files);
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let (acceptor, files, seen) =
                            (acceptor.clone(), Arc::clone(&files), Arc::clone(&seen));
                        tokio::spawn(async move {
                            let Ok(mut tls) = acceptor.accept(stream).await else {
                                return;
                            };
                            let mut head = Vec::new();
                            let mut buf = [0u8; 1024];
                            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                                match tls.read(&mut buf).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => head.extend_from_slice(&buf[..n]),
                                }
                            }
                            let head = String::from_utf8_lossy(&head);
                            let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
                            let path = target.split('?').next().unwrap_or_default();
                            let response = match files.get(path) {
                                Some(body) => format!(
                                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                    body.len()
                                ),
                                None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                            };
                            // Logged before the answer: a client that has
                            // its answer finds its request in the log.
                            seen.lock().unwrap().push(target);
                            let _ = tls.write_all(response.as_bytes()).await;
                            let _ = tls.shutdown().await;
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                }
            });
        });
        Server {
            addr,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// The paths asked for so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Stops the server and waits until its port is closed.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}
