//! The wire format against scripted servers on in-memory pipes.

use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use url::Url;

use super::{Http1Conn, Outgoing};
use crate::failure::Failure;
use crate::transport::stream::{IoMarks, Meter, MeteredStream};
use crate::transport::{HopRequest, HopTrace, Key, RawResponse};

fn hop(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> HopRequest {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    HopRequest {
        method: method.parse().unwrap(),
        url: Url::parse(url).unwrap(),
        headers: map,
        body: Bytes::copy_from_slice(body.as_bytes()),
        keep_body: true,
    }
}

fn encoded(req: &HopRequest) -> String {
    let key = Key::of(&req.url).unwrap();
    let out = Outgoing::of(req, &key);
    String::from_utf8(out.pieces().concat()).unwrap()
}

#[test]
fn a_get_is_its_line_its_headers_in_order_and_the_host() {
    let req = hop(
        "GET",
        "http://example.com:8080/a/b?c=1&d#frag",
        &[("User-Agent", "k6r"), ("X-Two", "1"), ("x-two", "2")],
        "",
    );
    assert_eq!(
        encoded(&req),
        "GET /a/b?c=1&d HTTP/1.1\r\nuser-agent: k6r\r\nx-two: 1\r\nx-two: 2\r\nhost: example.com:8080\r\n\r\n"
    );
    let req = hop("GET", "http://example.com/", &[("Host", "other")], "");
    assert_eq!(encoded(&req), "GET / HTTP/1.1\r\nhost: other\r\n\r\n");
}

#[test]
fn a_body_gets_its_length_unless_a_header_frames_it() {
    let req = hop("POST", "http://h/", &[], "hello");
    assert_eq!(
        encoded(&req),
        "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\nhello"
    );
    let req = hop("POST", "http://h/", &[("Content-Length", "5")], "hello");
    assert_eq!(
        encoded(&req),
        "POST / HTTP/1.1\r\ncontent-length: 5\r\nhost: h\r\n\r\nhello"
    );
    let req = hop(
        "POST",
        "http://h/",
        &[("Transfer-Encoding", "gzip")],
        "hello",
    );
    assert_eq!(
        encoded(&req),
        "POST / HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\nhost: h\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    );
    // No body: no transfer-encoding, and no length added.
    let req = hop("PUT", "http://h/", &[("Transfer-Encoding", "chunked")], "");
    assert_eq!(encoded(&req), "PUT / HTTP/1.1\r\nhost: h\r\n\r\n");
}

/// A connection to a server that reads the request's head, then writes
/// `answer` in pieces of `piece` bytes, then closes when `close`.
fn serve(
    answer: &'static [u8],
    piece: usize,
    close: bool,
) -> (Http1Conn, tokio::task::JoinHandle<String>) {
    let (client, server) = tokio::io::duplex(64);
    let task = tokio::spawn(server_side(server, answer, piece, close));
    (conn(client), task)
}

/// A connection on the client's end of a pipe.
fn conn(client: DuplexStream) -> Http1Conn {
    let marks = IoMarks::new();
    let stream = MeteredStream::new(client, Arc::clone(&marks), Meter::Both);
    Http1Conn::new(stream, marks, "127.0.0.1:80".parse().unwrap(), None)
}

async fn server_side(mut server: DuplexStream, answer: &[u8], piece: usize, close: bool) -> String {
    let mut got = Vec::new();
    let mut chunk = [0u8; 256];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = server.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
    }
    for part in answer.chunks(piece) {
        server.write_all(part).await.unwrap();
        tokio::task::yield_now().await;
    }
    if close {
        drop(server);
    } else {
        // Keep the pipe open until the client is done.
        let _ = server.read(&mut chunk).await;
    }
    String::from_utf8_lossy(&got).into_owned()
}

async fn exchange(
    conn: &mut Http1Conn,
    req: &HopRequest,
) -> Result<(RawResponse, bool), (Failure, bool)> {
    let key = Key::of(&req.url).unwrap();
    let mut trace = HopTrace::start();
    conn.exchange(req, &key, &mut trace).await
}

fn get(url: &str) -> HopRequest {
    hop("GET", url, &[], "")
}

#[tokio::test]
async fn a_length_framed_answer_in_small_pieces_leaves_the_connection_reusable() {
    let (mut conn, server) = serve(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 11\r\n\r\nhello world",
        3,
        false,
    );
    let (raw, reusable) = exchange(&mut conn, &get("http://h/x")).await.unwrap();
    assert_eq!(raw.status, 200);
    assert_eq!(raw.version, http::Version::HTTP_11);
    assert_eq!(&raw.body[..], b"hello world");
    let all: Vec<_> = raw.headers.get_all("x-a").iter().collect();
    assert_eq!(all, ["1", "2"]);
    assert!(reusable);
    drop(conn);
    assert_eq!(server.await.unwrap(), "GET /x HTTP/1.1\r\nhost: h\r\n\r\n");
}

#[tokio::test]
async fn a_chunked_answer_with_extensions_and_a_trailer() {
    let (mut conn, _server) = serve(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        4,
        false,
    );
    let (raw, reusable) = exchange(&mut conn, &get("http://h/")).await.unwrap();
    assert_eq!(&raw.body[..], b"hello world");
    assert!(reusable);
}

#[tokio::test]
async fn an_answer_without_a_length_ends_when_the_server_closes() {
    let (mut conn, _server) = serve(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", 5, true);
    let (raw, reusable) = exchange(&mut conn, &get("http://h/")).await.unwrap();
    assert_eq!(&raw.body[..], b"until the end");
    assert!(!reusable);
}

#[tokio::test]
async fn head_204_and_304_have_no_body_and_1xx_is_skipped() {
    let req = hop("HEAD", "http://h/", &[], "");
    let (mut conn, _s) = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 64, false);
    let (raw, reusable) = exchange(&mut conn, &req).await.unwrap();
    assert_eq!(
        (raw.status.as_u16(), raw.body.len(), reusable),
        (200, 0, true)
    );

    for answer in [
        &b"HTTP/1.1 204 No Content\r\n\r\n"[..],
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n",
    ] {
        let (mut conn, _s) = serve(answer, 64, false);
        let (raw, reusable) = exchange(&mut conn, &get("http://h/")).await.unwrap();
        assert_eq!((raw.body.len(), reusable), (0, true));
    }

    let (mut conn, _s) = serve(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        7,
        false,
    );
    let (raw, _) = exchange(&mut conn, &get("http://h/")).await.unwrap();
    assert_eq!((raw.status.as_u16(), &raw.body[..]), (201, &b"ok"[..]));
    assert!(raw.headers.get("link").is_none());
}

#[tokio::test]
async fn http_1_0_close_extra_bytes_and_101_are_not_reused() {
    for answer in [
        &b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"[..],
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: other\r\n\r\n",
    ] {
        let (mut conn, _s) = serve(answer, 64, false);
        let (raw, reusable) = exchange(&mut conn, &get("http://h/")).await.unwrap();
        let body: &[u8] = if raw.status == 101 { b"" } else { b"ok" };
        assert_eq!(&raw.body[..], body);
        assert!(!reusable, "{}", String::from_utf8_lossy(answer));
    }
}

#[tokio::test]
async fn a_body_not_kept_is_read_and_counted_but_not_returned() {
    let (client, mut server) = tokio::io::duplex(64);
    let srv = tokio::spawn(async move {
        let mut chunk = [0u8; 256];
        let _ = server.read(&mut chunk).await.unwrap();
        server
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n")
            .await
            .unwrap();
        server.write_all(&[b'x'; 300]).await.unwrap();
        let _ = server.read(&mut chunk).await;
    });
    let mut conn = conn(client);
    let mut req = get("http://h/");
    req.keep_body = false;
    let key = Key::of(&req.url).unwrap();
    let mut trace = HopTrace::start();
    let (raw, reusable) = conn.exchange(&req, &key, &mut trace).await.unwrap();
    assert!(raw.body.is_empty() && reusable);
    assert!(trace.received() > 300, "{}", trace.received());
    drop(conn);
    srv.await.unwrap();
}

#[tokio::test]
async fn a_server_that_closes_at_once_is_a_failure_with_nothing_read() {
    let (mut conn, _s) = serve(b"", 64, true);
    let (failure, nothing_read) = exchange(&mut conn, &get("http://h/")).await.unwrap_err();
    assert!(nothing_read);
    assert_eq!(failure.message, "unexpected EOF");

    let (mut conn, _s) = serve(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        64,
        true,
    );
    let (failure, nothing_read) = exchange(&mut conn, &get("http://h/")).await.unwrap_err();
    assert!(!nothing_read);
    assert_eq!(failure.message, "unexpected EOF");
}

#[tokio::test]
async fn a_malformed_answer_says_so() {
    for (answer, says) in [
        (&b"SMTP ready\r\n\r\n"[..], "malformed HTTP response"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok",
            "invalid content-length",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "invalid chunk size",
        ),
    ] {
        let (mut conn, _s) = serve(answer, 64, true);
        let (failure, _) = exchange(&mut conn, &get("http://h/")).await.unwrap_err();
        assert!(
            failure.message.contains(says),
            "{}: {}",
            failure.message,
            says
        );
    }
}

#[tokio::test]
async fn an_answer_before_the_body_is_written_is_read_and_the_connection_dropped() {
    // The server answers 413 after the head and never reads the body.
    let (client, mut server) = tokio::io::duplex(1024);
    let srv = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut chunk = [0u8; 256];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = server.read(&mut chunk).await.unwrap();
            got.extend_from_slice(&chunk[..n]);
        }
        server
            .write_all(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig")
            .await
            .unwrap();
        // Hold the pipe, unread, until the client is done.
        std::future::pending::<()>().await;
    });
    let mut conn = conn(client);
    let body = "x".repeat(1 << 20);
    let req = hop("POST", "http://h/upload", &[], &body);
    let (raw, reusable) = exchange(&mut conn, &req).await.unwrap();
    assert_eq!((raw.status.as_u16(), &raw.body[..]), (413, &b"big"[..]));
    assert!(!reusable);
    srv.abort();
}

