//! HTTPS against the reference `k6 run` (k6 v1.1.0): the same scripts run
//! in both against the demo target's HTTPS server (HTTP/2 and HTTP/1.1 by
//! ALPN, a throwaway authority trusted through `SSL_CERT_FILE`, as Go and
//! k6r both read it) on 127.0.0.1 port 0, and against `openssl s_server`
//! for what only OpenSSL speaks in k6r (RSA key exchange, TLS 1.0: k6's
//! `examples/tlsconfig.js`). What each script logs (the protocol, the TLS
//! version and cipher suite, the OCSP object, which timing phases were
//! measured, errors, checks) must be equal.

mod common;

use std::path::Path;
use std::process::Command;

use k6r_demo::legacy_tls::{certificates, LegacyServer};
use k6r_demo::tls::{ocsp_response, OcspStatus, TlsServerOptions};

/// The response facts a script logs, and which phases took time.
const FACTS: &str = r#"
const facts = (r) => [r.status, r.proto, r.tls_version, r.tls_cipher_suite, JSON.stringify(r.ocsp),
  JSON.stringify(r.error), r.error_code, r.timings.connecting > 0, r.timings.tls_handshaking > 0,
  r.timings.blocked >= r.timings.tls_handshaking].join(' ');
// Go may mark an HTTP/2 request written after its first response byte
// (k6 then shows waiting 0): waiting is not compared.
const reused = (r) => [r.status, r.proto, r.tls_version, r.tls_cipher_suite,
  r.timings.connecting, r.timings.tls_handshaking].join(' ');
"#;

const DEFAULTS: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/json`)));
  console.log(reused(http.get(`${__ENV.TARGET}/`)));
  const batch = http.batch([`${__ENV.TARGET}/delay/20`, `${__ENV.TARGET}/delay/10`, `${__ENV.TARGET}/json`]);
  // Which requests of a batch get the idle connection, and how many new
  // ones Go dials, is a race in Go: only "some did" is compared.
  console.log(batch.map((r) => `${r.status} ${r.proto}`).join(','),
    batch.some((r) => r.timings.tls_handshaking > 0));
  const posted = http.post(`${__ENV.TARGET}/echo`, 'over tls');
  console.log(posted.status, posted.body);
}
"#;

const TLS12: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1, tlsVersion: 'tls1.2',
  tlsCipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA'] };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/json`)));
}
"#;

const TLS13_FLOOR: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1, tlsVersion: { min: 'tls1.3', max: '' } };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/json`)));
}
"#;

const CLIENT_CERT: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1, tlsAuth: [{ cert: open(__ENV.CERT), key: open(__ENV.KEY) }] };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/json`)));
}
"#;

const ENCRYPTED_KEY: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1,
  tlsAuth: [{ cert: open(__ENV.CERT), key: open('encrypted-key.pem'), password: 'secret' }] };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/json`)));
}
"#;

const NO_CLIENT_CERT: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
export default function () {
  const r = http.get(`${__ENV.TARGET}/json`);
  // k6 reports the server's alert (1010) or a reset (1220), whichever
  // it reads first: only the failure is compared.
  console.log(r.status, r.proto, r.error_code > 0);
}
"#;

/// k6's `examples/tlsconfig.js` (its options and checks), retargeted.
const TLSCONFIG: &str = r#"
import http from 'k6/http';
import { check } from 'k6';
export const options = {
  iterations: 1,
  tlsCipherSuites: ['TLS_RSA_WITH_RC4_128_SHA', 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  tlsVersion: { min: 'tls1.0', max: 'tls1.2' },
};
export default function () {
  const r = http.get(`${__ENV.TARGET}/`);
  console.log(facts(r));
  console.log(check(r, {
    'is TLSv1.2': (r) => r.tls_version === http.TLS_1_2,
    'is sha256 cipher suite': (r) => r.tls_cipher_suite === 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  }));
}
"#;

const TLS10: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1, tlsVersion: { min: 'tls1.0', max: 'tls1.3' } };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/`)));
}
"#;

