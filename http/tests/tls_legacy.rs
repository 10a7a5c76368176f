//! HTTPS to servers only OpenSSL can talk to: RSA key exchange and TLS
//! 1.0, against `openssl s_server` (Debian's `openssl`, installed by
//! `scripts/test`) on 127.0.0.1 port 0. Options that admit such versions
//! or suites make the client speak through OpenSSL; the response's TLS
//! facts, timings and errors read as with rustls.

use k6r_core::options::tls::CIPHER_SUITES;
use k6r_core::options::{TlsAuth, TlsOptions};
use k6r_demo::legacy_tls::{certificates, LegacyServer};
use k6r_http::{Client, ClientOptions, Request, Response, ResponseBody, TlsSettings};

/// The server's URL.
fn url(server: &LegacyServer) -> String {
    format!("https://127.0.0.1:{}/", server.port)
}

/// A folder with [`certificates`] in it.
fn certificates_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    dir
}

fn suite(name: &str) -> u16 {
    CIPHER_SUITES.iter().find(|(n, _)| *n == name).unwrap().1
}

async fn get(tls: TlsOptions, url: &str) -> Response {
    let settings = TlsSettings::new(tls);
    assert!(settings.uses_openssl());
    let client = Client::new(ClientOptions::default().with_tls(settings));
    *client.execute(Request::get(url)).await.response
}

#[tokio::test]
async fn rsa_key_exchange_as_in_ks_tlsconfig_example() {
    let dir = certificates_dir();
    let server = LegacyServer::start(dir.path(), &["-cipher", "AES128-GCM-SHA256", "-no_tls1_3"]);
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
    let r = get(tls.clone(), &url(&server)).await;
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
    let r = get(verified, &url(&server)).await;
    assert_eq!((r.status, r.error_code), (0, 1310), "{r:?}");
    assert_eq!(r.error, "x509: unknown authority");
}

#[tokio::test]
async fn tls_1_0_is_spoken_when_the_options_admit_it() {
    let dir = certificates_dir();
    // OpenSSL's servers, like its clients, allow TLS 1.0 only at security
    // level 0 (its signatures use SHA-1).
    let server = LegacyServer::start(
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
        &url(&server),
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
        &url(&server),
    )
    .await;
    assert_eq!((r.status, r.error_code), (0, 1010), "{r:?}");
    assert_eq!(r.error, "remote error: tls: protocol version not supported");
}

#[tokio::test]
async fn client_certificates_are_offered_through_openssl() {
    let dir = certificates_dir();
    let d = dir.path();
    let server = LegacyServer::start(
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
    let r = get(with_cert, &url(&server)).await;
    assert_eq!((r.status, r.error.as_str()), (200, ""), "{r:?}");
    // s_server's page names the client's certificate.
    let ResponseBody::Text(page) = &r.body else {
        panic!("{r:?}")
    };
    assert!(
        page.contains("CN=client") || page.contains("CN = client"),
        "{page}"
    );

    let r = get(tls, &url(&server)).await;
    assert_eq!((r.status, r.error_code), (0, 1010), "{r:?}");
    assert!(r.error.starts_with("remote error: tls: "), "{}", r.error);
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let dir = certificates_dir();
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
