//! `new redis.Client(url)`: go-redis's `ParseURL` (`redis://`,
//! `rediss://`, `unix://`; `[user:pass@]host[:port][/db]` and its query
//! options), with Go's `net/url` errors for malformed URLs.

use std::time::Duration;

use super::options::{Node, TlsConfig};

/// `url` as go-redis reads it.
pub(super) fn parse(url: &str) -> Result<Node, String> {
    let parsed = Parsed::new(url).map_err(|error| format!("parse {url:?}: {error}"))?;
    match parsed.scheme.as_str() {
        "redis" | "rediss" => tcp(&parsed),
        "unix" => {
            if parsed.path.trim().is_empty() {
                return Err("redis: empty unix socket path".into());
            }
            let mut node = Node {
                addr: parsed.path.clone(),
                ..Node::default()
            };
            (node.username, node.password) = (parsed.user.clone(), parsed.password.clone());
            query(&parsed, &mut node)?;
            Ok(node)
        }
        other => Err(format!("redis: invalid URL scheme: {other}")),
    }
}

fn tcp(parsed: &Parsed) -> Result<Node, String> {
    let (host, port) = match split_host_port(&parsed.host) {
        Ok((host, port)) => (host, port),
        Err(_) => (parsed.host.clone(), String::new()),
    };
    let host = if host.is_empty() {
        "localhost".to_owned()
    } else {
        host
    };
    let port = if port.is_empty() {
        "6379".to_owned()
    } else {
        port
    };
    let mut node = Node {
        addr: join_host_port(&host, &port),
        username: parsed.user.clone(),
        password: parsed.password.clone(),
        ..Node::default()
    };
    let segments: Vec<&str> = parsed.path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] => {}
        [db] => {
            node.db = db
                .parse()
                .map_err(|_| format!("redis: invalid database number: {db:?}"))?;
        }
        _ => return Err(format!("redis: invalid URL path: {}", parsed.path)),
    }
    if parsed.scheme == "rediss" {
        node.tls = Some(TlsConfig {
            server_name: Some(host),
            ..TlsConfig::default()
        });
    }
    query(parsed, &mut node)?;
    Ok(node)
}

/// go-redis's query options.
fn query(parsed: &Parsed, node: &mut Node) -> Result<(), String> {
    let mut q = Query {
        values: parsed.query.clone(),
        error: None,
    };
    let db = q.string("db");
    if !db.is_empty() {
        node.db = atoi(&db).map_err(|e| format!("redis: invalid database number: {e}"))?;
    }
    // The protocol, pool_fifo and max_idle_conns options are read (and
    // checked) but, as in k6, not used.
    q.int("protocol");
    node.client_name = q.string("client_name");
    node.max_retries = q.int("max_retries");
    node.min_retry_backoff = q.duration("min_retry_backoff");
    node.max_retry_backoff = q.duration("max_retry_backoff");
    node.dial_timeout = q.duration("dial_timeout");
    node.read_timeout = q.duration("read_timeout");
    node.write_timeout = q.duration("write_timeout");
    q.bool("pool_fifo");
    node.pool_size = q.int("pool_size");
    node.pool_timeout = q.duration("pool_timeout");
    node.min_idle_conns = q.int("min_idle_conns");
    q.int("max_idle_conns");
    node.conn_max_idle_time = if q.has("conn_max_idle_time") {
        q.duration("conn_max_idle_time")
    } else {
        q.duration("idle_timeout")
    };
    node.conn_max_lifetime = if q.has("conn_max_lifetime") {
        q.duration("conn_max_lifetime")
    } else {
        q.duration("max_conn_age")
    };
    if let Some(error) = q.error {
        return Err(error);
    }
    if !q.values.is_empty() {
        let mut left: Vec<&str> = q.values.iter().map(|(k, _)| k.as_str()).collect();
        left.sort_unstable();
        left.dedup();
        return Err(format!("redis: unexpected option: {}", left.join(", ")));
    }
    Ok(())
}

/// go-redis's `queryOptions`: each read takes the option out, so that
/// what is left is unknown.
struct Query {
    values: Vec<(String, String)>,
    error: Option<String>,
}

