//! The rest of `k6/http` against the reference `k6 run` (k6 v1.1.0): the
//! same script runs in both against an echo server of the test's own (on
//! 127.0.0.1 port 0); what the server received (method, path, the headers
//! that matter, the body: multipart parts with the boundary normalised
//! and in a fixed order, compressed bodies decoded), what the script
//! logged and the summary's request counts must be equal.

#[path = "http_differential/auth.rs"]
mod auth;
#[path = "http_differential/echo.rs"]
mod echo;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use echo::serve;

const MULTIPART: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET;
export default function () {
  const f = http.file('hello world', 'a.txt');
  console.log(JSON.stringify(f), Object.keys(f).join(','));
  const unnamed = http.file('x');
  console.log(unnamed.content_type, typeof unnamed.filename, /^[0-9]+$/.test(unnamed.filename));
  http.post(`${B}/mp`, { field: 'value', file: f, n: 5, arr: ['x', 'y'], t: true,
    j: http.file('{"a":1}', 'h "q".json', 'application/json') });
  http.post(`${B}/mp-bin`, { file: http.file(new Uint8Array([1, 2, 3, 0, 255]).buffer, 'b.bin') });
  http.post(`${B}/mp-own-type`, { file: f }, { headers: { 'Content-Type': 'multipart/form-data; boundary=mine' } });
  http.post(`${B}/form`, { z: 'b', c: 'd e', a: [1, 'x'], n: null, o: { k: 1 }, u: undefined, f: 1.5, t: true });
  http.put(`${B}/form-multipart-type`, { a: 'b' }, { headers: { 'Content-Type': 'multipart/form-data' } });
  for (const bad of [5, 1.5, true, {}, [], null, undefined, new Uint8Array([1, 2])]) {
    try { http.file(bad); } catch (e) { console.log(String(e)); }
  }
}
"#;

const COMPRESSION: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET;
export default function () {
  for (const c of ['gzip', 'deflate', 'br', 'zstd', 'gzip, br', ' deflate ,zstd', 'br,gzip,deflate', '']) {
    const r = http.post(`${B}/c/${c.replace(/[ ,]/g, '_')}`, 'hello hello hello', { compression: c });
    console.log(JSON.stringify(c), r.status, JSON.stringify(r.request.headers['Content-Encoding']), r.request.body);
  }
  http.get(`${B}/c/get`, { compression: 'gzip' });
  http.post(`${B}/c/own-header`, 'x', { compression: 'gzip', headers: { 'Content-Encoding': 'gzip' } });
  http.post(`${B}/c/other-header`, 'hello', { compression: 'deflate', headers: { 'Content-Encoding': 'deflate, gzip' } });
  for (const c of ['foo', 'gzip,identity', 'GZIP', null, 5]) {
    const r = http.post(`${B}/c/bad`, 'x', { compression: c });
    console.log(String(c), r.status, r.error, r.error_code, JSON.stringify(r.url));
  }
}
"#;

const JSON_SELECTORS: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET;
export default function () {
  const r = http.get(`${B}/json`);
  // Objects of two keys or more are left out: k6 orders their keys at random.
  for (const s of ['list.#', 'list.0.name', 'obj', 'obj.b', 'obj.b.#', 'list.#.name',
      'friends.#(last=="Murphy").first', 'friends.#(last=="Murphy")#.first',
      'friends.#(age>45)#.last', 'fr*.0.first', 'friends.1.n?ts', 'missing', 'obj.nope',
      'friends.#(nets.#(=="fb"))#.first', 'friends.0.age', 'obj|b', '', 'list.#(a==1).name',
      'friends.#.nets.0', 'obj.b.@reverse', '[obj.b,list.#]', 'friends.#(first%"J*").last']) {
    const v = r.json(s);
    console.log(JSON.stringify(s), typeof v, JSON.stringify(v));
  }
  console.log(typeof r.json(5), r.json().list.length);
  const binary = http.get(`${B}/json`, { responseType: 'binary' });
  console.log(binary.json('friends.#'), binary.json().obj.b.length);
  const none = http.get(`${B}/json`, { responseType: 'none' });
  try { none.json('list.#'); } catch (e) { console.log(String(e)); }
}
"#;