#[tokio::test]
async fn a_connection_carries_requests_one_after_another() {
    let (client, mut server) = tokio::io::duplex(64);
    let srv = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut chunk = [0u8; 256];
        for i in 0..3 {
            while got.windows(4).filter(|w| *w == b"\r\n\r\n").count() <= i {
                let n = server.read(&mut chunk).await.unwrap();
                got.extend_from_slice(&chunk[..n]);
            }
            let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n{i}");
            server.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    let mut conn = conn(client);
    for i in 0..3 {
        let (raw, reusable) = exchange(&mut conn, &get("http://h/")).await.unwrap();
        assert_eq!(raw.body, i.to_string());
        assert!(reusable);
    }
    srv.await.unwrap();
}

#[tokio::test]
async fn an_idle_connection_is_open_until_the_server_closes_or_speaks() {
    let (client, mut server) = tokio::io::duplex(64);
    let mut idle = conn(client);
    assert!(idle.is_open());
    server
        .write_all(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
        .await
        .unwrap();
    assert!(!idle.is_open(), "an answer nobody asked for");

    let (client, server) = tokio::io::duplex(64);
    let mut idle = conn(client);
    drop(server);
    assert!(!idle.is_open(), "closed by the server");
}

#[tokio::test]
async fn many_header_lines_parse_up_to_a_hundred() {
    let head = |n: usize| {
        let mut text = String::from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
        for i in 1..n {
            text.push_str(&format!("X-H{i}: {i}\r\n"));
        }
        text.push_str("\r\n");
        &*Box::leak(text.into_boxed_str())
    };
    let (mut conn, _s) = serve(head(100).as_bytes(), 64, false);
    let (raw, _) = exchange(&mut conn, &get("http://h/")).await.unwrap();
    assert_eq!(raw.headers.len(), 100);
    assert_eq!(raw.headers["x-h99"], "99");

    let (mut conn, _s) = serve(head(101).as_bytes(), 64, false);
    let (failure, _) = exchange(&mut conn, &get("http://h/")).await.unwrap_err();
    assert!(failure.message.contains("too large"), "{}", failure.message);
}
