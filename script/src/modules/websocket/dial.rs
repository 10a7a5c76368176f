//! Opening a WebSocket: the connection dialled as k6r's HTTP requests are
//! (`hosts`, DNS, TCP, TLS with k6's options, ALPN `http/1.1` only), then
//! the HTTP/1.1 upgrade, written and checked here as gorilla/websocket
//! (k6's library) does: a subprotocol the server does not pick is no
//! error, a failed upgrade is `websocket: bad handshake` with the answer
//! kept for the script. The frames after it are tungstenite's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use k6r_http::transport::raw::{connect_raw, Io};
use k6r_http::transport::stream::IoMarks;
use k6r_http::{Hosts, TlsSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;
use url::Url;

/// How long the dial and the upgrade may take together (k6's
/// `HandshakeTimeout`).
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The most bytes of an upgrade's answer (its head) read.
const MAX_HEAD: usize = 64 * 1024;

/// The most bytes of a refused upgrade's body kept (as gorilla does).
const MAX_BODY: usize = 1024;

/// gorilla's error for an upgrade the server did not accept.
pub(crate) const BAD_HANDSHAKE: &str = "websocket: bad handshake";

/// What to connect to, and how.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// A `ws://` or `wss://` URL.
    pub url: Url,
    /// The request's headers (`User-Agent` included), names as given.
    pub headers: Vec<(String, String)>,
    /// The subprotocols offered (`Sec-WebSocket-Protocol`).
    pub protocols: Vec<String>,
    /// The `Cookie` header's cookies, from the jar.
    pub cookies: Vec<(String, String)>,
    /// The `hosts` option.
    pub hosts: Hosts,
    /// k6's TLS options.
    pub tls: TlsSettings,
}

/// The server's answer to the upgrade.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    /// Its status (101 for an accepted upgrade).
    pub status: u16,
    /// Its headers, named as Go names them (`Sec-Websocket-Accept`), the
    /// values of a repeated one joined with `, ` (as k6 shows them).
    pub headers: Vec<(String, String)>,
    /// Its body (up to 1 KiB, for a refused upgrade).
    pub body: String,
    /// Every `Set-Cookie` value.
    pub set_cookies: Vec<String>,
}

impl Answer {
    /// The first value of the header `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An open WebSocket.
pub(crate) struct Opened {
    /// The server's answer.
    pub answer: Answer,
    /// The WebSocket.
    pub socket: WebSocketStream<Box<dyn Io>>,
    /// The connection's byte counters.
    pub marks: Arc<IoMarks>,
}

/// A WebSocket that could not be opened.
#[derive(Debug, Clone)]
pub(crate) struct Failed {
    /// k6's error text (`dial tcp 127.0.0.1:1: connect: connection
    /// refused`, `websocket: bad handshake`).
    pub error: String,
    /// The server's answer, when it refused the upgrade.
    pub answer: Option<Answer>,
    /// The connection's byte counters, when one was made.
    pub marks: Option<Arc<IoMarks>>,
}

impl Failed {
    fn new(error: impl Into<String>) -> Failed {
        Failed {
            error: error.into(),
            answer: None,
            marks: None,
        }
    }
}

/// Dials `target` and upgrades the connection.
pub(crate) async fn open(target: Target) -> Result<Opened, Failed> {
    let secure = target.url.scheme() == "wss";
    let host = target.url.host_str().unwrap_or_default().to_owned();
    let port = target
        .url
        .port_or_known_default()
        .unwrap_or(if secure { 443 } else { 80 });
    let connection = connect_raw(&host, port, secure, &target.hosts, &target.tls)
        .await
        .map_err(|failure| Failed::new(failure.go_text()))?;
    let marks = connection.marks.clone();
    let remote = connection.remote;
    let mut stream = connection.stream;
    let key = generate_key();
    let request = request(&target, &key);
    let upgraded = async {
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| io_text("write", remote, &e))?;
        stream
            .flush()
            .await
            .map_err(|e| io_text("write", remote, &e))?;
        read_answer(&mut stream, remote).await
    };
    let (answer, rest) = upgraded.await.map_err(|error| Failed {
        marks: Some(marks.clone()),
        ..Failed::new(error)
    })?;
    if !accepted(&answer, &key) {
        let mut answer = answer;
        answer.body = body(&mut stream, &answer, rest).await;
        return Err(Failed {
            error: BAD_HANDSHAKE.to_owned(),
            answer: Some(answer),
            marks: Some(marks),
        });
    }
    let socket =
        WebSocketStream::from_partially_read(stream, rest, Role::Client, Some(frames_config()))
            .await;
    Ok(Opened {
        answer,
        socket,
        marks,
    })
}

