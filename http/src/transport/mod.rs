//! One request hop on the wire, and the trace of when each phase happened.
//!
//! `http://` and `https://` share one metered path: a per-VU pool
//! ([`pool`]) of connections dialled here (`dial`: DNS after the `hosts`
//! option, TCP, rustls with ALPN), HTTP/1.1 (`h1`, driven by the VU's own
//! task) or HTTP/2 (hyper's, `conn`), over sockets that count bytes and
//! mark times ([`stream`]). A connection for an upgrade (a WebSocket) is
//! dialled the same way, unpooled ([`raw`]). reqwest is not used: it hides
//! its pool and socket, and
//! k6's per-phase timings (blocked, connecting, tls_handshaking, sending,
//! waiting, receiving) and on-the-wire byte counts need both.

mod conn;
mod dial;
mod h1;
pub mod pool;
pub mod raw;
pub mod stream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use url::Url;

use crate::failure::{ErrorKind, Failure};
use crate::response::Timings;
use crate::tls::TlsInfo;
pub use pool::Transport;
use stream::IoMarks;

/// Where a connection goes: scheme (TLS or not), host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    tls: bool,
    host: String,
    port: u16,
}

impl Key {
    fn of(url: &Url) -> Result<Key, Failure> {
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(Failure::new(
                    ErrorKind::InvalidUrl,
                    format!("unsupported protocol scheme \"{other}\""),
                ))
            }
        };
        let host = url
            .host_str()
            .ok_or_else(|| Failure::new(ErrorKind::InvalidUrl, "http: no Host in request URL"))?
            .to_string();
        let port = url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        Ok(Key { tls, host, port })
    }

    /// The host as a request names it (`Host`, HTTP/2's `:authority`):
    /// with the port only when `url` gives one.
    pub(crate) fn authority<'a>(&'a self, url: &Url) -> Authority<'a> {
        Authority {
            key: self,
            port: url.port().is_some(),
        }
    }
}

/// [`Key::authority`]'s text.
pub(crate) struct Authority<'a> {
    key: &'a Key,
    port: bool,
}

impl std::fmt::Display for Authority<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key.host)?;
        if self.port {
            write!(f, ":{}", self.key.port)?;
        }
        Ok(())
    }
}

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
    /// What the TLS connection says (`None` for plain HTTP).
    pub tls: Option<Arc<TlsInfo>>,
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
    /// Request fully written (when the socket's marks are not the hop's).
    pub wrote: Option<Instant>,
    /// First response byte (when the socket's marks are not the hop's).
    pub first_byte: Option<Instant>,
    /// Body fully read.
    pub done: Option<Instant>,
    /// Peer address.
    pub remote: Option<SocketAddr>,
    /// The connection's marks: its times are the hop's (HTTP/1.1).
    times: Option<Arc<IoMarks>>,
    /// The connection's byte counters, not yet claimed by the hop.
    bytes: Option<Arc<IoMarks>>,
    /// Bytes claimed so far (written, read).
    claimed: (u64, u64),
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
            remote: None,
            times: None,
            bytes: None,
            claimed: (0, 0),
        }
    }

    /// Follows a connection's counters; `times`: its write/read marks
    /// belong to this hop alone.
    pub(crate) fn attach(&mut self, marks: &Arc<IoMarks>, times: bool) {
        self.times = times.then(|| marks.clone());
        self.bytes = Some(marks.clone());
    }

    /// Takes the connection's unclaimed bytes into the hop's.
    pub(crate) fn claim_bytes(&mut self) {
        if let Some(marks) = self.bytes.take() {
            let (w, r) = marks.take_bytes();
            self.claimed.0 += w;
            self.claimed.1 += r;
        }
    }

    /// Whether no response byte was read since the hop's marks were
    /// reset (TLS records such as a closing alert do not count).
    pub(crate) fn nothing_read(&self) -> bool {
        self.times.as_ref().is_none_or(|m| m.first_read().is_none())
    }

    fn unclaimed(&self) -> (u64, u64) {
        self.bytes.as_ref().map_or((0, 0), |m| m.peek_bytes())
    }

    /// Bytes written for this hop (TLS included).
    pub fn sent(&self) -> u64 {
        self.claimed.0 + self.unclaimed().0
    }

    /// Bytes read for this hop (TLS included).
    pub fn received(&self) -> u64 {
        self.claimed.1 + self.unclaimed().1
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
            .or_else(|| self.times.as_ref().and_then(|m| m.last_write()));
        let first = self
            .first_byte
            .or_else(|| self.times.as_ref().and_then(|m| m.first_read()));
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
