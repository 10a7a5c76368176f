//! A VU's HTTP client: one request (with its redirect hops) at a time or a
//! `batch`, cookies, and the response and metric values of each hop.
//! `chain` holds what a request carries from hop to hop (redirects and
//! authentication challenges).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::cookies::{response_cookies, CookieJar};
use crate::expected::ExpectedStatuses;
use crate::failure::Failure;
use crate::metrics::{RequestMetrics, Tags};
use crate::options::ClientOptions;
use crate::prepare::{prepare_parsed, tag_url};
use crate::request::{JarChoice, Request, ResponseType};
use crate::response::{
    proto_text, status_text, Headers, RequestInfo, Response, ResponseBody, Timings,
};
use crate::target::request_url;
use crate::transport::{HopTrace, RawResponse, Transport};
use chain::{redirect_target, Chain};

mod chain;

/// What a request call produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The request finished, successfully or with a failure inside.
    Done(Exchange),
    /// The VU's iteration was interrupted; nothing is to be emitted.
    Cancelled,
}

impl Outcome {
    /// The exchange, unless cancelled.
    pub fn done(self) -> Option<Exchange> {
        match self {
            Outcome::Done(e) => Some(e),
            Outcome::Cancelled => None,
        }
    }
}

/// A finished request: the final response plus one metric set per hop.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The final hop's response (k6's `Response`), boxed: it is moved
    /// through several futures' states on its way to the script, a
    /// pointer rather than ~800 bytes each time.
    pub response: Box<Response>,
    /// One entry per hop, in order (every redirect is its own request).
    pub hops: Vec<RequestMetrics>,
    /// The redirect limit stopped the chain at a 3xx (k6 logs a warning
    /// `Stopped after N redirects and returned the redirection`).
    pub redirect_limit_reached: bool,
}

/// A VU's HTTP client. It owns its connections and cookie jar; it is
/// `Send + Sync` but meant to be driven from one current-thread runtime.
#[derive(Debug)]
pub struct Client {
    opts: ClientOptions,
    transport: Transport,
    jar: CookieJar,
    expected: Mutex<Option<Arc<ExpectedStatuses>>>,
    /// The last request's URL, as given and parsed: a load test repeats
    /// its URLs, and parsing one costs a twentieth of a whole request's
    /// instructions (bench/instructions.py).
    last_url: Mutex<Option<(String, Url)>>,
}

impl Client {
    /// A client with k6's default expected statuses (200–399).
    pub fn new(opts: ClientOptions) -> Self {
        let reuse = !opts.no_connection_reuse;
        let per_host = opts.batch_per_host.max(opts.batch).max(1);
        Client {
            transport: Transport::new(reuse, per_host, opts.hosts.clone(), opts.tls.clone()),
            jar: CookieJar::new(),
            expected: Mutex::new(Some(Arc::new(ExpectedStatuses::default()))),
            last_url: Mutex::new(None),
            opts,
        }
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// The VU's cookie jar.
    pub fn jar(&self) -> &CookieJar {
        &self.jar
    }

    /// `http.setResponseCallback(http.expectedStatuses(...))`; `None`
    /// (`setResponseCallback(null)`) stops `http_req_failed` and the
    /// `expected_response` tag. A request uses the predicate set when it
    /// starts, as in k6, even if it is changed while the request runs.
    pub fn set_expected_statuses(&self, expected: Option<ExpectedStatuses>) {
        *self.expected.lock().unwrap_or_else(|e| e.into_inner()) = expected.map(Arc::new);
    }

    /// Closes every idle connection; the next requests dial anew.
    pub fn reset_connections(&self) {
        self.transport.reset();
    }

    /// Connections kept for reuse (idle HTTP/1.1 ones and HTTP/2 ones).
    pub fn idle_connections(&self) -> usize {
        self.transport.idle_count()
    }

    /// Call before each iteration: clears the jar unless `noCookiesReset`,
    /// drops connections if `noVUConnectionReuse`.
    pub fn begin_iteration(&self) {
        if !self.opts.no_cookies_reset {
            self.jar.clear();
        }
        if self.opts.no_vu_connection_reuse {
            self.reset_connections();
        }
    }

    /// Runs one request (following redirects) unless `cancel` fires first,
    /// in which case the request is dropped at once.
    pub async fn request(&self, req: Request, cancel: &CancellationToken) -> Outcome {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Outcome::Cancelled,
            ex = self.execute(req) => Outcome::Done(ex),
        }
    }

