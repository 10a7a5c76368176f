//! A new connection: DNS (after the `hosts` option), TCP, TLS with ALPN,
//! then HTTP/1.1 on the stream as it is or hyper's HTTP/2 handshake, each
//! phase timed into the hop's trace.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::conn::{classify, Conn, Http2Conn};
use super::h1::Http1Conn;
use super::stream::{IoMarks, Meter, MeteredStream};
use super::{HopTrace, Key};
use crate::failure::Failure;
use crate::hosts::Hosts;
use crate::tls::{Alpn, Handshake, TlsSettings};

/// Dials `key`; `https` keys get TLS, and HTTP/2 when the server picks it.
pub(super) async fn connect(
    trace: &mut HopTrace,
    key: &Key,
    hosts: &Hosts,
    tls: &TlsSettings,
) -> Result<Conn, Failure> {
    let (tcp, remote) = tcp(trace, key, hosts).await?;
    let marks = IoMarks::new();
    if !key.tls {
        let stream = MeteredStream::new(tcp, marks.clone(), Meter::Both);
        return Ok(Conn::Http1(Http1Conn::new(stream, marks, remote, None)));
    }
    let counted = MeteredStream::new(tcp, marks.clone(), Meter::Bytes);
    let host = key.host.trim_start_matches('[').trim_end_matches(']');
    let t0 = Instant::now();
    // As in k6, a failed handshake reports no tls_handshaking time.
    let Handshake { stream, info, h2 } = tls.handshake(host, counted, Alpn::Http).await?;
    trace.tls = Some((t0, Instant::now()));
    let info = Arc::new(info);
    if h2 {
        let (sender, driver) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .map_err(|e| classify(&e))?;
        // The driver ends when every sender is dropped or the peer closes.
        tokio::spawn(async move {
            let _ = driver.await;
        });
        return Ok(Conn::Http2(Http2Conn {
            sender,
            marks,
            remote,
            tls: info,
        }));
    }
    let timed = MeteredStream::new(stream, marks.clone(), Meter::Times);
    Ok(Conn::Http1(Http1Conn::new(
        timed,
        marks,
        remote,
        Some(info),
    )))
}

/// DNS and TCP: the first address that accepts.
pub(super) async fn tcp(
    trace: &mut HopTrace,
    key: &Key,
    hosts: &Hosts,
) -> Result<(TcpStream, SocketAddr), Failure> {
    let (host, port) = hosts
        .resolve(&key.host, key.port)
        .unwrap_or_else(|| (key.host.clone(), key.port));
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let t0 = Instant::now();
            let res = tokio::net::lookup_host((host, port)).await;
            trace.dns = Some((t0, Instant::now()));
            match res {
                Ok(it) => it.collect(),
                Err(e) => return Err(Failure::from_dns(host, &e)),
            }
        }
    };
    if addrs.is_empty() {
        return Err(Failure::no_such_host());
    }
    let mut last_err = None;
    for addr in addrs {
        let t0 = Instant::now();
        let res = TcpStream::connect(addr).await;
        trace.connect = Some((t0, Instant::now()));
        match res {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok((tcp, addr));
            }
            Err(e) => last_err = Some((addr, e)),
        }
    }
    Err(last_err
        .map(|(addr, e)| Failure::from_dial(addr, &e))
        .unwrap_or_else(Failure::no_such_host))
}
