//! What a VU gets back: k6's `Response` object, its timings and its
//! `request` echo.

use std::collections::BTreeMap;

use crate::failure::Failure;

/// k6's `timings`, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// `sending + waiting + receiving`.
    pub duration: f64,
    /// From the start until a connection was ready (includes DNS and dial
    /// for a new connection, the pool check-out for a reused one).
    pub blocked: f64,
    /// DNS lookup (0 for IP literals and reused connections).
    pub looking_up: f64,
    /// TCP connect (0 for a reused connection).
    pub connecting: f64,
    /// TLS handshake (0 without TLS or for a reused connection).
    pub tls_handshaking: f64,
    /// Writing the request.
    pub sending: f64,
    /// From the request written to the first response byte (TTFB).
    pub waiting: f64,
    /// From the first response byte to the end of the body.
    pub receiving: f64,
}

/// The response body, by `responseType`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ResponseBody {
    /// `null`: `responseType: 'none'`, a failed request, or no body read.
    #[default]
    None,
    /// A string (invalid UTF-8 is replaced).
    Text(String),
    /// Bytes (`responseType: 'binary'`).
    Binary(Vec<u8>),
}

/// One entry of `response.cookies` (parsed from `Set-Cookie`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseCookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// `Domain` attribute ("" when absent).
    pub domain: String,
    /// `Path` attribute ("" when absent).
    pub path: String,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `Max-Age` in seconds (0 when absent).
    pub max_age: i64,
    /// `Expires` as milliseconds since the epoch (0 when absent).
    pub expires: i64,
}

/// One entry of `request.cookies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Whether it replaced the jar's cookies of that name.
    pub replace: bool,
}

/// `response.request`: what was actually sent for the final hop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers, canonical names → values (k6 shows arrays here).
    pub headers: BTreeMap<String, Vec<String>>,
    /// Body as text (lossy for binary bodies).
    pub body: String,
    /// Cookies sent, by name.
    pub cookies: BTreeMap<String, Vec<SentCookie>>,
}

/// k6's `Response` object (without the JS helper methods).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    /// Peer IP ("" when no connection was made).
    pub remote_ip: String,
    /// Peer port (0 when no connection was made).
    pub remote_port: u16,
    /// The final URL (after redirects).
    pub url: String,
    /// Status, 0 for a transport failure.
    pub status: u16,
    /// `"200 OK"`, "" for a transport failure.
    pub status_text: String,
    /// `"HTTP/1.1"`, "" for a transport failure.
    pub proto: String,
    /// The headers as received (see [`Headers::canonical`]).
    pub headers: Headers,
    /// Cookies set by this response, by name.
    pub cookies: BTreeMap<String, Vec<ResponseCookie>>,
    /// Body.
    pub body: ResponseBody,
    /// Timings of the final hop.
    pub timings: Timings,
    /// `"tls1.3"`-style version, "" without TLS or when unknown.
    pub tls_version: String,
    /// k6's name of the TLS cipher suite, "" without TLS.
    pub tls_cipher_suite: String,
    /// The stapled OCSP response (status "unknown" without one).
    pub ocsp: crate::ocsp::Ocsp,
    /// `error`: "" when none (also "" for 4xx/5xx).
    pub error: String,
    /// `error_code`: 0 when none, 1000+status for 4xx/5xx.
    pub error_code: u32,
    /// The transport failure, if any (drives `error`/`error_code`).
    pub failure: Option<Failure>,
    /// `request`.
    pub request: RequestInfo,
}

/// A response's headers as received; k6's view of them (canonical
/// names, a name's values joined with `", "`) is made only when asked
/// for: most scripts never read a response's headers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Headers(pub http::HeaderMap);

impl Headers {
    /// Canonical header names → values joined with `", "`, as k6 shows
    /// `response.headers`.
    pub fn canonical(&self) -> BTreeMap<String, String> {
        let mut headers = BTreeMap::<String, String>::new();
        for (name, value) in &self.0 {
            let value = String::from_utf8_lossy(value.as_bytes());
            headers
                .entry(canonical_header_name(name.as_str()))
                .and_modify(|s| {
                    s.push_str(", ");
                    s.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        headers
    }
}

/// Go's `CanonicalMIMEHeaderKey`: `content-type` → `Content-Type`.
pub fn canonical_header_name(name: &str) -> String {
    // Byte by byte (every response's names, on the hot path): an ASCII
    // case change leaves the bytes of any other character as they are.
    let mut out = name.as_bytes().to_vec();
    let mut upper = true;
    for b in &mut out {
        let c = *b;
        *b = if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        };
        upper = c == b'-';
    }
    String::from_utf8(out).expect("ASCII case changes keep UTF-8")
}

/// `"200 OK"` as Go prints `resp.Status`.
pub fn status_text(status: http::StatusCode) -> String {
    match status.canonical_reason() {
        // Without `format!`: this runs for every response.
        Some(reason) => [status.as_str(), " ", reason].concat(),
        None => format!("{} status code {}", status.as_u16(), status.as_u16()),
    }
}

/// `"HTTP/1.1"`.
pub fn proto_text(v: http::Version) -> &'static str {
    match v {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_and_statuses_read_as_go_prints_them() {
        assert_eq!(canonical_header_name("content-type"), "Content-Type");
        assert_eq!(canonical_header_name("X-FOO-bar"), "X-Foo-Bar");
        assert_eq!(canonical_header_name("-a--b"), "-A--B");
        assert_eq!(canonical_header_name("é-ü"), "é-ü");
        assert_eq!(canonical_header_name(""), "");
        assert_eq!(status_text(http::StatusCode::OK), "200 OK");
        assert_eq!(status_text(http::StatusCode::NOT_FOUND), "404 Not Found");
        let unknown = http::StatusCode::from_u16(599).unwrap();
        assert_eq!(status_text(unknown), "599 status code 599");
    }
}
