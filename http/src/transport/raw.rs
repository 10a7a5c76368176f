//! A connection for a protocol that starts as an HTTP/1.1 upgrade (a
//! WebSocket): dialled as a request's is (the `hosts` option, DNS, TCP,
//! TLS with k6's options), but offering only `http/1.1` by ALPN (as k6
//! does for its WebSockets: an upgrade cannot go over HTTP/2), never
//! pooled, and handed over whole to the caller.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite};

use super::dial::tcp;
use super::stream::{IoMarks, Meter, MeteredStream};
use super::{HopTrace, Key};
use crate::failure::{ErrorKind, Failure};
use crate::hosts::Hosts;
use crate::tls::{Alpn, TlsInfo, TlsSettings};

/// A byte stream of either kind (plain TCP, or TLS over it).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An established connection.
pub struct RawConnection {
    /// The stream (TLS already negotiated for `wss`/`https`).
    pub stream: Box<dyn Io>,
    /// The peer's address.
    pub remote: SocketAddr,
    /// The bytes written and read on the wire (TLS included), to be
    /// claimed by the caller ([`IoMarks::take_bytes`]).
    pub marks: Arc<IoMarks>,
    /// What the TLS handshake agreed (`None` without TLS).
    pub tls: Option<TlsInfo>,
    /// How long the TCP connect and the TLS handshake took.
    pub trace: HopTrace,
}

impl std::fmt::Debug for RawConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawConnection")
            .field("remote", &self.remote)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// Dials `host:port` over TCP after the `hosts` option, as a request's
/// connection is dialled, for a protocol that lays its own framing (and
/// TLS) over it (gRPC); failures are k6's ([`Failure::go_text`] is Go's
/// `dial tcp 127.0.0.1:1: connect: connection refused`).
pub async fn connect_tcp(
    host: &str,
    port: u16,
    hosts: &Hosts,
) -> Result<(tokio::net::TcpStream, SocketAddr), Failure> {
    let key = Key {
        tls: false,
        host: host.to_owned(),
        port,
    };
    tcp(&mut HopTrace::start(), &key, hosts).await
}

/// Dials `host:port` (a name or an IP address, brackets allowed), with
/// TLS when `secure`, after the `hosts` option and with the TLS options
/// of `settings`; failures are k6's ([`Failure`]).
pub async fn connect_raw(
    host: &str,
    port: u16,
    secure: bool,
    hosts: &Hosts,
    settings: &TlsSettings,
) -> Result<RawConnection, Failure> {
    if host.is_empty() {
        return Err(Failure::new(ErrorKind::InvalidUrl, "no host"));
    }
    let key = Key {
        tls: secure,
        host: host.to_owned(),
        port,
    };
    let mut trace = HopTrace::start();
    let (tcp, remote) = tcp(&mut trace, &key, hosts).await?;
    let marks = IoMarks::new();
    if !secure {
        let stream = MeteredStream::new(tcp, marks.clone(), Meter::Bytes);
        return Ok(RawConnection {
            stream: Box::new(stream),
            remote,
            marks,
            tls: None,
            trace,
        });
    }
    let counted = MeteredStream::new(tcp, marks.clone(), Meter::Bytes);
    let name = host.trim_start_matches('[').trim_end_matches(']');
    let t0 = Instant::now();
    let handshake = settings.handshake(name, counted, Alpn::Http1).await?;
    trace.tls = Some((t0, Instant::now()));
    Ok(RawConnection {
        stream: Box::new(handshake.stream),
        remote,
        marks,
        tls: Some(handshake.info),
        trace,
    })
}
