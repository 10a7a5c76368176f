//! What a request carries from hop to hop: the method, URL, headers and
//! body the next hop sends, as redirects and authentication challenges
//! change them.

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue};
use url::Url;

use crate::cookies::CookieJar;
use crate::digest::{self, Challenge};
use crate::ntlm;
use crate::prepare::{add_cookies, display_url, request_info, Challenged, Prepared};
use crate::request::Request;
use crate::response::RequestInfo;
use crate::transport::{HopRequest, RawResponse};

/// The next hop of a request.
pub(super) struct Chain {
    pub(super) method: http::Method,
    pub(super) url: Url,
    headers: HeaderMap,
    body: Bytes,
    /// The body before compression, for the `request` echo.
    echo: Bytes,
    /// The scheme answering a server's 401, if any.
    pub(super) challenged: Option<Challenged>,
    /// The URL as responses and tags show it.
    pub(super) shown: String,
    /// The answer to the server's last 401 (digest, NTLM).
    answered: Option<HeaderValue>,
    /// How many 401s of this URL were answered.
    pub(super) rounds: u32,
}

impl Chain {
    /// The first hop of `req`, as `prepared`.
    pub(super) fn new(req: &Request, prepared: Prepared) -> Self {
        // k6 shows a digest request's URL without its user and password.
        let shown = if matches!(prepared.challenged, Some(Challenged::Digest(_))) {
            display_url(None, &prepared.url)
        } else {
            display_url(Some(&req.url), &prepared.url)
        };
        Chain {
            method: prepared.method,
            url: prepared.url,
            headers: prepared.headers,
            body: prepared.body,
            echo: prepared.echo,
            challenged: prepared.challenged,
            shown,
            answered: None,
            rounds: 0,
        }
    }

    /// The hop to send, with the cookies of `jar` and of `req`, and its
    /// `request` echo.
    pub(super) fn hop(
        &self,
        req: &Request,
        jar: Option<&CookieJar>,
        keep_body: bool,
    ) -> (HopRequest, RequestInfo) {
        let mut headers = self.headers.clone();
        let sent = add_cookies(&mut headers, &self.url, jar, &req.params.cookies);
        let info = if self.challenged.is_some() {
            // k6's echo of a digest or NTLM request shows no
            // `Authorization`.
            let mut shown_headers = headers.clone();
            shown_headers.remove(http::header::AUTHORIZATION);
            request_info(&self.method, &self.shown, &shown_headers, &self.echo, sent)
        } else {
            request_info(&self.method, &self.shown, &headers, &self.echo, sent)
        };
        if let Some(value) = &self.answered {
            headers.insert(http::header::AUTHORIZATION, value.clone());
        }
        let hop = HopRequest {
            method: self.method.clone(),
            url: self.url.clone(),
            headers,
            body: self.body.clone(),
            keep_body,
        };
        (hop, info)
    }

    /// The `Authorization` answering `raw` if it is a 401 the chain's
    /// scheme can answer.
    pub(super) fn challenge(&self, raw: &RawResponse) -> Option<HeaderValue> {
        match &self.challenged {
            Some(scheme) if raw.status == 401 => {
                answer(scheme, self.rounds, raw, &self.method, &self.url)
            }
            _ => None,
        }
    }

    /// Sends `answer` to the server's 401 with the next hop.
    pub(super) fn answer_with(&mut self, answer: HeaderValue) {
        self.answered = Some(answer);
        self.rounds += 1;
    }

    /// Follows a redirect to `next` from a response of `status`.
    pub(super) fn redirect(&mut self, status: u16, next: Url) {
        if matches!(status, 301..=303) && self.method != http::Method::HEAD {
            self.method = http::Method::GET;
            self.body = Bytes::new();
            self.echo = Bytes::new();
            self.headers.remove(http::header::CONTENT_TYPE);
            self.headers.remove(http::header::CONTENT_LENGTH);
        }
        if next.host_str() != self.url.host_str() {
            self.headers.remove(http::header::AUTHORIZATION);
        }
        // An answer is for one URI: a new URL may be challenged anew.
        self.answered = None;
        self.rounds = 0;
        self.shown = display_url(None, &next);
        self.url = next;
    }
}

/// The `Authorization` answering a 401 in round `rounds` of `scheme`'s
/// exchange, if the server's `WWW-Authenticate` allows one.
fn answer(
    scheme: &Challenged,
    rounds: u32,
    raw: &RawResponse,
    method: &http::Method,
    url: &Url,
) -> Option<HeaderValue> {
    let offers = || {
        raw.headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
    };
    let answer = match (scheme, rounds) {
        (Challenged::Digest((user, password)), 0) => {
            let challenge = offers().find_map(Challenge::parse)?;
            let uri = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            };
            challenge.answer(user, password, method.as_str(), &uri, &digest::cnonce())
        }
        (Challenged::Ntlm((user, _)), 0) if ntlm::offered(offers()) => ntlm::negotiate(user),
        (Challenged::Ntlm((user, password)), 1) => {
            let challenge = offers().find_map(ntlm::Challenge::parse)?;
            challenge.answer(user, password, ntlm::now(), ntlm::client_challenge())
        }
        _ => return None,
    };
    HeaderValue::from_str(&answer).ok()
}

/// Where a redirect response sends the request, resolved against `base`.
pub(super) fn redirect_target(raw: &RawResponse, base: &Url) -> Option<Url> {
    if !matches!(raw.status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let loc = raw.headers.get(http::header::LOCATION)?.to_str().ok()?;
    base.join(loc).ok()
}
