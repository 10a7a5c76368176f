//! The rest of `k6/http` against the reference `k6 run` (k6 v1.1.0): the
//! same script runs in both against an echo server of the test's own (on
//! 127.0.0.1 port 0); what the server received (method, path, the headers
//! that matter, the body: multipart parts with the boundary normalised
//! and in a fixed order, compressed bodies decoded), what the script
//! logged and the summary's request counts must be equal.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use md5::Digest as _;

/// The JSON every request gets back.
const JSON: &str = r#"{"list":[{"a":1,"name":"x"},{"a":2,"name":"y"}],"obj":{"b":[1,2,3]},"friends":[{"first":"Dale","last":"Murphy","age":44,"nets":["ig","fb","tw"]},{"first":"Roger","last":"Craig","age":68,"nets":["fb","tw"]},{"first":"Jane","last":"Murphy","age":47,"nets":["ig","tw"]}]}"#;

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

/// One request as the echo server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: String,
}

/// Headers compared (lower-case).
const HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "cookie",
    "authorization",
];

/// The realm, nonce and password of the digest paths.
const REALM: &str = "me@k6.io";
const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
const PASSWORD: &str = "pa ss";

/// An echo server on 127.0.0.1 port 0, recording what it receives.
fn serve() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let record = record.clone();
            std::thread::spawn(move || {
                let _ = connection(stream, &record);
            });
        }
    });
    (base, seen)
}

fn connection(stream: TcpStream, record: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if path.starts_with("/ntlm") {
            let (status, extra, reply) = ntlm_reply(headers.get("authorization"));
            record
                .lock()
                .unwrap()
                .push(normalise(method, path, headers, body));
            let body = reply;
            write!(
                writer,
                "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                body.len()
            )?;
            continue;
        }
        let digest = path.starts_with("/digest");
        let verdict = digest_verdict(&method, headers.get("authorization"));
        record
            .lock()
            .unwrap()
            .push(normalise(method, path, headers, body));
        let (status, extra, body) = match verdict {
            _ if !digest => ("200 OK", String::new(), JSON),
            None => (
                "401 Unauthorized",
                format!(
                    "WWW-Authenticate: Digest realm=\"{REALM}\", nonce=\"{NONCE}\", qop=\"auth\", opaque=\"5ccc\", algorithm=MD5\r\n"
                ),
                "need auth",
            ),
            Some(true) => ("200 OK", String::new(), "ok"),
            Some(false) => ("403 Forbidden", String::new(), "bad digest"),
        };
        write!(
            writer,
            "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
    }
}

/// Keeps the headers that matter; decodes compressed bodies; rewrites a
/// multipart body as its parts, boundary-free and sorted (k6 writes the
/// fields of an object in Go's random map order).
fn normalise(
    method: String,
    path: String,
    mut headers: BTreeMap<String, String>,
    body: Vec<u8>,
) -> Seen {
    headers.retain(|name, _| HEADERS.contains(&name.as_str()));
    let mut body = body;
    if let Some(encoding) = headers.get("content-encoding") {
        for algorithm in encoding.split(", ").collect::<Vec<_>>().into_iter().rev() {
            body = decode(algorithm, &body);
        }
    }
    let content_type = headers.get("content-type").cloned().unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    let body = match text.strip_prefix("--") {
        Some(rest) if content_type.starts_with("multipart/form-data") => {
            let boundary = rest.split("\r\n").next().unwrap_or_default().to_string();
            let mut parts: Vec<String> = text
                .split(&format!("--{boundary}"))
                .map(str::to_string)
                .collect();
            parts.sort();
            format!("boundary of {} chars; parts {parts:?}", boundary.len())
        }
        _ => text,
    };
    // The default User-Agent differs by design (k6's names k6); the port
    // of the Host differs by run.
    if let Some(agent) = headers.get_mut("user-agent") {
        if agent.starts_with("Grafana k6/") || agent.starts_with("k6r/") {
            *agent = "default".into();
        }
    }
    if let Some(host) = headers.get_mut("host") {
        if let Some((name, _)) = host.split_once(':') {
            *host = format!("{name}:PORT");
        }
    }
    // An NTLM authenticate message differs by its time and client
    // challenge: keep its kind.
    if let Some(value) = headers.get_mut("authorization") {
        if value.starts_with("NTLM TlRMTVNTUAAD") {
            *value = "NTLM authenticate".into();
        }
    }
    // A digest answer differs by its client nonce: keep the rest.
    if let Some(value) = headers.get_mut("authorization") {
        if let Some(text) = value.strip_prefix("Digest ") {
            let mut params = digest_params(text);
            params.remove("cnonce");
            params.remove("response");
            *value = format!("Digest {params:?}");
        }
    }
    if let Some(value) = headers.get_mut("content-type") {
        if let Some(at) = value.find("boundary=") {
            let length = value.len() - at - "boundary=".len();
            value.truncate(at);
            value.push_str(&format!("boundary of {length} chars"));
        }
    }
    Seen {
        method,
        path,
        headers,
        body,
    }
}

