//! Per-VU client options: the HTTP subset of k6's script options.

use std::time::Duration;

use crate::hosts::Hosts;
use crate::tls::TlsSettings;

/// k6r's default `User-Agent` (k6 sends `Grafana k6/1.1.0`; the option
/// `userAgent` overrides it, a request header overrides both).
pub const DEFAULT_USER_AGENT: &str = concat!("k6r/", env!("CARGO_PKG_VERSION"));

/// k6's default request timeout (`timeout` param).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The HTTP options a VU's [`Client`](crate::Client) is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// `noConnectionReuse`: never keep a connection after its request.
    pub no_connection_reuse: bool,
    /// `noVUConnectionReuse`: drop all connections between iterations
    /// (applied by [`Client::begin_iteration`](crate::Client::begin_iteration)).
    pub no_vu_connection_reuse: bool,
    /// `noCookiesReset`: keep the cookie jar across iterations.
    pub no_cookies_reset: bool,
    /// `maxRedirects` (default 10); a request's `redirects` overrides it.
    pub max_redirects: u32,
    /// `userAgent`; `None` sends no `User-Agent` header at all.
    pub user_agent: Option<String>,
    /// `tlsVersion`, `tlsCipherSuites`, `tlsAuth`, `insecureSkipTLSVerify`.
    pub tls: TlsSettings,
    /// `discardResponseBodies`: the default `responseType` becomes `none`.
    pub discard_response_bodies: bool,
    /// `batch`: at most this many requests of one `batch()` in flight (0 = no limit).
    pub batch: usize,
    /// `batchPerHost`: at most this many per host (0 = no limit).
    pub batch_per_host: usize,
    /// `hosts`: names resolved before DNS.
    pub hosts: Hosts,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            no_connection_reuse: false,
            no_vu_connection_reuse: false,
            no_cookies_reset: false,
            max_redirects: 10,
            user_agent: Some(DEFAULT_USER_AGENT.to_string()),
            tls: TlsSettings::default(),
            discard_response_bodies: false,
            batch: 20,
            batch_per_host: 6,
            hosts: Hosts::default(),
        }
    }
}

impl ClientOptions {
    /// Sets `noConnectionReuse`.
    pub fn with_no_connection_reuse(mut self, v: bool) -> Self {
        self.no_connection_reuse = v;
        self
    }
    /// Sets `noVUConnectionReuse`.
    pub fn with_no_vu_connection_reuse(mut self, v: bool) -> Self {
        self.no_vu_connection_reuse = v;
        self
    }
    /// Sets `noCookiesReset`.
    pub fn with_no_cookies_reset(mut self, v: bool) -> Self {
        self.no_cookies_reset = v;
        self
    }
    /// Sets `maxRedirects`.
    pub fn with_max_redirects(mut self, v: u32) -> Self {
        self.max_redirects = v;
        self
    }
    /// Sets `userAgent`.
    pub fn with_user_agent(mut self, v: Option<String>) -> Self {
        self.user_agent = v;
        self
    }
    /// Sets `insecureSkipTLSVerify` (keeping the other TLS options).
    pub fn with_insecure_skip_tls_verify(mut self, v: bool) -> Self {
        let mut options = self.tls.options().clone();
        options.insecure_skip_verify = v;
        self.tls = TlsSettings::new(options);
        self
    }
    /// Sets the TLS options.
    pub fn with_tls(mut self, tls: TlsSettings) -> Self {
        self.tls = tls;
        self
    }
    /// Sets `discardResponseBodies`.
    pub fn with_discard_response_bodies(mut self, v: bool) -> Self {
        self.discard_response_bodies = v;
        self
    }
    /// Sets `hosts`.
    pub fn with_hosts(mut self, hosts: Hosts) -> Self {
        self.hosts = hosts;
        self
    }
    /// Sets `batch` and `batchPerHost`.
    pub fn with_batch(mut self, batch: usize, per_host: usize) -> Self {
        self.batch = batch;
        self.batch_per_host = per_host;
        self
    }
}