/// The upgrade request.
fn request(target: &Target, key: &str) -> String {
    let url = &target.url;
    let mut path = url.path().to_owned();
    if path.is_empty() {
        path.push('/');
    }
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    let mut host = url.host_str().unwrap_or_default().to_owned();
    if let Some(port) = url.port() {
        host = format!("{host}:{port}");
    }
    let mut lines = vec![format!("GET {path} HTTP/1.1")];
    let mut host_set = false;
    for (name, value) in &target.headers {
        if name.eq_ignore_ascii_case("host") {
            lines.insert(1, format!("Host: {value}"));
            host_set = true;
        }
    }
    if !host_set {
        lines.push(format!("Host: {host}"));
    }
    lines.push("Upgrade: websocket".to_owned());
    lines.push("Connection: Upgrade".to_owned());
    lines.push(format!("Sec-WebSocket-Key: {key}"));
    lines.push("Sec-WebSocket-Version: 13".to_owned());
    if !target.protocols.is_empty() {
        lines.push(format!(
            "Sec-WebSocket-Protocol: {}",
            target.protocols.join(", ")
        ));
    }
    let mut cookie = None;
    for (name, value) in &target.headers {
        if name.eq_ignore_ascii_case("host") {
            continue;
        }
        if name.eq_ignore_ascii_case("cookie") {
            cookie = Some(value.clone());
            continue;
        }
        lines.push(format!("{}: {}", clean(name), clean(value)));
    }
    let jar = target
        .cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    // The script's own `Cookie` header replaces the jar's (gorilla sets
    // the script's headers over the jar's cookies).
    let cookie = match (cookie, jar.is_empty()) {
        (Some(own), _) => Some(own),
        (None, false) => Some(jar),
        (None, true) => None,
    };
    if let Some(cookie) = cookie {
        lines.push(format!("Cookie: {}", clean(&cookie)));
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n\r\n");
    text
}

/// A header name or value without line breaks (which would split the
/// request), as Go's writer replaces them.
fn clean(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// How a connection buffers its frames: 2 KiB read at a time (half of
/// gorilla's default, which k6 keeps: the buffer is allocated up front
/// and held for the socket's life, tungstenite's own default 128 KiB;
/// a longer frame grows it to the frame's length), and each message
/// written as it is sent.
fn frames_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
}

/// The read buffer of a connection's frames.
const READ_BUFFER: usize = 2 * 1024;

/// The answer's head, and the bytes read after it.
async fn read_answer(
    stream: &mut Box<dyn Io>,
    remote: SocketAddr,
) -> Result<(Answer, Vec<u8>), String> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let mut chunk = [0u8; 4096];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| io_text("read", remote, &e))?;
        if n == 0 {
            return Err(if buf.is_empty() {
                "EOF"
            } else {
                "unexpected EOF"
            }
            .to_owned());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let answer = answer_of(&response);
                return Ok((answer, buf[len..].to_vec()));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => {
                return Err("net/http: response header too large".into())
            }
            Err(e) => return Err(format!("malformed HTTP response: {e}")),
        }
    }
}

