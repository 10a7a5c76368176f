//! Turning a script's [`Request`] into what goes on the wire: URL checks,
//! default headers, basic auth, form encoding, cookies and the `request`
//! echo of the response.

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::cookies::CookieJar;
use crate::failure::{ErrorKind, Failure};
use crate::request::{Auth, Body, Request, RequestCookie};
use crate::response::{canonical_header_name, RequestInfo, SentCookie};

/// A request after validation, before cookies (which differ per hop).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Method.
    pub method: http::Method,
    /// URL without userinfo.
    pub url: Url,
    /// Headers (user's, `User-Agent`, `Content-Type`, `Authorization`).
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// Validates and expands a request; a failure here is a request error.
pub fn prepare(req: &Request, user_agent: Option<&str>) -> Result<Prepared, Failure> {
    let method =
        http::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes()).map_err(|_| {
            Failure::new(
                ErrorKind::Generic,
                format!("net/http: invalid method {:?}", req.method),
            )
        })?;
    let mut url = Url::parse(&req.url)
        .map_err(|e| Failure::new(ErrorKind::InvalidUrl, format!("parse {:?}: {e}", req.url)))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::new(
            ErrorKind::InvalidUrl,
            format!("unsupported protocol scheme {:?}", url.scheme()),
        ));
    }
    let mut headers = HeaderMap::new();
    for (name, value) in &req.headers {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Failure::new(
                ErrorKind::Generic,
                format!("net/http: invalid header field name {name:?}"),
            )
        })?;
        let v = HeaderValue::from_str(value).map_err(|_| {
            Failure::new(
                ErrorKind::Generic,
                format!("net/http: invalid header field value for {name:?}"),
            )
        })?;
        headers.append(n, v);
    }
    if let Some(ua) = user_agent {
        if !headers.contains_key(http::header::USER_AGENT) {
            if let Ok(v) = HeaderValue::from_str(ua) {
                headers.insert(http::header::USER_AGENT, v);
            }
        }
    }
    let auth = match &req.params.auth {
        Some(a) => Some(a.clone()),
        None if !url.username().is_empty() => Some(Auth::Basic {
            user: decode(url.username()),
            password: decode(url.password().unwrap_or("")),
        }),
        None => None,
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if let Some(Auth::Basic { user, password }) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        if let Ok(v) = HeaderValue::from_str(&format!("Basic {token}")) {
            headers.insert(http::header::AUTHORIZATION, v);
        }
    }
    if req.params.compression.is_some() {
        return Err(Failure::new(
            ErrorKind::Generic,
            "request body compression is not supported by k6r yet",
        ));
    }
    let body = match &req.body {
        Body::None => Bytes::new(),
        Body::Text(s) => Bytes::from(s.clone()),
        Body::Bytes(b) => Bytes::from(b.clone()),
        Body::Form(pairs) => {
            if !headers.contains_key(http::header::CONTENT_TYPE) {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
            }
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                ser.append_pair(k, v);
            }
            Bytes::from(ser.finish())
        }
    };
    Ok(Prepared {
        method,
        url,
        headers,
        body,
    })
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Adds the `Cookie` header for one hop: the jar's cookies for `url` (when
/// used), then the request's own, where `replace` drops the jar's of that
/// name. Returns the cookies sent, for `request.cookies`.
pub fn add_cookies(
    headers: &mut HeaderMap,
    url: &Url,
    jar: Option<&CookieJar>,
    own: &[RequestCookie],
) -> BTreeMap<String, Vec<SentCookie>> {
    let mut sent: Vec<SentCookie> = jar
        .map(|j| j.cookies_for(url))
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| SentCookie {
            name,
            value,
            replace: false,
        })
        .collect();
    for c in own {
        if c.replace {
            sent.retain(|s| s.name != c.name);
        }
        sent.push(SentCookie {
            name: c.name.clone(),
            value: c.value.clone(),
            replace: c.replace,
        });
    }
    let mut by_name: BTreeMap<String, Vec<SentCookie>> = BTreeMap::new();
    if sent.is_empty() {
        return by_name;
    }
    let mut line: Vec<String> = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    line.extend(sent.iter().map(|c| format!("{}={}", c.name, c.value)));
    if let Ok(v) = HeaderValue::from_str(&line.join("; ")) {
        headers.insert(http::header::COOKIE, v);
    }
    for c in sent {
        by_name.entry(c.name.clone()).or_default().push(c);
    }
    by_name
}

/// `response.request` for a hop.
pub fn request_info(
    method: &http::Method,
    url: &str,
    headers: &HeaderMap,
    body: &Bytes,
    cookies: BTreeMap<String, Vec<SentCookie>>,
) -> RequestInfo {
    let mut h: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in headers {
        h.entry(canonical_header_name(k.as_str()))
            .or_default()
            .push(String::from_utf8_lossy(v.as_bytes()).into_owned());
    }
    RequestInfo {
        method: method.to_string(),
        url: url.to_string(),
        headers: h,
        body: String::from_utf8_lossy(body).into_owned(),
        cookies,
    }
}

/// The URL as k6 shows it in tags and `response.url`: the script's own
/// string for the first hop (Go keeps `http://host` without a `/`), the
/// resolved URL for redirect hops, with any password masked.
pub fn display_url(original: Option<&str>, url: &Url) -> String {
    match original {
        Some(s) if !s.contains('@') => s.to_string(),
        Some(s) => match Url::parse(s) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("****"));
                }
                u.to_string()
            }
            Err(_) => s.to_string(),
        },
        None => url.to_string(),
    }
}
