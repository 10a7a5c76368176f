//! A dialled connection: HTTP/1.1 ([`super::h1`], one request at a time,
//! timed on the socket) or HTTP/2 (hyper's, shared by the VU's requests
//! to its host, timed around hyper's calls).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2;

use super::h1::Http1Conn;
use super::stream::IoMarks;
use super::{HopRequest, HopTrace, Key, RawResponse};
use crate::failure::{ErrorKind, Failure};
use crate::tls::TlsInfo;

/// A freshly dialled connection.
#[derive(Debug)]
pub(super) enum Conn {
    /// HTTP/1.1, plain or over TLS.
    Http1(Http1Conn),
    /// HTTP/2 (negotiated by ALPN).
    Http2(Http2Conn),
}

/// An HTTP/2 connection; clones share it.
#[derive(Debug, Clone)]
pub(super) struct Http2Conn {
    pub(super) sender: http2::SendRequest<Full<Bytes>>,
    pub(super) marks: Arc<IoMarks>,
    pub(super) remote: SocketAddr,
    pub(super) tls: Arc<TlsInfo>,
}

impl Http2Conn {
    /// Whether the connection can take another request.
    pub(super) fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Sends `req` as one stream of the connection.
    pub(super) async fn exchange(
        mut self,
        req: &HopRequest,
        key: &Key,
        trace: &mut HopTrace,
    ) -> Result<RawResponse, Failure> {
        trace.attach(&self.marks, false);
        let hreq = build(req, key)?;
        self.sender.ready().await.map_err(|e| classify(&e))?;
        let sent = self.sender.send_request(hreq);
        trace.wrote = Some(Instant::now());
        let resp = sent.await.map_err(|e| classify(&e))?;
        trace.first_byte = Some(Instant::now());
        let (parts, body) = resp.into_parts();
        let body = read_body(body, req.keep_body)
            .await
            .map_err(|e| classify(&e))?;
        trace.done = Some(Instant::now());
        trace.claim_bytes();
        Ok(RawResponse {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
            tls: Some(self.tls.clone()),
        })
    }
}

async fn read_body(mut body: Incoming, keep: bool) -> Result<Bytes, hyper::Error> {
    let mut kept = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        if keep {
            if let Some(data) = frame.data_ref() {
                kept.extend_from_slice(data);
            }
        }
    }
    Ok(kept.freeze())
}

/// hyper's HTTP/2 request: the absolute URL (scheme and authority).
fn build(req: &HopRequest, key: &Key) -> Result<http::Request<Full<Bytes>>, Failure> {
    let path = &req.url[url::Position::BeforePath..url::Position::AfterQuery];
    let authority = match req.headers.get(http::header::HOST) {
        // A `Host` header given by the script is HTTP/2's authority too.
        Some(host) => String::from_utf8_lossy(host.as_bytes()).into_owned(),
        None => key.authority(&req.url).to_string(),
    };
    let mut builder = http::Request::builder()
        .method(req.method.clone())
        .uri(format!("{}://{}{}", req.url.scheme(), authority, path))
        .version(http::Version::HTTP_2);
    let headers = builder.headers_mut().expect("fresh builder has headers");
    *headers = req.headers.clone();
    // HTTP/2 carries the host as `:authority`.
    headers.remove(http::header::HOST);
    builder
        .body(Full::new(req.body.clone()))
        .map_err(|e| Failure::new(ErrorKind::InvalidUrl, e.to_string()))
}

/// A hyper error as k6 reports it.
pub(super) fn classify(e: &hyper::Error) -> Failure {
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        return Failure::new(ErrorKind::Generic, "unexpected EOF");
    }
    Failure::from_error(e)
}
