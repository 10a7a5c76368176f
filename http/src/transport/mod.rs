//! One request hop on the wire, and the trace of when each phase happened.
//!
//! Two transports sit behind [`Transport`]:
//! - [`plain`]: `http://` over hyper's HTTP/1.1 client connection directly,
//!   with a per-VU pool and a metered socket ([`stream`]). This is the hot
//!   path of load tests and the only way to get k6's per-phase timings
//!   (blocked/connecting/sending/waiting) and on-the-wire byte counts:
//!   reqwest hides its connection, its pool and its socket.
//! - [`tls`]: `https://` through reqwest (rustls, HTTP/2 by ALPN), with
//!   coarser timings (see that module).

pub mod plain;
pub mod stream;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use url::Url;

use crate::failure::Failure;
use crate::response::Timings;
use stream::IoMarks;

/// A hop ready to be sent (headers already include cookies, auth, UA).
#[derive(Debug, Clone)]
pub struct HopRequest {
    /// Method.
    pub method: http::Method,
    /// Absolute URL.
    pub url: Url,
    /// Headers to send.
    pub headers: http::HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// Keep the body (`false` reads and counts it only).
    pub keep_body: bool,
}

/// A response as it came off the wire.
#[derive(Debug)]
pub struct RawResponse {
    /// Status.
    pub status: http::StatusCode,
    /// Protocol version.
    pub version: http::Version,
    /// Headers.
    pub headers: http::HeaderMap,
    /// Body (empty when not kept).
    pub body: Bytes,
}

/// When each phase of a hop started/ended; filled while the hop runs so a
/// timeout or failure still reports what was measured.
#[derive(Debug)]
pub struct HopTrace {
    /// Hop start (`getConn`).
    pub start: Instant,
    /// DNS lookup.
    pub dns: Option<(Instant, Instant)>,
    /// TCP connect.
    pub connect: Option<(Instant, Instant)>,
    /// TLS handshake.
    pub tls: Option<(Instant, Instant)>,
    /// Connection ready (`gotConn`).
    pub got_conn: Option<Instant>,
    /// Request fully written (when the transport cannot see the socket).
    pub wrote: Option<Instant>,
    /// First response byte (when the transport cannot see the socket).
    pub first_byte: Option<Instant>,
    /// Body fully read.
    pub done: Option<Instant>,
    /// The socket's marks, for the plain transport.
    pub marks: Option<Arc<IoMarks>>,
    /// Peer address.
    pub remote: Option<SocketAddr>,
    /// Bytes sent when not measured on the socket.
    pub estimated_sent: u64,
    /// Bytes received when not measured on the socket.
    pub estimated_received: u64,
}

impl HopTrace {
    /// A trace starting now.
    pub fn start() -> Self {
        HopTrace {
            start: Instant::now(),
            dns: None,
            connect: None,
            tls: None,
            got_conn: None,
            wrote: None,
            first_byte: None,
            done: None,
            marks: None,
            remote: None,
            estimated_sent: 0,
            estimated_received: 0,
        }
    }

    /// Bytes written for this hop.
    pub fn sent(&self) -> u64 {
        match &self.marks {
            Some(m) => m.written(),
            None => self.estimated_sent,
        }
    }

    /// Bytes read for this hop.
    pub fn received(&self) -> u64 {
        match &self.marks {
            Some(m) => m.read(),
            None => self.estimated_received,
        }
    }

    /// k6's timings (`lib/netext/httptrace.go`): a phase that never ended
    /// (timeout, failure) is cut at `end`, later phases are 0.
    pub fn timings(&self, end: Instant) -> Timings {
        let ms = |a: Instant, b: Instant| b.saturating_duration_since(a).as_secs_f64() * 1000.0;
        let span = |p: Option<(Instant, Instant)>| p.map(|(a, b)| ms(a, b)).unwrap_or(0.0);
        let mut t = Timings {
            looking_up: span(self.dns),
            connecting: span(self.connect),
            tls_handshaking: span(self.tls),
            ..Timings::default()
        };
        let Some(got) = self.got_conn else {
            t.blocked = ms(self.start, end);
            return t;
        };
        t.blocked = ms(self.start, got);
        let wrote = self
            .wrote
            .or_else(|| self.marks.as_ref().and_then(|m| m.last_write()));
        let first = self
            .first_byte
            .or_else(|| self.marks.as_ref().and_then(|m| m.first_read()));
        match (wrote, first) {
            (None, _) => t.sending = ms(got, end),
            (Some(w), None) => {
                t.sending = ms(got, w);
                t.waiting = ms(w, end);
            }
            (Some(w), Some(f)) => {
                // A server may answer before the body is fully written.
                let w = w.min(f);
                t.sending = ms(got, w);
                t.waiting = ms(w, f);
                t.receiving = ms(f, self.done.unwrap_or(end));
            }
        }
        t.duration = t.sending + t.waiting + t.receiving;
        t
    }
}

/// The transports of one client.
#[derive(Debug)]
pub struct Transport {
    /// `http://`.
    pub plain: plain::PlainTransport,
    /// `https://`, built on first use.
    pub tls: tls::TlsTransport,
}

impl Transport {
    /// Sends one hop, filling `trace`.
    pub async fn send(
        &self,
        trace: &mut HopTrace,
        req: HopRequest,
    ) -> Result<RawResponse, Failure> {
        match req.url.scheme() {
            "http" => self.plain.send(trace, req).await,
            "https" => self.tls.send(trace, req).await,
            other => Err(Failure::new(
                crate::failure::ErrorKind::InvalidUrl,
                format!("unsupported protocol scheme \"{other}\""),
            )),
        }
    }

    /// Drops every idle connection.
    pub fn reset(&self) {
        self.plain.reset();
        self.tls.reset();
    }
}
