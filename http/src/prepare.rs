//! Turning a script's [`Request`] into what goes on the wire: URL checks,
//! default headers, basic auth, form and multipart encoding, compression,
//! cookies and the `request` echo of the response.

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::compression::{compress_all, header_value, Compression};
use crate::cookies::CookieJar;
use crate::failure::{ErrorKind, Failure};
use crate::multipart;
use crate::request::{Auth, Body, Request, RequestCookie};
use crate::response::{canonical_header_name, RequestInfo, SentCookie};
use crate::target::request_url;

/// A request after validation, before cookies (which differ per hop).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Method.
    pub method: http::Method,
    /// URL without userinfo.
    pub url: Url,
    /// Headers (user's, `User-Agent`, `Content-Type`, `Authorization`).
    pub headers: HeaderMap,
    /// Body, as sent (compressed if asked).
    pub body: Bytes,
    /// Body before compression, for the response's `request.body`.
    pub echo: Bytes,
    /// The scheme and credentials answering a server's 401
    /// (`auth: 'digest'` or `'ntlm'`).
    pub challenged: Option<Challenged>,
}

/// An authentication scheme that answers a server's 401, with the URL's
/// user and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenged {
    /// Digest (see [`crate::digest`]): one answer.
    Digest((String, String)),
    /// NTLM (see [`crate::ntlm`]): a negotiate, then an authenticate.
    Ntlm((String, String)),
}

/// Validates and expands a request; a failure here is a request error.
pub fn prepare(req: &Request, user_agent: Option<&str>) -> Result<Prepared, Failure> {
    prepare_parsed(req, request_url(&req.url), user_agent)
}

/// [`prepare`] with `req.url` already parsed by
/// [`request_url`] (a client keeps the last
/// one). A bad method is reported before a bad URL, as in [`prepare`].
pub fn prepare_parsed(
    req: &Request,
    url: Result<Url, Failure>,
    user_agent: Option<&str>,
) -> Result<Prepared, Failure> {
    let method = method(req)?;
    let mut url = url?;
    let mut headers = headers(req, user_agent)?;
    let challenged = authenticate(req, &mut url, &mut headers);
    let (body, echo) = body(req, &mut headers)?;
    Ok(Prepared {
        method,
        url,
        headers,
        body,
        echo,
        challenged,
    })
}

/// The request's method, as Go accepts it.
fn method(req: &Request) -> Result<http::Method, Failure> {
    http::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes()).map_err(|_| {
        Failure::new(
            ErrorKind::Generic,
            format!("net/http: invalid method {:?}", req.method),
        )
    })
}

/// The script's headers, and `User-Agent` unless it gave one.
fn headers(req: &Request, user_agent: Option<&str>) -> Result<HeaderMap, Failure> {
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
    Ok(headers)
}

/// Takes the user and password out of `url`: sends basic auth (the
/// request's, else the URL's) in `headers`, and returns the scheme that
/// answers a 401 (`auth: 'digest'` or `'ntlm'`) with the URL's
/// credentials.
fn authenticate(req: &Request, url: &mut Url, headers: &mut HeaderMap) -> Option<Challenged> {
    let from_url = (!url.username().is_empty()).then(|| Auth::Basic {
        user: decode(url.username()),
        password: decode(url.password().unwrap_or("")),
    });
    let credentials = || (decode(url.username()), decode(url.password().unwrap_or("")));
    // With `auth: 'digest'` k6 still sends the URL's user as basic auth
    // first; the digest answer replaces it once the server challenges.
    // With `auth: 'ntlm'` the first request goes without credentials.
    let challenged = match req.params.auth {
        Some(Auth::Digest) => Some(Challenged::Digest(credentials())),
        Some(Auth::Ntlm) => Some(Challenged::Ntlm(credentials())),
        _ => None,
    };
    let auth = match &req.params.auth {
        Some(Auth::Basic { user, password }) => Some(Auth::Basic {
            user: user.clone(),
            password: password.clone(),
        }),
        Some(Auth::Ntlm) => None,
        _ => from_url,
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if let Some(Auth::Basic { user, password }) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        if let Ok(v) = HeaderValue::from_str(&format!("Basic {token}")) {
            headers.insert(http::header::AUTHORIZATION, v);
        }
    }
    challenged
}

