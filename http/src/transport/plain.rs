//! `http://` over hyper's HTTP/1.1 client connections, pooled per VU.
//!
//! Each VU owns its connections like in k6. A check-out takes the newest
//! idle connection to the host (LIFO keeps few sockets warm); when none is
//! idle a new one is dialled, so a `batch` opens as many connections as it
//! has requests in flight to that host. A reused connection that turns out
//! to be closed by the server before any response byte arrived is replaced
//! once by a fresh one, as Go's transport does.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::stream::{IoMarks, MeteredStream};
use super::{HopRequest, HopTrace, RawResponse};
use crate::failure::{ErrorKind, Failure};
use crate::hosts::Hosts;

type Key = (String, u16);

#[derive(Debug)]
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    marks: Arc<IoMarks>,
    remote: SocketAddr,
}

/// The plain-HTTP transport and its idle connections.
#[derive(Debug)]
pub struct PlainTransport {
    idle: Mutex<HashMap<Key, Vec<Conn>>>,
    reuse: bool,
    max_idle_per_host: usize,
    hosts: Hosts,
}

impl PlainTransport {
    /// A transport; `reuse: false` closes every connection after its request.
    pub fn new(reuse: bool, max_idle_per_host: usize) -> Self {
        PlainTransport {
            idle: Mutex::new(HashMap::new()),
            reuse,
            max_idle_per_host: max_idle_per_host.max(1),
            hosts: Hosts::default(),
        }
    }

    /// Resolves names through `hosts` (k6's option) before DNS.
    pub fn with_hosts(mut self, hosts: Hosts) -> Self {
        self.hosts = hosts;
        self
    }

    /// Closes all idle connections (dropping a sender ends its connection).
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// Number of idle connections (for tests and diagnostics).
    pub fn idle_count(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<Conn>>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends one hop.
    pub async fn send(
        &self,
        trace: &mut HopTrace,
        req: HopRequest,
    ) -> Result<RawResponse, Failure> {
        let host = req
            .url
            .host_str()
            .ok_or_else(|| Failure::new(ErrorKind::InvalidUrl, "http: no Host in request URL"))?
            .to_string();
        let port = req.url.port_or_known_default().unwrap_or(80);
        let key = (host, port);
        let mut retried = false;
        loop {
            let (conn, reused) = match self.checkout(&key).await {
                Some(c) => (c, true),
                None => (dial(trace, &key, &self.hosts).await?, false),
            };
            trace.got_conn = Some(Instant::now());
            trace.remote = Some(conn.remote);
            conn.marks.reset();
            trace.marks = Some(conn.marks.clone());
            match self.exchange(conn, &key, &req, trace).await {
                Err((_, nothing_read)) if reused && nothing_read && !retried => {
                    // The server closed an idle keep-alive connection: dial.
                    retried = true;
                }
                other => return other.map_err(|(f, _)| f),
            }
        }
    }

    async fn checkout(&self, key: &Key) -> Option<Conn> {
        loop {
            let mut conn = {
                let mut idle = self.lock();
                idle.get_mut(key)?.pop()?
            };
            if conn.sender.is_closed() {
                continue;
            }
            if conn.sender.ready().await.is_ok() {
                return Some(conn);
            }
        }
    }

    async fn exchange(
        &self,
        mut conn: Conn,
        key: &Key,
        req: &HopRequest,
        trace: &mut HopTrace,
    ) -> Result<RawResponse, (Failure, bool)> {
        let fail = |e: &hyper::Error, marks: &IoMarks| (classify(e), marks.read() == 0);
        let hreq = build(req, key).map_err(|f| (f, false))?;
        let resp = match conn.sender.send_request(hreq).await {
            Ok(r) => r,
            Err(e) => return Err(fail(&e, &conn.marks)),
        };
        let (parts, mut body) = resp.into_parts();
        let mut kept = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| (classify(&e), false))?;
            if req.keep_body {
                if let Some(data) = frame.data_ref() {
                    kept.extend_from_slice(data);
                }
            }
        }
        trace.done = Some(Instant::now());
        let close = wants_close(&req.headers) || wants_close(&parts.headers);
        if self.reuse && !close && parts.version == http::Version::HTTP_11 {
            let mut idle = self.lock();
            let list = idle.entry(key.clone()).or_default();
            if list.len() < self.max_idle_per_host {
                list.push(conn);
            }
        }
        Ok(RawResponse {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body: kept.freeze(),
        })
    }
}

fn wants_close(h: &http::HeaderMap) -> bool {
    h.get_all(http::header::CONNECTION)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
}

fn build(req: &HopRequest, key: &Key) -> Result<http::Request<Full<Bytes>>, Failure> {
    let path = match req.url.query() {
        Some(q) => format!("{}?{}", req.url.path(), q),
        None => req.url.path().to_string(),
    };
    let mut builder = http::Request::builder()
        .method(req.method.clone())
        .uri(path)
        .version(http::Version::HTTP_11);
    let headers = builder.headers_mut().expect("fresh builder has headers");
    *headers = req.headers.clone();
    if !headers.contains_key(http::header::HOST) {
        let host = if req.url.port().is_some() {
            format!("{}:{}", key.0, key.1)
        } else {
            key.0.clone()
        };
        let value = http::HeaderValue::from_str(&host)
            .map_err(|_| Failure::new(ErrorKind::InvalidUrl, "invalid host"))?;
        headers.insert(http::header::HOST, value);
    }
    builder
        .body(Full::new(req.body.clone()))
        .map_err(|e| Failure::new(ErrorKind::InvalidUrl, e.to_string()))
}

async fn dial(trace: &mut HopTrace, key: &Key, hosts: &Hosts) -> Result<Conn, Failure> {
    let (host, port) = hosts.resolve(&key.0, key.1).unwrap_or_else(|| key.clone());
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let t0 = Instant::now();
            let res = tokio::net::lookup_host((host, port)).await;
            trace.dns = Some((t0, Instant::now()));
            match res {
                Ok(it) => it.collect(),
                Err(e) => return Err(Failure::from_dns(&e)),
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
                let (stream, marks) = MeteredStream::new(tcp);
                let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(|e| classify(&e))?;
                // The connection task ends when the sender is dropped (pool
                // reset, no reuse) or the peer closes.
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                return Ok(Conn {
                    sender,
                    marks,
                    remote: addr,
                });
            }
            Err(e) => last_err = Some((addr, e)),
        }
    }
    Err(last_err
        .map(|(addr, e)| Failure::from_dial(addr, &e))
        .unwrap_or_else(Failure::no_such_host))
}

fn classify(e: &hyper::Error) -> Failure {
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        return Failure::new(ErrorKind::Generic, "unexpected EOF");
    }
    Failure::from_error(e)
}