    /// Runs one request without a cancellation signal.
    pub async fn execute(&self, req: Request) -> Exchange {
        let deadline = tokio::time::Instant::now() + req.params.timeout;
        let expected = self
            .expected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let url = self.parsed_url(&req.url);
        let prepared = match prepare_parsed(&req, url, self.opts.user_agent.as_deref()) {
            Ok(p) => p,
            Err(f) => return self.unprepared(&req, f, expected.as_deref()),
        };
        let run = Run {
            req: &req,
            deadline,
            expected: expected.as_deref(),
            response_type: req.params.response_type.unwrap_or(
                if self.opts.discard_response_bodies {
                    ResponseType::None
                } else {
                    ResponseType::Text
                },
            ),
            jar: match &req.params.jar {
                JarChoice::Vu => Some(&self.jar),
                JarChoice::None => None,
                JarChoice::Custom(jar) => Some(&**jar),
            },
            max_redirects: req.params.redirects.unwrap_or(self.opts.max_redirects),
        };
        self.follow(&run, Chain::new(&req, prepared)).await
    }

    /// `text` as [`request_url`] parses it, from `last_url` when it is
    /// the same text; only a URL that parsed is kept.
    fn parsed_url(&self, text: &str) -> Result<Url, Failure> {
        let mut last = self.last_url.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((given, url)) = &*last {
            if given == text {
                return Ok(url.clone());
            }
        }
        let url = request_url(text)?;
        *last = Some((text.to_owned(), url.clone()));
        Ok(url)
    }

    /// The exchange of a request that failed before it was sent: what
    /// fails before the request (a URL Go cannot parse, a bad param)
    /// emits no metrics and has no URL, as in k6.
    fn unprepared(
        &self,
        req: &Request,
        f: Failure,
        expected: Option<&ExpectedStatuses>,
    ) -> Exchange {
        let info = RequestInfo {
            method: req.method.clone(),
            url: req.url.clone(),
            ..RequestInfo::default()
        };
        let hop = Hop {
            req,
            method: &req.method,
            shown_url: &req.url,
            info,
            expected,
        };
        let before = f.kind.before_request();
        let (mut response, metrics) = self.failed(hop, f, Timings::default(), &HopTrace::start());
        if before {
            response.url.clear();
        }
        Exchange {
            response,
            hops: if before { Vec::new() } else { vec![metrics] },
            redirect_limit_reached: false,
        }
    }

    /// Sends the hops of `chain` (answering challenges, following
    /// redirects) until one is final.
    async fn follow(&self, run: &Run<'_>, mut chain: Chain) -> Exchange {
        let mut hops = Vec::new();
        let mut followed = 0;
        loop {
            let answered = match self.hop(run, &chain).await {
                HopEnd::Failed(response, metrics) => {
                    hops.push(metrics);
                    return Exchange {
                        response,
                        hops,
                        redirect_limit_reached: false,
                    };
                }
                HopEnd::Answered(answered) => answered,
            };
            let Answered {
                response,
                metrics,
                next,
                challenge,
            } = answered;
            hops.push(metrics);
            if let Some(value) = challenge {
                chain.answer_with(value);
                continue;
            }
            let Some(next) = next else {
                return Exchange {
                    response,
                    hops,
                    redirect_limit_reached: false,
                };
            };
            if followed >= run.max_redirects {
                return Exchange {
                    response,
                    hops,
                    redirect_limit_reached: run.max_redirects > 0,
                };
            }
            followed += 1;
            chain.redirect(response.status, next);
        }
    }