impl Query {
    fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(k, _)| k == name)
    }

    /// The last value of `name`, "" if none.
    fn string(&mut self, name: &str) -> String {
        let last = self
            .values
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone());
        self.values.retain(|(k, _)| k != name);
        last.unwrap_or_default()
    }

    fn fail(&mut self, error: String) {
        self.error.get_or_insert(error);
    }

    fn int(&mut self, name: &str) -> i64 {
        let text = self.string(name);
        if text.is_empty() {
            return 0;
        }
        match atoi(&text) {
            Ok(n) => n,
            Err(e) => {
                self.fail(format!("redis: invalid {name} number: {e}"));
                0
            }
        }
    }

    /// Nanoseconds: a plain number is seconds (≤ 0: -1, no timeout),
    /// anything else a Go duration.
    fn duration(&mut self, name: &str) -> i64 {
        let text = self.string(name);
        if text.is_empty() {
            return 0;
        }
        if let Ok(n) = atoi(&text) {
            return if n <= 0 {
                -1
            } else {
                n.saturating_mul(1_000_000_000)
            };
        }
        match parse_go_duration(&text) {
            Ok(ns) => ns,
            Err(e) => {
                self.fail(format!("redis: invalid {name} duration: {e}"));
                0
            }
        }
    }

    fn bool(&mut self, name: &str) -> bool {
        match self.string(name).as_str() {
            "true" | "1" => true,
            "false" | "0" | "" => false,
            other => {
                self.fail(format!(
                    "redis: invalid {name} boolean: expected true/false/1/0 or an empty string, got {other:?}"
                ));
                false
            }
        }
    }
}

/// Go's `strconv.Atoi`, with its error text.
fn atoi(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {text:?}: invalid syntax"));
    }
    text.trim_start_matches('+')
        .parse()
        .map_err(|_| format!("strconv.Atoi: parsing {text:?}: value out of range"))
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub(super) fn parse_go_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "" => return Err(format!("time: missing unit in duration {text:?}")),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => return Err(format!("time: unknown unit {other:?} in duration {text:?}")),
        };
        total += value * scale;
    }
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    let ns = total as i64;
    Ok(if negative { -ns } else { ns })
}

/// Go's `net.SplitHostPort`, with its errors.
pub(super) fn split_host_port(hostport: &str) -> Result<(String, String), String> {
    let fail = |why: &str| format!("address {hostport}: {why}");
    let colon = hostport
        .rfind(':')
        .ok_or_else(|| fail("missing port in address"))?;
    let host = if let Some(rest) = hostport.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| fail("missing ']' in address"))?
            + 1;
        if end + 1 == hostport.len() {
            return Err(fail("missing port in address"));
        }
        if end + 1 != colon {
            return Err(if hostport.as_bytes()[end + 1] == b':' {
                fail("too many colons in address")
            } else {
                fail("missing port in address")
            });
        }
        &hostport[1..end]
    } else {
        let host = &hostport[..colon];
        if host.contains(':') {
            return Err(fail("too many colons in address"));
        }
        host
    };
    let port = &hostport[colon + 1..];
    if host.contains(['[', ']']) || port.contains(['[', ']']) {
        return Err(fail("unexpected '[' in address"));
    }
    Ok((host.to_owned(), port.to_owned()))
}

/// Go's `net.JoinHostPort`.
pub(super) fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The parts of a URL, as Go's `url.Parse` finds them.
struct Parsed {
    scheme: String,
    user: String,
    password: String,
    /// With its port (`host:port`, `[::1]:6379`).
    host: String,
    /// Unescaped.
    path: String,
    /// `url.Query()`: pairs that fail to parse are left out.
    query: Vec<(String, String)>,
}

impl Parsed {
    fn new(raw: &str) -> Result<Parsed, String> {
        if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err("net/url: invalid control character in URL".into());
        }
        let (raw, _fragment) = raw.split_once('#').unwrap_or((raw, ""));
        let (scheme, rest) = scheme(raw)?;
        let mut parsed = Parsed {
            scheme: scheme.to_ascii_lowercase(),
            user: String::new(),
            password: String::new(),
            host: String::new(),
            path: String::new(),
            query: Vec::new(),
        };
        let (rest, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
        parsed.query = parse_query(raw_query);
        if !rest.starts_with('/') && !parsed.scheme.is_empty() {
            // Opaque (`localhost:6379`): no host, no path.
            return Ok(parsed);
        }
        if parsed.scheme.is_empty() && !rest.starts_with('/') {
            let segment = rest.split('/').next().unwrap_or("");
            if segment.contains(':') {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }
        let mut path = rest;
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            path = &after[end..];
            let host = match authority.rfind('@') {
                Some(at) => {
                    let userinfo = &authority[..at];
                    if !userinfo.bytes().all(valid_userinfo_byte) {
                        return Err("net/url: invalid userinfo".into());
                    }
                    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                    parsed.user = unescape(user, false)?;
                    parsed.password = unescape(password, false)?;
                    &authority[at + 1..]
                }
                None => authority,
            };
            parsed.host = parse_host(host)?;
        }
        parsed.path = unescape(path, false)?;
        Ok(parsed)
    }
}

/// The scheme and what follows its colon (no scheme: `("", raw)`).
fn scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme".into()),
            ':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn valid_userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b)
}