fn answer_of(response: &httparse::Response<'_, '_>) -> Answer {
    let mut answer = Answer {
        status: response.code.unwrap_or(0),
        ..Answer::default()
    };
    for header in response.headers.iter() {
        let value = String::from_utf8_lossy(header.value).into_owned();
        let name = go_header_name(header.name);
        if name == "Set-Cookie" {
            answer.set_cookies.push(value.clone());
        }
        match answer.headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => answer.headers.push((name, value)),
        }
    }
    answer
}

/// Whether the answer accepts the upgrade (gorilla's checks).
fn accepted(answer: &Answer, key: &str) -> bool {
    let has_token = |name: &str, token: &str| {
        answer
            .header(name)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    answer.status == 101
        && has_token("Upgrade", "websocket")
        && has_token("Connection", "upgrade")
        && answer.header("Sec-Websocket-Accept") == Some(derive_accept_key(key.as_bytes()).as_str())
}

/// Up to 1 KiB of a refused upgrade's body: what came with the head,
/// then what its `Content-Length` says is left (read for a short while).
async fn body(stream: &mut Box<dyn Io>, answer: &Answer, mut rest: Vec<u8>) -> String {
    let length = answer
        .header("Content-Length")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(rest.len())
        .min(MAX_BODY);
    let more = async {
        while rest.len() < length {
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), more).await;
    rest.truncate(length);
    String::from_utf8_lossy(&rest).into_owned()
}

/// Go's canonical form of a header name (`sec-websocket-accept` →
/// `Sec-Websocket-Accept`).
pub(crate) fn go_header_name(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

/// An I/O error as Go words it (`read tcp 127.0.0.1:80: connection reset
/// by peer`).
fn io_text(op: &str, remote: SocketAddr, error: &std::io::Error) -> String {
    let what = match error.kind() {
        std::io::ErrorKind::ConnectionReset => "connection reset by peer".to_owned(),
        std::io::ErrorKind::BrokenPipe => "broken pipe".to_owned(),
        _ => error.to_string(),
    };
    format!("{op} tcp {remote}: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target {
            url: Url::parse(url).unwrap(),
            headers: vec![
                ("User-Agent".into(), "k6r".into()),
                ("Cookie".into(), "own=1".into()),
                ("X-Evil".into(), "a\r\nInjected: 1".into()),
            ],
            protocols: vec!["chat".into(), "echo".into()],
            cookies: vec![("jar".into(), "2".into())],
            hosts: Hosts::default(),
            tls: TlsSettings::default(),
        }
    }

    #[test]
    fn the_request_is_an_upgrade_with_the_scripts_headers() {
        let text = request(&target("ws://example.com:8080/a/b?x=1"), "KEY");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "GET /a/b?x=1 HTTP/1.1");
        assert!(lines.contains(&"Host: example.com:8080"));
        assert!(lines.contains(&"Sec-WebSocket-Key: KEY"));
        assert!(lines.contains(&"Sec-WebSocket-Protocol: chat, echo"));
        assert!(lines.contains(&"Cookie: own=1"));
        let mut jar_only = target("ws://example.com/");
        jar_only.headers.retain(|(name, _)| name != "Cookie");
        assert!(request(&jar_only, "KEY").contains("\r\nCookie: jar=2\r\n"));
        assert!(lines.contains(&"X-Evil: a  Injected: 1"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn answers_are_checked_as_gorilla_checks_them() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let mut answer = Answer {
            status: 101,
            headers: vec![
                ("Upgrade".into(), "WebSocket".into()),
                ("Connection".into(), "keep-alive, Upgrade".into()),
                (
                    "Sec-Websocket-Accept".into(),
                    derive_accept_key(key.as_bytes()),
                ),
            ],
            ..Answer::default()
        };
        assert!(accepted(&answer, key));
        answer.headers[2].1 = "wrong".into();
        assert!(!accepted(&answer, key));
        assert_eq!(
            go_header_name("sec-websocket-accept"),
            "Sec-Websocket-Accept"
        );
        assert_eq!(go_header_name("X-A-b"), "X-A-B");
    }
}
