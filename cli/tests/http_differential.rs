//! The rest of `k6/http` against the reference `k6 run` (k6 v1.1.0): the
//! same script runs in both against an echo server of the test's own (on
//! 127.0.0.1 port 0); what the server received (method, path, the headers
//! that matter, the body: multipart parts with the boundary normalised
//! and in a fixed order, compressed bodies decoded) and what the script
//! logged must be equal.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

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
  http.post(`${B}/form`, { a: 'b', c: 'd e' });
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
  for (const u of ['not a url', 'ftp://x/', 'http://', 'http://[::1', '']) {
    const r = http.get(u);
    console.log(JSON.stringify(u), r.status, JSON.stringify(r.error), r.error_code, JSON.stringify(r.url));
  }
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

/// Headers compared (lower-case); others (`User-Agent`, `Host`) differ.
const HEADERS: &[&str] = &["content-type", "content-encoding", "cookie"];

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
        record
            .lock()
            .unwrap()
            .push(normalise(method, path, headers, body));
        write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{JSON}",
            JSON.len()
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

fn decode(algorithm: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match algorithm {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        "zstd" => zstd::stream::read::Decoder::new(body)
            .and_then(|mut decoder| decoder.read_to_end(&mut out)),
        other => panic!("unexpected Content-Encoding {other}"),
    }
    .unwrap_or_else(|e| panic!("{algorithm} body does not decode: {e}"));
    out
}

/// `level msg` of each log line (no time, no fields after the message).
fn lines(binary: &str, dir: &Path, script: &str, target: &str) -> Vec<String> {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        .args(["run", "-q", "--no-summary", "-a", "", "-e"])
        .arg(format!("TARGET={target}"))
        .arg("script.js")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{binary}: {stderr}");
    stderr
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
        .collect()
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
    let expected = lines("k6", dir.path(), script, &target);
    let k6_seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(!expected.is_empty(), "k6 logged nothing");
    let actual = lines(k6r, dir.path(), script, &target);
    let k6r_seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(actual, expected, "logs differ");
    assert_eq!(k6r_seen, k6_seen, "requests differ");
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
fn bad_urls_match_k6() {
    same_as_k6(BAD_URLS);
}