/// Go's `parseHost`: a bracketed IPv6 literal or a name, each with an
/// optional `:digits` port.
fn parse_host(host: &str) -> Result<String, String> {
    let port_at = if host.starts_with('[') {
        let close = host.rfind(']').ok_or("missing ']' in host")?;
        close + 1
    } else {
        host.rfind(':').unwrap_or(host.len())
    };
    let port = &host[port_at..];
    let valid_port = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()));
    if !valid_port {
        return Err(format!("invalid port {port:?} after host"));
    }
    if let Some(bad) = host[..port_at]
        .chars()
        .find(|c| c.is_ascii() && (*c == ' ' || *c == '<' || *c == '>' || *c == '"'))
    {
        return Err(format!(
            "invalid character {:?} in host name",
            bad.to_string()
        ));
    }
    unescape(host, false)
}

/// `%XX` decoding (`+` is a space in queries); Go's error for a bad escape.
fn unescape(text: &str, query: bool) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(h, 16).ok()
                });
                match hex {
                    Some(byte) => out.push(byte),
                    None => {
                        let end = (i + 3).min(bytes.len());
                        let bad = String::from_utf8_lossy(&bytes[i..end]);
                        return Err(format!("invalid URL escape {bad:?}"));
                    }
                }
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `url.ParseQuery` without its error: pairs with a `;` or a bad
/// escape are left out.
fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty() && !pair.contains(';'))
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((unescape(key, true).ok()?, unescape(value, true).ok()?))
        })
        .collect()
}

/// Milliseconds as Go's `time.Duration(ms) * time.Millisecond`, in
/// nanoseconds (wrapping as Go does).
pub(super) fn millis(ms: i64) -> i64 {
    ms.wrapping_mul(1_000_000)
}

/// Nanoseconds to a duration (negative: none).
pub(super) fn nanos(ns: i64) -> Option<Duration> {
    u64::try_from(ns).ok().map(Duration::from_nanos)
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_go_duration, split_host_port};

    #[test]
    fn urls_parse_as_go_redis_parses_them() {
        let node =
            parse("redis://u:p%40ss@example.test:7000/3?client_name=c&read_timeout=2s").unwrap();
        assert_eq!(node.addr, "example.test:7000");
        assert_eq!(
            (node.username.as_str(), node.password.as_str()),
            ("u", "p@ss")
        );
        assert_eq!(node.db, 3);
        assert_eq!(node.client_name, "c");
        assert_eq!(node.read_timeout, 2_000_000_000);
        assert!(node.tls.is_none());
        let node = parse("rediss://[::1]:6380").unwrap();
        assert_eq!(node.addr, "[::1]:6380");
        assert_eq!(node.tls.unwrap().server_name.as_deref(), Some("::1"));
        assert_eq!(parse("redis://").unwrap().addr, "localhost:6379");
        // Without a port Go keeps the brackets, and adds more.
        assert_eq!(parse("redis://[::1]").unwrap().addr, "[[::1]]:6379");
    }

    #[test]
    fn bad_urls_fail_with_gos_words() {
        let cases = [
            ("http://x", "redis: invalid URL scheme: http"),
            ("localhost:6379", "redis: invalid URL scheme: localhost"),
            ("", "redis: invalid URL scheme: "),
            ("redis://h/abc", "redis: invalid database number: \"abc\""),
            ("redis://h/1/2", "redis: invalid URL path: /1/2"),
            (
                "redis://[::1",
                "parse \"redis://[::1\": missing ']' in host",
            ),
            (
                "redis://localhost:abc",
                "parse \"redis://localhost:abc\": invalid port \":abc\" after host",
            ),
            (
                "redis://h?foo=1&bar=2",
                "redis: unexpected option: bar, foo",
            ),
            (
                "redis://h?pool_size=x",
                "redis: invalid pool_size number: strconv.Atoi: parsing \"x\": invalid syntax",
            ),
            (
                "redis://h?read_timeout=xx",
                "redis: invalid read_timeout duration: time: invalid duration \"xx\"",
            ),
            ("unix://", "redis: empty unix socket path"),
            ("://x", "parse \"://x\": missing protocol scheme"),
        ];
        for (url, error) in cases {
            assert_eq!(parse(url).unwrap_err(), error, "{url}");
        }
    }

    #[test]
    fn durations_and_addresses_follow_go() {
        assert_eq!(parse_go_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_go_duration("1h2m"), Ok(3_720_000_000_000));
        assert!(parse_go_duration("1x").is_err());
        assert_eq!(split_host_port("h:1"), Ok(("h".to_owned(), "1".to_owned())));
        assert_eq!(
            split_host_port("::1:6379").unwrap_err(),
            "address ::1:6379: too many colons in address"
        );
        assert_eq!(
            split_host_port("/tmp/x.sock").unwrap_err(),
            "address /tmp/x.sock: missing port in address"
        );
    }
}