const COOKIES: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET;
const early = new http.CookieJar();
export default function () {
  const jar = new http.CookieJar();
  console.log(typeof jar, JSON.stringify(Object.keys(jar)), jar instanceof http.CookieJar,
    http.cookieJar() instanceof http.CookieJar, JSON.stringify(Object.keys(http.cookieJar())));
  console.log(jar.set(B + '/', 'zeta', '1'), jar.set(B + '/', 'alpha', '2'));
  jar.set(B + '/', 'mid', '3', { path: '/a' });
  jar.set(B + '/', 'sec', '4', { secure: true });
  jar.set(B + '/', 'old', '6', { expires: 'Mon, 02 Jan 2006 15:04:05 MST' });
  jar.set(B + '/', 'maxage', '7', { max_age: 100 });
  jar.set(B + '/', 'zeta', '8');
  jar.set(B + '/', 'gone', '9');
  jar.set(B + '/', 'gone', '9', { max_age: -1 });
  http.get(`${B}/a/b`, { jar });
  console.log(JSON.stringify(jar.cookiesForURL(`${B}/a/b`).zeta), JSON.stringify(jar.cookiesForURL(`${B}/a/b`).sec));
  console.log(jar.delete(B + '/', 'alpha'));
  http.get(`${B}/a/after-delete`, { jar });
  console.log(jar.clear(B + '/a/'));
  http.get(`${B}/a/after-clear`, { jar });
  http.get(`${B}/no-jar`, { jar: null });
  const vj = http.cookieJar();
  vj.set(B + '/', 'b', '1');
  vj.set(B + '/', 'a', '2');
  vj.set(B + '/', 'c', '3');
  vj.set(B + '/', 'b', '4');
  http.get(`${B}/vu`, { cookies: { a: { value: 'r', replace: true } } });
  // One own cookie: k6 sends several in Go's random map order.
  const mixed = http.get(`${B}/vu-mixed`, { cookies: { a: 'own' }, headers: { Cookie: 'h=1' } });
  const sent = mixed.request.cookies;
  console.log(Object.keys(sent).sort().map((k) => `${k}:${sent[k].map((c) => c.value + '/' + c.replace).join(',')}`).join(' '));
  http.get(`${B}/vu-early-jar`, { jar: early });
  for (const bad of [() => jar.delete(), () => jar.set('::', 'a', 'b'), () => jar.clear('::'),
      () => jar.set(B + '/', 'a', 'b', { expires: 5 }), () => JSON.stringify(jar.cookiesForURL('relative'))]) {
    try { console.log('ok', bad()); } catch (e) { console.log('threw', String(e)); }
  }
}
"#;

const BAD_URLS: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
export default function () {
  // CLOSED: a port nobody listens on; Go's error shows the password as ***.
  const C = __ENV.CLOSED;
  for (const u of ['not a url', 'ftp://x/', 'http://', 'http://[::1', '', `http://user:pass@${C}/x`,
      `http://user@${C}/y`]) {
    const r = http.get(u);
    console.log(JSON.stringify(u.replace(C, 'C')), r.status, JSON.stringify(r.error), r.error_code, JSON.stringify(r.url.replace(C, 'C')));
  }
}
"#;

const DIGEST: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET.replace('http://', '');
export default function () {
  const r = http.get(`http://user:pa%20ss@${B}/digest/x?q=1`, { auth: 'digest' });
  console.log(r.status, r.body, r.url, JSON.stringify(r.request.headers.Authorization));
  const wrong = http.get(`http://user:wrong@${B}/digest/y`, { auth: 'digest' });
  console.log(wrong.status, wrong.body);
  const none = http.get(`http://${B}/digest/none`, { auth: 'digest' });
  console.log(none.status);
  const other = http.get(`http://u:p@${B}/plain`, { auth: 'foo' });
  console.log(other.status, other.url.replace(B, 'B'), other.request.url.replace(B, 'B'));
}
"#;

const NTLM: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET.replace('http://', '');
export default function () {
  const r = http.get(`http://user:pa%20ss@${B}/ntlm/x?q=1`, { auth: 'ntlm' });
  console.log(r.status, r.body, JSON.stringify(r.request.headers.Authorization));
  const domain = http.post(`http://DOM%5Cuser:pa%20ss@${B}/ntlm/p`, 'data', { auth: 'ntlm' });
  console.log(domain.status, domain.body);
  const wrong = http.get(`http://user:wrong@${B}/ntlm/y`, { auth: 'ntlm' });
  console.log(wrong.status, wrong.body);
  const bad = http.get(`http://DOM\\user:p@${B}/ntlm/z`, { auth: 'ntlm' });
  console.log(bad.status, bad.error, bad.error_code);
}
"#;