    /// Sends the next hop of `chain` and reads its response.
    async fn hop(&self, run: &Run<'_>, chain: &Chain) -> HopEnd {
        let keep_body = run.response_type != ResponseType::None;
        let (hop_req, info) = chain.hop(run.req, run.jar, keep_body);
        let mut trace = HopTrace::start();
        let res = tokio::time::timeout_at(run.deadline, self.transport.send(&mut trace, hop_req))
            .await
            .unwrap_or_else(|_| Err(Failure::timeout()));
        let timings = trace.timings(Instant::now());
        let hop = Hop {
            req: run.req,
            method: chain.method.as_str(),
            shown_url: &chain.shown,
            info,
            expected: run.expected,
        };
        let raw = match res {
            Ok(raw) => raw,
            Err(f) => {
                let (response, metrics) = self.failed(hop, f, timings, &trace);
                return HopEnd::Failed(response, metrics);
            }
        };
        let set_cookies = raw.headers.get_all(http::header::SET_COOKIE);
        if let Some(j) = run.jar {
            j.store_set_cookies(
                &chain.url,
                set_cookies.iter().filter_map(|v| v.to_str().ok()),
            );
        }
        let next = redirect_target(&raw, &chain.url);
        let challenge = chain.challenge(&raw);
        let (response, mut metrics) = self.completed(hop, raw, timings, &trace, run.response_type);
        if chain.challenged.is_some() && chain.rounds == 0 && response.status == 401 {
            // As in k6, the 401 that opens the exchange is expected.
            if metrics.tags.expected_response.is_some() {
                metrics.tags.expected_response = Some(true);
                metrics.failed = Some(false);
            }
        }
        HopEnd::Answered(Answered {
            response,
            metrics,
            next,
            challenge,
        })
    }

    fn failed(
        &self,
        hop: Hop<'_>,
        f: Failure,
        timings: Timings,
        trace: &HopTrace,
    ) -> (Box<Response>, RequestMetrics) {
        let code = f.kind.code();
        let tags = self.tags(&hop, 0, "", Some(f.message.clone()), Some(code));
        let metrics = RequestMetrics::of_hop(tags, timings, trace.sent(), trace.received());
        let response = Box::new(Response {
            remote_ip: trace.remote.map(|a| ip_text(a.ip())).unwrap_or_default(),
            remote_port: trace.remote.map(|a| a.port()).unwrap_or(0),
            url: hop.shown_url.to_string(),
            timings,
            error: f.message.clone(),
            error_code: code,
            failure: Some(f),
            request: hop.info,
            ..Response::default()
        });
        (response, metrics)
    }

