//! The per-VU cookie jar (RFC 6265 matching via `cookie_store`) and the
//! parsing of `Set-Cookie` into k6's `response.cookies`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use cookie_store::{Cookie, CookieStore, RawCookie};
use url::Url;

use crate::response::ResponseCookie;

/// A cookie jar: a VU's own (filled from every response, honouring
/// domain, path and expiry, sent with every request that uses it,
/// cleared before each iteration unless `noCookiesReset`) or one made by
/// `new http.CookieJar()`.
///
/// Cookies are sent as Go's jar sends them: longer paths first, then in
/// creation order (a cookie set again keeps its place).
#[derive(Debug, Default)]
pub struct CookieJar {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    store: CookieStore,
    /// When each cookie (domain, path, name) was first stored.
    created: HashMap<Key, u64>,
    next: u64,
}

type Key = (String, String, String);

fn key_of(cookie: &Cookie<'_>) -> Key {
    (
        cookie.domain.as_cow().unwrap_or_default().into_owned(),
        String::from(&*cookie.path),
        cookie.name().to_string(),
    )
}

impl Inner {
    /// Stores one cookie, then notes the creation of new ones and
    /// forgets those gone (expired or deleted by it).
    fn store(&mut self, url: &Url, cookie: RawCookie<'static>) {
        self.store
            .store_response_cookies(std::iter::once(cookie), url);
        // A set: a jar of thousands of cookies must not cost n² per cookie.
        // (One cookie is stored at a time, so at most one key is new and
        // the set's order does not decide creation order.)
        let live: std::collections::HashSet<Key> =
            self.store.iter_unexpired().map(key_of).collect();
        self.created.retain(|key, _| live.contains(key));
        for key in live {
            if !self.created.contains_key(&key) {
                self.created.insert(key, self.next);
                self.next += 1;
            }
        }
    }

    /// The cookies for `url`, in the order they are sent.
    fn matching(&self, url: &Url) -> Vec<(Key, String)> {
        // Go's jar sends a secure cookie over https only (cookie_store
        // also trusts loopback addresses).
        let secure = url.scheme() == "https";
        let mut found: Vec<(Key, String)> = self
            .store
            .matches(url)
            .into_iter()
            .filter(|cookie| secure || cookie.secure() != Some(true))
            .map(|cookie| (key_of(cookie), cookie.value().to_string()))
            .collect();
        found.sort_by_key(|(key, _)| {
            let created = self.created.get(key).copied().unwrap_or(u64::MAX);
            (std::cmp::Reverse(key.1.len()), created)
        });
        found
    }
}

/// The attributes `jar.set(url, name, value, options)` may give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieOptions {
    /// `domain`.
    pub domain: Option<String>,
    /// `path`.
    pub path: Option<String>,
    /// `expires` as [`rfc1123_expires`] rewrites it.
    pub expires: Option<String>,
    /// `max_age` in seconds: 0 sets none, a negative value deletes.
    pub max_age: i64,
    /// `secure`.
    pub secure: bool,
    /// `http_only`.
    pub http_only: bool,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.store.clear();
        inner.created.clear();
    }

    /// `jar.clear(url)` as k6 does it: every cookie sent to `url` is
    /// deleted as [`CookieJar::delete`] deletes it (so only those of the
    /// URL's host and default path go).
    pub fn clear_url(&self, url: &Url) {
        for (name, _) in self.cookies_for(url) {
            self.delete(url, &name);
        }
    }

    /// `jar.delete(url, name)` as k6 does it: an expired cookie `name`
    /// is set for `url`, which removes the one of the URL's host and
    /// default path (`/a` for `/a/b`).
    pub fn delete(&self, url: &Url, name: &str) {
        self.store_set_cookies(url, std::iter::once(format!("{name}=; Max-Age=0").as_str()));
    }

    /// Stores the cookies of `Set-Cookie` header values received from `url`.
    pub fn store_set_cookies<'a>(&self, url: &Url, values: impl Iterator<Item = &'a str>) {
        let parsed: Vec<RawCookie<'static>> = values
            .filter_map(|v| RawCookie::parse(v.to_string()).ok())
            .collect();
        if parsed.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for cookie in parsed {
            inner.store(url, cookie);
        }
    }

    /// Sets one cookie for `url` as if the server had sent it.
    pub fn set(&self, url: &Url, name: &str, value: &str) {
        self.set_with(url, name, value, &CookieOptions::default());
    }

    /// Sets one cookie for `url` with `options` as its attributes.
    pub fn set_with(&self, url: &Url, name: &str, value: &str, options: &CookieOptions) {
        let mut line = format!("{name}={value}");
        if let Some(domain) = &options.domain {
            line.push_str(&format!("; Domain={domain}"));
        }
        if let Some(path) = &options.path {
            line.push_str(&format!("; Path={path}"));
        }
        if let Some(expires) = &options.expires {
            line.push_str(&format!("; Expires={expires}"));
        }
        if options.max_age != 0 {
            line.push_str(&format!("; Max-Age={}", options.max_age.max(0)));
        }
        if options.secure {
            line.push_str("; Secure");
        }
        if options.http_only {
            line.push_str("; HttpOnly");
        }
        self.store_set_cookies(url, std::iter::once(line.as_str()));
    }

    /// The `(name, value)` pairs to send to `url`, in the order sent.
    pub fn cookies_for(&self, url: &Url) -> Vec<(String, String)> {
        self.lock()
            .matching(url)
            .into_iter()
            .map(|((_, _, name), value)| (name, value))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the store half-written
        // in a way that matters more than losing the VU, so recover.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `text`, a date in Go's `time.RFC1123` layout (`Mon, 02 Jan 2006
/// 15:04:05 MST`, any zone abbreviation, read as UTC as Go does for one
/// it does not know), rewritten for an `Expires` attribute; `None` if it
/// is not one.
pub fn rfc1123_expires(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split(' ').collect();
    let [day, date, month, year, time, zone] = parts.as_slice() else {
        return None;
    };
    let known_day = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"].contains(day);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let time_ok = time.split(':').count() == 3 && time.split(':').all(|t| digits(t, 2));
    let zone_ok = zone.len() >= 3 && zone.bytes().all(|b| b.is_ascii_uppercase());
    if !(known_day && digits(date, 2) && digits(year, 4) && time_ok && zone_ok) {
        return None;
    }
    let line = format!("{day} {date} {month} {year} {time} GMT");
    RawCookie::parse(format!("x=y; Expires={line}"))
        .ok()
        .and_then(|cookie| cookie.expires_datetime())
        .map(|_| line)
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
