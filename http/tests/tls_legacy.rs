//! HTTPS to servers only OpenSSL can talk to: RSA key exchange and TLS
//! 1.0, against `openssl s_server` (Debian's `openssl`, installed by
//! `scripts/test`) on 127.0.0.1 port 0. Options that admit such versions
//! or suites make the client speak through OpenSSL; the response's TLS
//! facts, timings and errors read as with rustls.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use k6r_core::options::tls::CIPHER_SUITES;
use k6r_core::options::{TlsAuth, TlsOptions};
use k6r_http::{Client, ClientOptions, Request, Response, ResponseBody, TlsSettings};

/// `openssl s_server -www` with `args`, on a free port; killed on drop.
struct SServer {
    child: Child,
    port: u16,
}

impl SServer {
    fn start(dir: &Path, args: &[&str]) -> SServer {
        let mut child = Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-accept", "127.0.0.1:0", "-www"])
            .args(["-cert", "leaf.pem", "-key", "leaf.key"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl runs");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines.next().expect("s_server prints its address").unwrap();
            if let Some(addr) = line.strip_prefix("ACCEPT ") {
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        // Keep reading what it prints so that it never blocks on a pipe.
        std::thread::spawn(move || lines.for_each(drop));
        SServer { child, port }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port)
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}

/// An RSA certificate authority (`ca.pem`), a server certificate for
/// 127.0.0.1 (`leaf.pem`, `leaf.key`) and a client one (`client.pem`,
/// `client.key`), both signed by it.
fn certificates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=k6r legacy CA",
        ],
    );
    for (name, ext) in [
        (
            "leaf",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        std::fs::write(d.join(format!("{name}.ext")), ext).unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &format!("{name}.pem"),
                "-extfile",
                &format!("{name}.ext"),
            ],
        );
    }
    dir
}

fn suite(name: &str) -> u16 {
    CIPHER_SUITES.iter().find(|(n, _)| *n == name).unwrap().1
}

async fn get(tls: TlsOptions, url: &str) -> Response {
    let settings = TlsSettings::new(tls);
    assert!(settings.uses_openssl());
    let client = Client::new(ClientOptions::default().with_tls(settings));
    client.execute(Request::get(url)).await.response
}

#[tokio::test]
async fn rsa_key_exchange_as_in_ks_tlsconfig_example() {
    let dir = certificates();
    let server = SServer::start(dir.path(), &["-cipher", "AES128-GCM-SHA256", "-no_tls1_3"]);
    // k6's examples/tlsconfig.js.
    let tls = TlsOptions {
        min_version: Some(0x0301),
        max_version: Some(0x0303),
        cipher_suites: Some(vec![
            suite("TLS_RSA_WITH_RC4_128_SHA"),
            suite("TLS_RSA_WITH_AES_128_GCM_SHA256"),
        ]),
        insecure_skip_verify: true,
        ..Default::default()
    };
    let r = get(tls.clone(), &server.url()).await;
    assert_eq!((r.status, r.error.as_str()), (200, ""), "{r:?}");
    assert_eq!(r.tls_version, "tls1.2");
    assert_eq!(r.tls_cipher_suite, "TLS_RSA_WITH_AES_128_GCM_SHA256");
    assert_eq!(r.ocsp.status, "unknown");
    let t = r.timings;
    assert!(t.tls_handshaking > 0.0, "{t:?}");
    assert!(t.blocked >= t.connecting + t.tls_handshaking, "{t:?}");

    // Without skipping verification the throwaway CA is unknown (1310).
    let verified = TlsOptions {
        insecure_skip_verify: false,
        ..tls
    };
    let r = get(verified, &server.url()).await;
    assert_eq!((r.status, r.error_code), (0, 1310), "{r:?}");
    assert_eq!(r.error, "x509: unknown authority");
}

#[tokio::test]
async fn tls_1_0_is_spoken_when_the_options_admit_it() {
    let dir = certificates();
    // OpenSSL's servers, like its clients, allow TLS 1.0 only at security
    // level 0 (its signatures use SHA-1).
    let server = SServer::start(
        dir.path(),
        &["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"],
    );
    // Go's default suites below TLS 1.3 include ECDHE with CBC.
    let r = get(
        TlsOptions {
            min_version: Some(0x0301),
            insecure_skip_verify: true,
            ..Default::default()
        },
        &server.url(),
    )
    .await;
    assert_eq!((r.status, r.error.as_str()), (200, ""), "{r:?}");
    assert_eq!(r.tls_version, "tls1.0");
    assert_eq!(r.tls_cipher_suite, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");

    // Go's default floor, TLS 1.2, is above what this server speaks: its
    // alert reads as Go words it.
    let r = get(
        TlsOptions {
            cipher_suites: Some(vec![suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")]),
            insecure_skip_verify: true,
            ..Default::default()
        },
        &server.url(),
    )
    .await;
    assert_eq!((r.status, r.error_code), (0, 1010), "{r:?}");
    assert_eq!(r.error, "remote error: tls: protocol version not supported");
}

#[tokio::test]
async fn client_certificates_are_offered_through_openssl() {
    let dir = certificates();
    let d = dir.path();
    let server = SServer::start(
        d,
        &[
            "-cipher",
            "AES128-GCM-SHA256",
            "-no_tls1_3",
            "-Verify",
            "1",
            "-CAfile",
            "ca.pem",
        ],
    );
    let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap();
    let tls = TlsOptions {
        cipher_suites: Some(vec![suite("TLS_RSA_WITH_AES_128_GCM_SHA256")]),
        insecure_skip_verify: true,
        ..Default::default()
    };
    let with_cert = TlsOptions {
        auth: vec![TlsAuth {
            cert: read("client.pem"),
            key: read("client.key"),
            ..Default::default()
        }],
        ..tls.clone()
    };
    let r = get(with_cert, &server.url()).await;
    assert_eq!((r.status, r.error.as_str()), (200, ""), "{r:?}");
    // s_server's page names the client's certificate.
    let ResponseBody::Text(page) = &r.body else {
        panic!("{r:?}")
    };
    assert!(
        page.contains("CN=client") || page.contains("CN = client"),
        "{page}"
    );

    let r = get(tls, &server.url()).await;
    assert_eq!((r.status, r.error_code), (0, 1010), "{r:?}");
    assert!(r.error.starts_with("remote error: tls: "), "{}", r.error);
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let dir = certificates();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let settings = TlsSettings::new(TlsOptions {
        min_version: Some(0x0301),
        auth: vec![TlsAuth {
            cert: read("client.pem"),
            key: read("leaf.key"),
            ..Default::default()
        }],
        ..Default::default()
    });
    assert!(settings.uses_openssl());
    assert_eq!(
        settings.check().unwrap_err().to_string(),
        "tls: private key does not match public key"
    );
}
