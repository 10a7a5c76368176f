//! One HTTP/1.1 request on its own connection (`Connection: close`), its
//! answer as sent: from async tests ([`raw`]) and from blocking ones
//! ([`raw_blocking`], [`try_raw_blocking`]).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a blocking request may take to connect, and then to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer: its status, its headers in the order sent, and its body
/// (de-chunked when it came chunked).
#[derive(Debug)]
pub struct Raw {
    /// The status code (0 when the answer was not HTTP).
    pub status: u16,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Raw {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// An answer read to its end.
    pub fn parse(bytes: &[u8]) -> Raw {
        let text = String::from_utf8_lossy(bytes);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_string()
        };
        Raw {
            status,
            headers,
            body,
        }
    }
}

fn head(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
}

/// Sends one request exactly as given and reads the whole answer.
pub async fn raw(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(head(addr, method, path, body).as_bytes())
        .await
        .unwrap();
    // The server may answer (and close) before reading a refused body.
    let _ = stream.write_all(body).await;
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes).await;
    Raw::parse(&bytes)
}

/// [`raw`] from a blocking test; panics when the server cannot be reached.
pub fn raw_blocking(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Raw {
    try_raw_blocking(addr, method, path, body)
        .unwrap_or_else(|e| panic!("{method} {path} at {addr}: {e}"))
}

/// [`raw_blocking`] that reports a server it cannot reach (or that does
/// not answer within 10 s) instead of panicking.
pub fn try_raw_blocking(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<Raw> {
    let mut stream = std::net::TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.write_all(head(addr, method, path, body).as_bytes())?;
    let _ = stream.write_all(body);
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    Ok(Raw::parse(&bytes))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_answer_is_read_whole() {
        let raw = Raw::parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        );
        assert_eq!(raw.status, 200);
        assert_eq!(raw.header("x-a"), Some("1"));
        assert_eq!(raw.body, "abcde");
        assert_eq!(Raw::parse(b"garbage").status, 0);
    }
}
