//! What a VU asks for: method, URL, headers, body and k6's request params.

use std::sync::Arc;
use std::time::Duration;

use crate::cookies::CookieJar;

/// A request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Body {
    /// No body.
    #[default]
    None,
    /// A string, sent as is.
    Text(String),
    /// Binary data (an `ArrayBuffer` in JS).
    Bytes(Vec<u8>),
    /// A JS object: `application/x-www-form-urlencoded`, pairs in the given
    /// order (`{a:'b',c:'d'}` → `a=b&c=d`).
    Form(Vec<(String, String)>),
    /// A JS object holding an `http.file()`: `multipart/form-data`, parts
    /// in the given order.
    Multipart(Vec<FormPart>),
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPart {
    /// The field name.
    pub name: String,
    /// Its value.
    pub value: FormValue,
}

/// The value of a [`FormPart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    /// A plain field, already turned into text.
    Text(String),
    /// An `http.file(data, filename, contentType)`.
    File {
        /// The file's bytes.
        data: Vec<u8>,
        /// `filename` of the part's `Content-Disposition`.
        filename: String,
        /// The part's `Content-Type`.
        content_type: String,
    },
}

/// `responseType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// The body as a string (the default).
    Text,
    /// The body as bytes (an `ArrayBuffer`).
    Binary,
    /// The body is read (and counted) but not kept: `body` is `null`.
    None,
}

/// `auth`: basic (from the URL's userinfo or explicit), digest or NTLM
/// (with the URL's userinfo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `auth: 'digest'`: answer the server's 401 digest challenge with
    /// the URL's user and password (see [`crate::digest`]).
    Digest,
    /// `auth: 'ntlm'`: NTLM with the URL's user and password (see
    /// [`crate::ntlm`]).
    Ntlm,
    /// `Authorization: Basic base64(user:password)`.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
}

/// Which cookie jar a request uses (k6's `jar` param).
#[derive(Debug, Clone, Default)]
pub enum JarChoice {
    /// The VU's own jar (the default).
    #[default]
    Vu,
    /// No jar at all (`jar: null`).
    None,
    /// A jar made by `new http.CookieJar()`.
    Custom(Arc<CookieJar>),
}

impl PartialEq for JarChoice {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (JarChoice::Vu, JarChoice::Vu) | (JarChoice::None, JarChoice::None) => true,
            (JarChoice::Custom(a), JarChoice::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for JarChoice {}

pub use crate::compression::Compression;

/// One cookie given in a request's `cookies` param.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// `replace: true` drops the jar's cookies of the same name for this request.
    pub replace: bool,
}

/// k6's request params.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// `timeout` for the whole request including redirects (default 60s).
    pub timeout: Duration,
    /// `redirects`: overrides the client's `maxRedirects`.
    pub redirects: Option<u32>,
    /// `responseType`; `None` means the client's default.
    pub response_type: Option<ResponseType>,
    /// `auth`.
    pub auth: Option<Auth>,
    /// `cookies` for this request only.
    pub cookies: Vec<RequestCookie>,
    /// The cookie jar used (k6's `jar`).
    pub jar: JarChoice,
    /// `tags`; `name` overrides both the `name` and `url` tags.
    pub tags: Vec<(String, String)>,
    /// `compression` as the script gave it (`"gzip, br"`); checked when
    /// the request is prepared, as k6 does (see [`Compression`]).
    pub compression: Option<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            timeout: crate::options::DEFAULT_TIMEOUT,
            redirects: None,
            response_type: None,
            auth: None,
            cookies: Vec::new(),
            jar: JarChoice::Vu,
            tags: Vec::new(),
            compression: None,
        }
    }
}

/// One HTTP request of a VU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method (`GET`, `POST`, ...), upper case.
    pub method: String,
    /// URL as the script gave it.
    pub url: String,
    /// Headers, multi-valued, in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
    /// Params.
    pub params: Params,
}

impl Request {
    /// A request without headers, body or params.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Request {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: Body::None,
            params: Params::default(),
        }
    }
    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new("GET", url)
    }
    /// Adds a header value.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Sets the body.
    pub fn with_body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
    /// Sets the params.
    pub fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }
    /// Sets the timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.params.timeout = timeout;
        self
    }
    /// Sets `redirects`.
    pub fn with_redirects(mut self, n: u32) -> Self {
        self.params.redirects = Some(n);
        self
    }
    /// Sets `responseType`.
    pub fn with_response_type(mut self, t: ResponseType) -> Self {
        self.params.response_type = Some(t);
        self
    }
    /// Adds a tag.
    pub fn with_tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.tags.push((name.into(), value.into()));
        self
    }
}