/// `hosts` (names, `name:port`, wildcards, names as values) and
/// `userAgent`; the URLs' names exist nowhere but in `hosts`.
const HOSTS: &str = r#"
import http from 'k6/http';
const port = __ENV.TARGET.split(':')[2];
export const options = {
  iterations: 1,
  userAgent: 'custom-agent/1.0',
  hosts: {
    'my.test': '127.0.0.1',
    'port.test:80': `127.0.0.1:${port}`,
    '*.wild.test': '127.0.0.1',
    'alias.test': 'my.test',
  },
};
export default function () {
  for (const u of [`http://my.test:${port}/a`, 'http://port.test/b', `http://x.y.wild.test:${port}/c`,
      `http://alias.test:${port}/d`]) {
    const r = http.get(u);
    console.log(u.replace(port, 'PORT'), r.status, r.remote_ip, r.remote_port == port, r.url.replace(port, 'PORT'));
  }
  http.get(`http://my.test:${port}/own-agent`, { headers: { 'User-Agent': 'mine' } });
}
"#;

/// What one run showed: `level msg error` of each log line, and the
/// request counts of its summary (`http_reqs`, failed `http_req_failed`).
fn lines(
    binary: &str,
    dir: &Path,
    script: &str,
    target: &str,
    closed: &str,
) -> (Vec<String>, [f64; 2]) {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        .args([
            "run",
            "-q",
            "-a",
            "",
            "--summary-export",
            "summary.json",
            "-e",
        ])
        .arg(format!("TARGET={target}"))
        .args(["-e", &format!("CLOSED={closed}")])
        .arg("script.js")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{binary}: {stderr}");
    let logged = stderr
        .lines()
        .filter_map(|line| {
            let level = line.split("level=").nth(1)?.split(' ').next()?;
            let rest = line.split(" msg=").nth(1)?;
            let msg = match rest.strip_prefix('"') {
                Some(quoted) => quoted_prefix(quoted),
                None => rest.split(' ').next()?.to_string(),
            };
            let error = line
                .split(" error=")
                .nth(1)
                .map(|e| e.strip_prefix('"').map(quoted_prefix).unwrap_or_default())
                .unwrap_or_default();
            Some(format!("{level} {msg} {error}"))
        })
        .collect();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let metrics = &summary["metrics"];
    let counts = [
        metrics["http_reqs"]["count"].as_f64().unwrap_or(0.0),
        metrics["http_req_failed"]["passes"].as_f64().unwrap_or(0.0),
    ];
    (logged, counts)
}

/// `127.0.0.1:port` where nobody listens: bound, then let go.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// A logfmt quoted value up to its closing (unescaped) quote.
fn quoted_prefix(quoted: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in quoted.chars() {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, '"') => break,
            _ => {
                escaped = false;
                out.push(c);
            }
        }
    }
    out
}

/// Runs `script` in k6 and in k6r; both must log and send the same.
fn same_as_k6(script: &str) {
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    let dir = tempfile::tempdir().unwrap();
    let (target, seen) = serve();
    let closed = closed_port();
    let (expected, k6_counts) = lines("k6", dir.path(), script, &target, &closed);
    let k6_seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(!expected.is_empty(), "k6 logged nothing");
    let (actual, k6r_counts) = lines(k6r, dir.path(), script, &target, &closed);
    let k6r_seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(actual, expected, "logs differ");
    assert_eq!(k6r_seen, k6_seen, "requests differ");
    assert_eq!(
        k6r_counts, k6_counts,
        "http_reqs and failed requests differ"
    );
}

#[test]
fn multipart_bodies_match_k6() {
    same_as_k6(MULTIPART);
}

#[test]
fn compression_matches_k6() {
    same_as_k6(COMPRESSION);
}

#[test]
fn json_selectors_match_k6() {
    same_as_k6(JSON_SELECTORS);
}

#[test]
fn cookie_jars_match_k6() {
    same_as_k6(COOKIES);
}

#[test]
fn digest_auth_matches_k6() {
    same_as_k6(DIGEST);
}

#[test]
fn hosts_and_user_agent_match_k6() {
    same_as_k6(HOSTS);
}

#[test]
fn ntlm_auth_matches_k6() {
    same_as_k6(NTLM);
}

#[test]
fn bad_urls_match_k6() {
    same_as_k6(BAD_URLS);
}
