//! `k6/encoding`, `k6/crypto`, `k6/crypto/x509` and the global `crypto`
//! against the reference `k6 run` (k6 v1.1.0): the same scripts log the
//! same lines (values and error messages). The encoding and hashing
//! scripts are the k6r-script fixtures, logging each result instead of
//! returning them as tags; the certificates are made by `openssl` for
//! the test.

mod common;

use std::path::Path;
use std::process::Command;

/// A fixture of `script/tests/fixtures/crypto` as a script that logs
/// each `name => value` in its default function.
fn logging(fixture: &str) -> String {
    let logged = "export const options = { iterations: 1 };\n\
        export default function () { for (const k of Object.keys(out)) console.log(k + ' => ' + out[k]); }";
    fixture
        .lines()
        // k6 itself crashes on an unknown createHash algorithm.
        .filter(|line| !line.contains("createHashBad"))
        .map(|line| {
            if line.starts_with("export const options") {
                logged
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const X509: &str = r#"
import x509 from 'k6/crypto/x509';
export const options = { iterations: 1 };
const rsa = open('./rsa.pem');
const ec = open('./ec.pem');
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? 'bigint:' + x.toString() : x));
function t(name, f) {
  try { console.log(name, show(f())); } catch (e) { console.log(name, 'ERR', e.name, e.message); }
}
export default function () {
  console.log(Object.keys(x509).sort().join());
  t('rsa', () => x509.parse(rsa));
  t('ec', () => x509.parse(ec));
  t('altNames', () => x509.getAltNames(rsa));
  t('issuer', () => x509.getIssuer(rsa));
  t('subject', () => x509.getSubject(ec));
  t('types', () => { const c = x509.parse(rsa); return [typeof c.notBefore, typeof c.publicKey.key.n, c.publicKey.key.size()]; });
  t('empty', () => x509.parse(''));
  t('garbage', () => x509.parse('garbage'));
  t('undefined', () => x509.parse());
  t('number', () => x509.parse(5));
  t('bool', () => x509.getSubject(true));
  t('object', () => x509.parse({}));
  t('badDer', () => x509.parse('-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n'));
}
"#;

const WEBCRYPTO: &str = r#"
export const options = { iterations: 1 };
function t(name, f) {
  try { console.log(name, JSON.stringify(f())); } catch (e) { console.log(name, 'ERR', e.name, e.message, JSON.stringify(e)); }
}
export default function () {
  console.log(typeof crypto, crypto === globalThis.crypto, Object.keys(globalThis).includes('crypto'));
  t('uint8', () => { const a = new Uint8Array(64); const r = crypto.getRandomValues(a); return [r === a, a.some((x) => x !== 0)]; });
  t('int32', () => { const a = new Int32Array(64); return [crypto.getRandomValues(a) === a, a.some((x) => x < 0 || x > 255)]; });
  t('int8range', () => { const a = new Int8Array(512); crypto.getRandomValues(a); return [a.some((x) => x < 0), a.every((x) => x >= -128 && x <= 127)]; });
  t('uint16', () => crypto.getRandomValues(new Uint16Array(3)).length);
  t('int8', () => crypto.getRandomValues(new Int8Array(3)).length);
  t('clamped', () => crypto.getRandomValues(new Uint8ClampedArray(3)).length);
  t('view', () => { const a = new Uint8Array(8); crypto.getRandomValues(a.subarray(2, 4)); return [a[0], a[1], a[6], a[7]]; });
  t('empty', () => crypto.getRandomValues(new Uint8Array(0)).length);
  t('max', () => crypto.getRandomValues(new Uint8Array(65536)).length);
  t('elementsNotBytes', () => crypto.getRandomValues(new Uint32Array(16385)).length);
  t('tooBig', () => crypto.getRandomValues(new Uint8Array(65537)));
  t('float', () => crypto.getRandomValues(new Float32Array(2)));
  t('bigint', () => crypto.getRandomValues(new BigInt64Array(2)));
  t('buffer', () => crypto.getRandomValues(new ArrayBuffer(4)));
  t('array', () => crypto.getRandomValues([1, 2]));
  t('number', () => crypto.getRandomValues(5));
  t('uuid', () => { const u = crypto.randomUUID(); return [u.length, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u), u !== crypto.randomUUID()]; });
  t('replaced', () => { const c = crypto; globalThis.crypto = 5; const replaced = crypto; globalThis.crypto = c; return [replaced, typeof crypto.randomUUID]; });
}
"#;

/// `level msg` of each log line of `k6 run`-like `binary` on `script`.
fn lines(binary: &str, dir: &Path, script: &str) -> Vec<String> {
    let ran = common::run_script(binary, dir, script);
    assert_eq!(ran.code, Some(0), "{binary}: {}", ran.stderr);
    common::log_lines(&ran.stderr)
        .iter()
        .map(common::LogLine::level_and_msg)
        .collect()
}

fn assert_same(dir: &Path, script: &str) {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let expected = lines("k6", dir, script);
    assert!(expected.len() > 3, "k6 logged too little: {expected:?}");
    assert_eq!(lines(k6r, dir, script), expected);
}

#[test]
fn encoding_matches_k6() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = include_str!("../../script/tests/fixtures/crypto/encoding.js");
    assert_same(dir.path(), &logging(fixture));
}

#[test]
fn legacy_crypto_matches_k6() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = include_str!("../../script/tests/fixtures/crypto/crypto.js");
    assert_same(dir.path(), &logging(fixture));
}

#[test]
fn x509_matches_k6() {
    let dir = tempfile::tempdir().unwrap();
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("openssl runs")
            .status;
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.pem",
        "-days", "30", "-subj",
        "/C=SE/ST=Stockholm/L=Stockholm/O=Example AB/OU=QA/OU=Perf/CN=example.com/emailAddress=qa@example.com",
        "-addext",
        "subjectAltName=DNS:example.com,DNS:www.example.com,IP:127.0.0.1,IP:::1,email:a@b.c,URI:https://example.com/x",
    ]);
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ec.key",
        "-out",
        "ec.pem",
        "-days",
        "30",
        "-subj",
        "/CN=ec.test/O=Org One/O=Org Two/postalCode=12345/street=Main St 1",
    ]);
    assert_same(dir.path(), X509);
}

#[test]
fn subtle_matches_k6() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = include_str!("../../script/tests/fixtures/crypto/subtle.js");
    assert_same(dir.path(), &logging(fixture));
}

#[test]
fn elliptic_curves_match_k6() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = include_str!("../../script/tests/fixtures/crypto/ec.js");
    assert_same(dir.path(), &logging(fixture));
}

#[test]
fn rsa_matches_k6() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = include_str!("../../script/tests/fixtures/crypto/rsa.js");
    assert_same(dir.path(), &logging(fixture));
}

#[test]
fn webcrypto_random_matches_k6() {
    let dir = tempfile::tempdir().unwrap();
    assert_same(dir.path(), WEBCRYPTO);
}