/// The body as sent (compressed if asked) and as given, setting the
/// `Content-Type` of forms and `Content-Encoding` in `headers`.
fn body(req: &Request, headers: &mut HeaderMap) -> Result<(Bytes, Bytes), Failure> {
    let compression = match &req.params.compression {
        Some(text) => Compression::parse_list(text)
            .map_err(|message| Failure::new(ErrorKind::InvalidParams, message))?,
        None => Vec::new(),
    };
    let echo = encode_body(&req.body, headers);
    if compression.is_empty() || req.body == Body::None {
        return Ok((echo.clone(), echo));
    }
    let compressed = compress_all(&compression, &echo)
        .map_err(|e| Failure::new(ErrorKind::InvalidParams, e.to_string()))?;
    if !headers.contains_key(http::header::CONTENT_ENCODING) {
        if let Ok(v) = HeaderValue::from_str(&header_value(&compression)) {
            headers.insert(http::header::CONTENT_ENCODING, v);
        }
    }
    Ok((Bytes::from(compressed), echo))
}

/// The body's bytes before compression: forms and multipart encoded,
/// with their default `Content-Type`.
fn encode_body(body: &Body, headers: &mut HeaderMap) -> Bytes {
    match body {
        Body::None => Bytes::new(),
        Body::Text(s) => Bytes::from(s.clone()),
        Body::Bytes(b) => Bytes::from(b.clone()),
        Body::Form(pairs) => {
            default_content_type(headers, "application/x-www-form-urlencoded".into());
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                ser.append_pair(k, v);
            }
            Bytes::from(ser.finish())
        }
        Body::Multipart(parts) => {
            let boundary = multipart::boundary();
            default_content_type(headers, multipart::content_type(&boundary));
            Bytes::from(multipart::encode(parts, &boundary))
        }
    }
}

/// Sets `Content-Type` unless the script gave one.
fn default_content_type(headers: &mut HeaderMap, value: String) {
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(http::header::CONTENT_TYPE, v);
        }
    }
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
    // k6 sends the request's own cookies first, then the jar's (less
    // those a `replace: true` cookie of the same name overrides).
    let mut sent: Vec<SentCookie> = own
        .iter()
        .map(|c| SentCookie {
            name: c.name.clone(),
            value: c.value.clone(),
            replace: c.replace,
        })
        .collect();
    let replaced = |name: &str| own.iter().any(|c| c.replace && c.name == name);
    for (name, value) in jar.map(|j| j.cookies_for(url)).unwrap_or_default() {
        if !replaced(&name) {
            sent.push(SentCookie {
                name,
                value,
                replace: false,
            });
        }
    }
    let mut by_name: BTreeMap<String, Vec<SentCookie>> = BTreeMap::new();
    let mut line: Vec<String> = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    // The script's own `Cookie` header counts among the cookies sent, as
    // k6 shows them in `request.cookies`.
    for pair in line.iter().flat_map(|value| value.split(';')) {
        if let Some((name, value)) = pair.trim().split_once('=') {
            by_name
                .entry(name.to_string())
                .or_default()
                .push(SentCookie {
                    name: name.to_string(),
                    value: value.to_string(),
                    replace: false,
                });
        }
    }
    if sent.is_empty() {
        return by_name;
    }
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

/// The URL as k6 shows it in `response.url`: the script's own string for
/// the first hop (Go keeps `http://host` without a `/`, and the user and
/// password as given), the resolved URL for redirect hops.
pub fn display_url(original: Option<&str>, url: &Url) -> String {
    match original {
        Some(s) => s.to_string(),
        None => url.to_string(),
    }
}

/// The URL as k6 shows it in the `url` and `name` tags: `shown` with
/// its user and password masked (`http://****:****@host/`).
pub fn tag_url(shown: &str) -> String {
    let Some((scheme, rest)) = shown.split_once("://") else {
        return shown.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return shown.to_string();
    };
    let masked = if rest[..at].contains(':') {
        "****:****"
    } else {
        "****"
    };
    format!("{scheme}://{masked}{}", &rest[at..])
}
