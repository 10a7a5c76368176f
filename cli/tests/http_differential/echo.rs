//! The echo server of the `k6/http` differential tests: it records each
//! request (normalised so that k6's and k6r's compare) and answers the
//! JSON document, or the digest and NTLM handshakes on their paths.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::auth::{digest_params, digest_verdict, ntlm_reply, NONCE, REALM};

/// The JSON every request gets back.
const JSON: &str = r#"{"list":[{"a":1,"name":"x"},{"a":2,"name":"y"}],"obj":{"b":[1,2,3]},"friends":[{"first":"Dale","last":"Murphy","age":44,"nets":["ig","fb","tw"]},{"first":"Roger","last":"Craig","age":68,"nets":["fb","tw"]},{"first":"Jane","last":"Murphy","age":47,"nets":["ig","tw"]}]}"#;

/// One request as the echo server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
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

/// An echo server on 127.0.0.1 port 0, recording what it receives.
pub(crate) fn serve() -> (String, Arc<Mutex<Vec<Seen>>>) {
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