/// The server challenge of the NTLM paths.
const SERVER_CHALLENGE: [u8; 8] = [1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];

/// The NTLM paths: 401 offering NTLM, 401 with a challenge for a
/// negotiate message, 200 or 403 for an authenticate message.
fn ntlm_reply(authorization: Option<&String>) -> (&'static str, String, &'static str) {
    use base64::Engine as _;
    let message = authorization
        .and_then(|a| a.strip_prefix("NTLM "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    let Some(message) = message else {
        return (
            "401 Unauthorized",
            "WWW-Authenticate: NTLM\r\n".into(),
            "need",
        );
    };
    match message.get(8) {
        Some(1) => {
            let challenge = base64::engine::general_purpose::STANDARD.encode(ntlm_challenge());
            (
                "401 Unauthorized",
                format!("WWW-Authenticate: NTLM {challenge}\r\n"),
                "",
            )
        }
        Some(3) if ntlm_valid(&message) => ("200 OK", String::new(), "ok"),
        _ => ("403 Forbidden", String::new(), "bad ntlm"),
    }
}

/// A challenge message with target info `DOM`.
fn ntlm_challenge() -> Vec<u8> {
    let name: Vec<u8> = "DOM".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut info = vec![2, 0, name.len() as u8, 0];
    info.extend_from_slice(&name);
    info.extend_from_slice(&[0, 0, 0, 0]);
    let mut out = b"NTLMSSP\0".to_vec();
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 48, 0, 0, 0]);
    out.extend_from_slice(&0xa288_0205u32.to_le_bytes());
    out.extend_from_slice(&SERVER_CHALLENGE);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&(info.len() as u16).to_le_bytes());
    out.extend_from_slice(&(info.len() as u16).to_le_bytes());
    out.extend_from_slice(&48u32.to_le_bytes());
    out.extend_from_slice(&info);
    out
}

/// Whether an authenticate message's NTLMv2 response is right for
/// [`PASSWORD`].
fn ntlm_valid(message: &[u8]) -> bool {
    use hmac::Mac;
    let field = |at: usize| -> Option<&[u8]> {
        let length = u16::from_le_bytes(message.get(at..at + 2)?.try_into().ok()?) as usize;
        let offset = u32::from_le_bytes(message.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        message.get(offset..offset + length)
    };
    let (Some(nt), Some(domain), Some(user)) = (field(20), field(28), field(36)) else {
        return false;
    };
    if nt.len() < 16 {
        return false;
    }
    let text = |bytes: &[u8]| -> String {
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    type HmacMd5 = hmac::Hmac<md5::Md5>;
    let hash = <md4::Md4 as md5::Digest>::digest(utf16(PASSWORD));
    let mut mac = HmacMd5::new_from_slice(&hash).unwrap();
    mac.update(&utf16(&text(user).to_uppercase()));
    mac.update(&utf16(&text(domain)));
    let key = mac.finalize().into_bytes();
    let mut mac = HmacMd5::new_from_slice(&key).unwrap();
    mac.update(&SERVER_CHALLENGE);
    mac.update(&nt[16..]);
    mac.verify_slice(&nt[..16]).is_ok()
}

/// `None` without a digest `Authorization`; else whether its response
/// is right for the password [`PASSWORD`].
fn digest_verdict(method: &str, authorization: Option<&String>) -> Option<bool> {
    let params = digest_params(authorization?.strip_prefix("Digest ")?);
    let get = |key: &str| params.get(key).cloned().unwrap_or_default();
    let md5 = |text: String| format!("{:x}", md5::Md5::digest(text.as_bytes()));
    let ha1 = md5(format!("{}:{REALM}:{PASSWORD}", get("username")));
    let ha2 = md5(format!("{method}:{}", get("uri")));
    let expected = md5(format!(
        "{ha1}:{}:{}:{}:{}:{ha2}",
        get("nonce"),
        get("nc"),
        get("cnonce"),
        get("qop")
    ));
    Some(get("response") == expected)
}

/// The `key=value` pairs of a digest `Authorization`, unquoted.
fn digest_params(text: &str) -> BTreeMap<String, String> {
    text.split(", ")
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

/// `body` decoded; a body that does not decode as its header says (the
/// script set a header that differs from its `compression`) stays as is.
fn decode(algorithm: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let decoded = match algorithm {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        "zstd" => zstd::stream::read::Decoder::new(body)
            .and_then(|mut decoder| decoder.read_to_end(&mut out)),
        other => panic!("unexpected Content-Encoding {other}"),
    };
    match decoded {
        Ok(_) => out,
        Err(_) => body.to_vec(),
    }
}

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