const INSECURE: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1, insecureSkipTLSVerify: true };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/json`)));
}
"#;

const UNTRUSTED: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
export default function () {
  console.log(facts(http.get(`${__ENV.TARGET}/json`)));
}
"#;

/// What `console.log` printed, one entry per line, in order, when
/// `binary` ran `script` in `dir` against `url`.
fn logged(binary: &str, dir: &Path, url: &str, script: &str, trust: bool) -> Vec<String> {
    std::fs::write(dir.join("script.js"), format!("{FACTS}{script}")).unwrap();
    let mut command = Command::new(binary);
    command
        .current_dir(dir)
        .args(["run", "-q", "--no-summary", "-e"])
        .arg(format!("TARGET={url}"))
        .args(["-e", "CERT=client.pem", "-e", "KEY=client-key.pem"])
        .arg("script.js")
        .env_remove("SSL_CERT_DIR");
    if trust {
        command.env("SSL_CERT_FILE", dir.join("ca.pem"));
    } else {
        command.env("SSL_CERT_FILE", Path::new("/nonexistent/ca.pem"));
    }
    let out = command.output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{binary}: {stderr}");
    common::console_messages(&stderr)
}

fn same_as_k6(options: TlsServerOptions, script: &str, trust: bool) -> Vec<String> {
    let target = common::TlsDemo::start(&options);
    compare(&target, script, trust)
}

/// [`same_as_k6`] after `prepare` wrote more files next to the script.
fn same_as_k6_with(
    options: TlsServerOptions,
    script: &str,
    prepare: impl FnOnce(&Path),
) -> Vec<String> {
    let target = common::TlsDemo::start(&options);
    prepare(target.dir.path());
    compare(&target, script, true)
}

fn compare(target: &common::TlsDemo, script: &str, trust: bool) -> Vec<String> {
    compare_in(target.dir.path(), &target.url("https"), script, trust)
}

fn compare_in(dir: &Path, url: &str, script: &str, trust: bool) -> Vec<String> {
    let expected = logged("k6", dir, url, script, trust);
    assert!(!expected.is_empty(), "k6 logged nothing");
    let actual = logged(env!("CARGO_BIN_EXE_k6r-cli"), dir, url, script, trust);
    assert_eq!(actual, expected, "logs differ");
    actual
}

/// `openssl s_server -www` with a throwaway RSA authority (`ca.pem` in
/// its folder), speaking only what `args` allow.
struct LegacyTarget {
    url: String,
    dir: tempfile::TempDir,
    _server: LegacyServer,
}

impl LegacyTarget {
    fn start(args: &[&str]) -> LegacyTarget {
        let dir = tempfile::tempdir().unwrap();
        certificates(dir.path());
        let server = LegacyServer::start(dir.path(), args);
        LegacyTarget {
            url: format!("https://localhost:{}", server.port),
            dir,
            _server: server,
        }
    }
}

#[test]
fn https_with_http2_reports_what_k6_reports() {
    let lines = same_as_k6(TlsServerOptions::default(), DEFAULTS, true);
    assert!(
        lines[0].starts_with("200 HTTP/2.0 tls1.3 TLS_"),
        "{lines:?}"
    );
}

#[test]
fn an_http1_only_server_gets_http1_over_tls_as_in_k6() {
    let http1 = TlsServerOptions {
        http1_only: true,
        ..Default::default()
    };
    let lines = same_as_k6(http1, DEFAULTS, true);
    assert!(lines[0].starts_with("200 HTTP/1.1 tls1.3"), "{lines:?}");
}

#[test]
fn tls_version_and_cipher_suites_apply_as_in_k6() {
    let lines = same_as_k6(TlsServerOptions::default(), TLS12, true);
    assert!(
        lines[0].starts_with("200 HTTP/2.0 tls1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        "{lines:?}"
    );
    let tls12_server = TlsServerOptions {
        tls12_only: true,
        ..Default::default()
    };
    let lines = same_as_k6(tls12_server, TLS13_FLOOR, true);
    assert!(lines[0].starts_with("0 "), "{lines:?}");
}

#[test]
fn tls_auth_client_certificates_work_as_in_k6() {
    let mutual = TlsServerOptions {
        require_client_cert: true,
        ..Default::default()
    };
    let lines = same_as_k6(mutual.clone(), CLIENT_CERT, true);
    assert!(lines[0].starts_with("200 HTTP/2.0"), "{lines:?}");
    let lines = same_as_k6(mutual.clone(), NO_CLIENT_CERT, true);
    assert_eq!(lines, ["0  true"]);
    // Password-protected keys in the legacy PEM encryption k6 reads.
    for cipher in ["-aes256", "-des3"] {
        let lines = same_as_k6_with(mutual.clone(), ENCRYPTED_KEY, |dir| {
            common::encrypt_client_key(dir, cipher);
            let key = std::fs::read_to_string(dir.join("encrypted-key.pem")).unwrap();
            assert!(key.contains("Proc-Type: 4,ENCRYPTED"), "{key}");
        });
        assert!(lines[0].starts_with("200 HTTP/2.0"), "{cipher}: {lines:?}");
    }
    let lines = same_as_k6(mutual, NO_CLIENT_CERT, true);
    assert_eq!(lines, ["0  true"]);
}

#[test]
fn rsa_key_exchange_and_tls_1_0_work_as_in_k6() {
    let rsa_only = LegacyTarget::start(&["-cipher", "AES128-GCM-SHA256", "-no_tls1_3"]);
    let lines = compare_in(rsa_only.dir.path(), &rsa_only.url, TLSCONFIG, true);
    assert_eq!(
        lines,
        [
            "200 HTTP/1.0 tls1.2 TLS_RSA_WITH_AES_128_GCM_SHA256 {\"produced_at\":0,\"this_update\":0,\"next_update\":0,\"revoked_at\":0,\"revocation_reason\":\"\",\"status\":\"unknown\"} \"\" 0 true true true",
            "true"
        ]
    );
    // TLS 1.0 (OpenSSL serves it only at security level 0).
    let tls10 = LegacyTarget::start(&["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"]);
    let lines = compare_in(tls10.dir.path(), &tls10.url, TLS10, true);
    assert!(
        lines[0].starts_with("200 HTTP/1.0 tls1.0 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA "),
        "{lines:?}"
    );
    // Untrusted, the legacy server fails as the modern one does.
    let lines = compare_in(rsa_only.dir.path(), &rsa_only.url, TLSCONFIG, false);
    assert!(lines[0].contains(" 1310 "), "{lines:?}");
}

#[test]
fn untrusted_certificates_fail_unless_verification_is_skipped_as_in_k6() {
    let lines = same_as_k6(TlsServerOptions::default(), UNTRUSTED, false);
    assert!(lines[0].contains("1310"), "{lines:?}");
    let lines = same_as_k6(TlsServerOptions::default(), INSECURE, false);
    assert!(lines[0].starts_with("200 HTTP/2.0 tls1.3"), "{lines:?}");
}

#[test]
fn a_stapled_ocsp_response_reads_as_in_k6() {
    for status in [OcspStatus::Good, OcspStatus::Revoked(1_700_000_000)] {
        let stapled = TlsServerOptions {
            ocsp: ocsp_response(status, 1_750_000_000).unwrap(),
            ..Default::default()
        };
        let lines = same_as_k6(stapled, UNTRUSTED, true);
        assert!(lines[0].contains("\"produced_at\":1750000000"), "{lines:?}");
    }
}

#[test]
fn bad_tls_options_are_refused_as_k6_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    for options in [
        r#"{ tlsVersion: 'tls9' }"#,
        r#"{ tlsVersion: { min: 'tls1.2', max: 'tls1.5' } }"#,
        r#"{ tlsCipherSuites: ['FOO'] }"#,
        r#"{ tlsCipherSuites: 'TLS_AES_128_GCM_SHA256' }"#,
        r#"{ tlsAuth: [{ cert: 'x', key: 'y' }] }"#,
    ] {
        let script =
            format!("export const options = {options};\nexport default function () {{}}\n");
        std::fs::write(dir.path().join("options.js"), script).unwrap();
        let refusal = |binary: &str| {
            let out = Command::new(binary)
                .current_dir(dir.path())
                .args(["run", "-q", "--no-summary", "options.js"])
                .output()
                .expect("binary runs");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let message = stderr
                .lines()
                .find_map(|l| l.split(" msg=").nth(1))
                .map(|m| m.replace("\\\"", "\""))
                .unwrap_or_default();
            (out.status.code(), message)
        };
        let expected = refusal("k6");
        assert_eq!(expected.0, Some(104), "{options}");
        // k6 quotes a JSON decoding error's input; the error itself must match.
        let (code, message) = refusal(env!("CARGO_BIN_EXE_k6r-cli"));
        assert_eq!(code, expected.0, "{options}");
        let tail = |m: &str| m.rsplit(": ").next().unwrap_or_default().to_string();
        assert_eq!(tail(&message), tail(&expected.1), "{options}: {message}");
    }
}