    fn completed(
        &self,
        hop: Hop<'_>,
        raw: RawResponse,
        timings: Timings,
        trace: &HopTrace,
        response_type: ResponseType,
    ) -> (Box<Response>, RequestMetrics) {
        let status = raw.status.as_u16();
        let code = if status >= 400 {
            1000 + u32::from(status)
        } else {
            0
        };
        let proto = proto_text(raw.version);
        let mut tags = self.tags(&hop, status, proto, None, (code != 0).then_some(code));
        let tls = raw.tls.as_deref().cloned().unwrap_or_default();
        if raw.tls.is_some() {
            tags.tls_version = Some(tls.version.to_string());
        }
        let metrics = RequestMetrics::of_hop(tags, timings, trace.sent(), trace.received());
        let cookies = response_cookies(
            raw.headers
                .get_all(http::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        let body = match response_type {
            ResponseType::None => ResponseBody::None,
            ResponseType::Text => {
                ResponseBody::Text(String::from_utf8_lossy(&raw.body).into_owned())
            }
            ResponseType::Binary => ResponseBody::Binary(raw.body.to_vec()),
        };
        let response = Box::new(Response {
            remote_ip: trace.remote.map(|a| ip_text(a.ip())).unwrap_or_default(),
            remote_port: trace.remote.map(|a| a.port()).unwrap_or(0),
            url: hop.shown_url.to_string(),
            status,
            status_text: status_text(raw.status),
            proto: proto.to_string(),
            headers: Headers(raw.headers),
            cookies,
            body,
            timings,
            tls_version: tls.version.to_string(),
            tls_cipher_suite: tls.cipher_suite.to_string(),
            ocsp: tls.ocsp,
            error: String::new(),
            error_code: code,
            failure: None,
            request: hop.info,
        });
        (response, metrics)
    }

    fn tags(
        &self,
        hop: &Hop<'_>,
        status: u16,
        proto: &'static str,
        error: Option<String>,
        code: Option<u32>,
    ) -> Tags {
        let url = hop
            .req
            .params
            .tags
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| tag_url(hop.shown_url));
        Tags {
            method: hop.method.to_string(),
            url,
            status,
            proto,
            error,
            error_code: code,
            expected_response: hop.expected.map(|e| e.contains(status)),
            tls_version: None,
            user: hop
                .req
                .params
                .tags
                .iter()
                .filter(|(k, _)| k != "name")
                .cloned()
                .collect(),
        }
    }
}

/// `ip` as `to_string()` writes it; an IPv4 address digit by digit,
/// without `fmt` (every response has one: `fmt` cost ~1,600
/// instructions, a hundredth of a request).
fn ip_text(ip: std::net::IpAddr) -> String {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut out = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

/// What the response builders need to know about the hop.
struct Hop<'a> {
    req: &'a Request,
    method: &'a str,
    shown_url: &'a str,
    info: RequestInfo,
    /// The expected statuses when the request started.
    expected: Option<&'a ExpectedStatuses>,
}

/// What every hop of one request shares.
struct Run<'a> {
    req: &'a Request,
    /// When the whole request (redirects included) times out.
    deadline: tokio::time::Instant,
    /// The expected statuses when the request started.
    expected: Option<&'a ExpectedStatuses>,
    response_type: ResponseType,
    /// The jar the request's cookies come from and go to, if any.
    jar: Option<&'a CookieJar>,
    /// The most redirects the request follows.
    max_redirects: u32,
}

/// How a hop ended.
enum HopEnd {
    /// No response: the failure as a response, and the hop's metrics.
    Failed(Box<Response>, RequestMetrics),
    /// A response.
    Answered(Answered),
}

/// A hop's response, with what the chain does next.
struct Answered {
    response: Box<Response>,
    metrics: RequestMetrics,
    /// Where the response redirects to.
    next: Option<Url>,
    /// The answer to a 401 the chain's scheme can answer.
    challenge: Option<http::HeaderValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addresses_read_as_to_string_writes_them() {
        for ip in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "10.0.100.9",
            "192.168.1.20",
            "::1",
            "2001:db8::8a2e:370:7334",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }

    #[test]
    fn a_repeated_url_is_parsed_once_and_a_new_one_anew() {
        let client = Client::new(ClientOptions::default());
        let first = client.parsed_url("http://127.0.0.1:1/a?b=c").unwrap();
        assert_eq!(first.as_str(), "http://127.0.0.1:1/a?b=c");
        assert_eq!(
            client.parsed_url("http://127.0.0.1:1/a?b=c").unwrap(),
            first
        );
        let other = client.parsed_url("https://example.com").unwrap();
        assert_eq!(other.as_str(), "https://example.com/");
        // A URL that fails is not kept, and fails again.
        assert!(client.parsed_url("ftp://x/").is_err());
        assert!(client.parsed_url("ftp://x/").is_err());
        assert_eq!(client.parsed_url("https://example.com").unwrap(), other);
    }
}
