//! `https://` through reqwest (rustls with the webpki roots, HTTP/2 by ALPN).
//!
//! reqwest owns the connection, so per-phase timings are coarser than on
//! the plain path: `blocked`, `connecting` and `tls_handshaking` are 0,
//! `sending` is 0, `waiting` runs from the start of the hop to the response
//! headers (so it includes dial and handshake), `receiving` is the body.
//! Byte counts are estimated from the head and body sizes. `tls_version` is
//! not exposed by reqwest and stays empty.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;

use super::{HopRequest, HopTrace, RawResponse};
use crate::failure::{ErrorKind, Failure};
use crate::hosts::Hosts;

/// The TLS transport: one reqwest client per VU, rebuilt on reset.
#[derive(Debug)]
pub struct TlsTransport {
    client: Mutex<Option<reqwest::Client>>,
    reuse: bool,
    insecure: bool,
    hosts: Arc<Hosts>,
}

impl TlsTransport {
    /// A transport; nothing is built until the first `https://` request.
    pub fn new(reuse: bool, insecure: bool) -> Self {
        TlsTransport {
            client: Mutex::new(None),
            reuse,
            insecure,
            hosts: Arc::new(Hosts::default()),
        }
    }

    /// Resolves names through `hosts` (k6's option) before DNS. reqwest
    /// connects to the URL's port, so `name:port` entries do not apply.
    pub fn with_hosts(mut self, hosts: Hosts) -> Self {
        self.hosts = Arc::new(hosts);
        self
    }

    /// Drops the reqwest client and with it every connection.
    pub fn reset(&self) {
        *self.client.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn client(&self) -> Result<reqwest::Client, Failure> {
        let mut guard = self.client.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(self.insecure)
            .no_proxy();
        if !self.reuse {
            b = b.pool_max_idle_per_host(0);
        }
        if !self.hosts.is_empty() {
            b = b.dns_resolver(Arc::new(HostsResolver(self.hosts.clone())));
        }
        let c = b
            .build()
            .map_err(|e| Failure::new(ErrorKind::Tls, e.to_string()))?;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Sends one hop.
    pub async fn send(
        &self,
        trace: &mut HopTrace,
        req: HopRequest,
    ) -> Result<RawResponse, Failure> {
        let client = self.client()?;
        trace.estimated_sent =
            head_size(&req.method, &req.url, &req.headers) + req.body.len() as u64;
        let got = Instant::now();
        trace.got_conn = Some(got);
        trace.wrote = Some(got);
        let resp = client
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone())
            .body(req.body.clone())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        trace.first_byte = Some(Instant::now());
        trace.remote = resp.remote_addr();
        let status = resp.status();
        let version = resp.version();
        let headers = resp.headers().clone();
        let mut received = 12 + response_head_size(&headers);
        let mut kept = Vec::new();
        let mut resp = resp;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    received += chunk.len() as u64;
                    if req.keep_body {
                        kept.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(classify(&e)),
            }
        }
        trace.estimated_received = received;
        trace.done = Some(Instant::now());
        Ok(RawResponse {
            status,
            version,
            headers,
            body: Bytes::from(kept),
        })
    }
}

fn classify(e: &reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::timeout();
    }
    Failure::from_error(e)
}

fn head_size(method: &http::Method, url: &url::Url, headers: &http::HeaderMap) -> u64 {
    let target = url.path().len() + url.query().map_or(0, |q| q.len() + 1);
    (method.as_str().len() + 1 + target + 11) as u64 + response_head_size(headers)
}

fn response_head_size(headers: &http::HeaderMap) -> u64 {
    headers
        .iter()
        .map(|(k, v)| (k.as_str().len() + 2 + v.len() + 2) as u64)
        .sum::<u64>()
        + 2
}

/// reqwest's resolver over the `hosts` table, then the system's.
struct HostsResolver(Arc<Hosts>);

impl reqwest::dns::Resolve for HostsResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (host, _) = self
            .0
            .resolve(name.as_str(), 0)
            .unwrap_or_else(|| (name.as_str().to_string(), 0));
        Box::pin(async move {
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let addrs: Vec<SocketAddr> = match host.parse::<std::net::IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, 0)],
                Err(_) => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}
