//! The per-VU cookie jar (RFC 6265 matching via `cookie_store`) and the
//! parsing of `Set-Cookie` into k6's `response.cookies`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use cookie_store::{CookieStore, RawCookie};
use url::Url;

use crate::response::ResponseCookie;

/// A VU's cookie jar: filled from every response (honouring domain, path
/// and expiry), sent with every request that uses the jar, cleared before
/// each iteration unless `noCookiesReset`.
#[derive(Debug, Default)]
pub struct CookieJar {
    store: Mutex<CookieStore>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Stores the cookies of `Set-Cookie` header values received from `url`.
    pub fn store_set_cookies<'a>(&self, url: &Url, values: impl Iterator<Item = &'a str>) {
        let parsed: Vec<RawCookie<'static>> = values
            .filter_map(|v| RawCookie::parse(v.to_string()).ok())
            .collect();
        if !parsed.is_empty() {
            self.lock().store_response_cookies(parsed.into_iter(), url);
        }
    }

    /// Sets one cookie for `url` as if the server had sent it.
    pub fn set(&self, url: &Url, name: &str, value: &str) {
        self.store_set_cookies(url, std::iter::once(format!("{name}={value}").as_str()));
    }

    /// The `(name, value)` pairs to send to `url`.
    pub fn cookies_for(&self, url: &Url) -> Vec<(String, String)> {
        self.lock()
            .get_request_values(url)
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CookieStore> {
        // A panic while holding the lock cannot leave the store half-written
        // in a way that matters more than losing the VU, so recover.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Parses `Set-Cookie` values into k6's `response.cookies` shape.
pub fn response_cookies<'a>(
    values: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, Vec<ResponseCookie>> {
    let mut out: BTreeMap<String, Vec<ResponseCookie>> = BTreeMap::new();
    for v in values {
        let Ok(c) = RawCookie::parse(v) else { continue };
        let cookie = ResponseCookie {
            name: c.name().to_string(),
            value: c.value().to_string(),
            domain: c.domain().unwrap_or("").to_string(),
            path: c.path().unwrap_or("").to_string(),
            http_only: c.http_only().unwrap_or(false),
            secure: c.secure().unwrap_or(false),
            max_age: c.max_age().map(|d| d.whole_seconds()).unwrap_or(0),
            expires: c
                .expires_datetime()
                .map(|t| t.unix_timestamp() * 1000)
                .unwrap_or(0),
        };
        out.entry(cookie.name.clone()).or_default().push(cookie);
    }
    out
}
