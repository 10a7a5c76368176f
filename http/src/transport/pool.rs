//! A VU's connections, pooled per scheme, host and port.
//!
//! Each VU owns its connections as in k6. HTTP/1.1: a check-out takes the
//! newest idle connection to the host (LIFO keeps few sockets warm); when
//! none is idle a new one is dialled, so a `batch` opens as many
//! connections as it has requests in flight to that host. A reused
//! connection that turns out to be closed by the server before any
//! response byte arrived is replaced once by a fresh one, as Go's
//! transport does. HTTP/2: the first connection a host negotiates it on is
//! kept and shared by every later request to that host.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use super::conn::{Conn, Http2Conn};
use super::h1::Http1Conn;
use super::{dial, HopRequest, HopTrace, Key, RawResponse};
use crate::failure::Failure;
use crate::hosts::Hosts;
use crate::tls::TlsSettings;

/// The wire of one client: its pool, `hosts` table and TLS settings.
#[derive(Debug)]
pub struct Transport {
    // foldhash, not SipHash: two lookups a request, keyed by the script's
    // own hosts.
    idle: Mutex<foldhash::HashMap<Key, Vec<Http1Conn>>>,
    shared: Mutex<foldhash::HashMap<Key, Http2Conn>>,
    reuse: bool,
    max_idle_per_host: usize,
    hosts: Hosts,
    tls: TlsSettings,
}

impl Transport {
    /// A transport; `reuse: false` closes every connection after its request.
    pub fn new(reuse: bool, max_idle_per_host: usize, hosts: Hosts, tls: TlsSettings) -> Self {
        Transport {
            idle: Mutex::default(),
            shared: Mutex::default(),
            reuse,
            max_idle_per_host: max_idle_per_host.max(1),
            hosts,
            tls,
        }
    }

    /// Closes all idle connections (dropping a sender ends its connection).
    pub fn reset(&self) {
        lock(&self.idle).clear();
        lock(&self.shared).clear();
    }

    /// Number of idle HTTP/1.1 connections plus kept HTTP/2 ones.
    pub fn idle_count(&self) -> usize {
        lock(&self.idle).values().map(Vec::len).sum::<usize>() + lock(&self.shared).len()
    }

    /// Sends one hop, filling `trace`.
    pub async fn send(
        &self,
        trace: &mut HopTrace,
        req: HopRequest,
    ) -> Result<RawResponse, Failure> {
        let key = Key::of(&req.url)?;
        if let Some(conn) = self.shared(&key) {
            trace.got_conn = Some(Instant::now());
            trace.remote = Some(conn.remote);
            return conn.exchange(&req, &key, trace).await;
        }
        let mut retried = false;
        loop {
            let (conn, reused) = match self.checkout(&key) {
                Some(c) => (Conn::Http1(c), true),
                None => (
                    dial::connect(trace, &key, &self.hosts, &self.tls).await?,
                    false,
                ),
            };
            trace.got_conn = Some(Instant::now());
            let mut conn = match conn {
                Conn::Http2(conn) => {
                    trace.remote = Some(conn.remote);
                    if self.reuse {
                        lock(&self.shared)
                            .entry(key.clone())
                            .or_insert_with(|| conn.clone());
                    }
                    return conn.exchange(&req, &key, trace).await;
                }
                Conn::Http1(conn) => conn,
            };
            trace.remote = Some(conn.remote);
            match conn.exchange(&req, &key, trace).await {
                Err((_, nothing_read)) if reused && nothing_read && !retried => {
                    // The server closed an idle keep-alive connection: dial.
                    trace.claim_bytes();
                    retried = true;
                }
                Err((failure, _)) => return Err(failure),
                Ok((raw, reusable)) => {
                    if self.reuse && reusable {
                        let mut idle = lock(&self.idle);
                        let list = idle.entry(key).or_default();
                        if list.len() < self.max_idle_per_host {
                            list.push(conn);
                        }
                    }
                    return Ok(raw);
                }
            }
        }
    }

    /// The host's open HTTP/2 connection, if any.
    fn shared(&self, key: &Key) -> Option<Http2Conn> {
        if !key.tls {
            return None;
        }
        let mut shared = lock(&self.shared);
        match shared.get(key) {
            Some(conn) if conn.is_open() => Some(conn.clone()),
            Some(_) => {
                shared.remove(key);
                None
            }
            None => None,
        }
    }

    /// The newest idle connection to `key` the server has not closed.
    fn checkout(&self, key: &Key) -> Option<Http1Conn> {
        let mut idle = lock(&self.idle);
        let list = idle.get_mut(key)?;
        while let Some(mut conn) = list.pop() {
            if conn.is_open() {
                return Some(conn);
            }
        }
        None
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
