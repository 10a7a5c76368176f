//! k6's error codes and messages for failed requests.
//!
//! k6 (v1.1.0, `lib/netext/httpext/error_codes.go`) maps every transport
//! failure to a numeric `error_code` and a short `error` string. The ranges
//! are 1000-1099 general, 1100-1199 DNS, 1200-1299 TCP, 1300-1399 TLS,
//! 1400-1599 HTTP 4xx/5xx (1000 + status, without an `error` string).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

/// The kind of a transport failure; [`ErrorKind::code`] is k6's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 1000: anything not listed below (e.g. the peer closed mid-response).
    Generic,
    /// 1010: a network error that is not TCP's (Go's for a TLS alert the
    /// server sent: `remote error: tls: ...`).
    NetNonTcp,
    /// 1020: the URL could not be parsed; fails before the request
    /// (no metrics).
    InvalidUrl,
    /// 0: a param k6 rejects before the request (an unknown
    /// `compression`): no metrics, `error_code` 0.
    InvalidParams,
    /// 1050: the request did not finish within its `timeout`.
    Timeout,
    /// 1100: a DNS failure other than "no such host".
    Dns,
    /// 1101: the host name has no address.
    DnsNoSuchHost,
    /// 1200: a TCP error after the connection was established.
    Tcp,
    /// 1201: writing to a connection the peer had closed.
    TcpBrokenPipe,
    /// 1210: the TCP dial failed for another reason.
    TcpDial,
    /// 1212: the TCP dial was refused.
    TcpDialRefused,
    /// 1220: the peer reset the connection.
    TcpResetByPeer,
    /// 1300: a TLS error other than the two below.
    Tls,
    /// 1310: the server certificate's issuer is unknown.
    TlsUnknownAuthority,
    /// 1311: the server certificate does not match the host name.
    TlsHostname,
}

impl ErrorKind {
    /// Whether the request failed before it was made: k6 emits no
    /// metrics for it and logs the message alone.
    pub fn before_request(self) -> bool {
        matches!(self, ErrorKind::InvalidUrl | ErrorKind::InvalidParams)
    }

    /// k6's `error_code` for this kind.
    pub fn code(self) -> u32 {
        match self {
            ErrorKind::Generic => 1000,
            ErrorKind::NetNonTcp => 1010,
            ErrorKind::InvalidUrl => 1020,
            ErrorKind::InvalidParams => 0,
            ErrorKind::Timeout => 1050,
            ErrorKind::Dns => 1100,
            ErrorKind::DnsNoSuchHost => 1101,
            ErrorKind::Tcp => 1200,
            ErrorKind::TcpBrokenPipe => 1201,
            ErrorKind::TcpDial => 1210,
            ErrorKind::TcpDialRefused => 1212,
            ErrorKind::TcpResetByPeer => 1220,
            ErrorKind::Tls => 1300,
            ErrorKind::TlsUnknownAuthority => 1310,
            ErrorKind::TlsHostname => 1311,
        }
    }
}

/// A failed request: the kind plus k6's `error` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What happened.
    pub kind: ErrorKind,
    /// The `error` field and tag, worded like k6 (`dial: connection refused`).
    pub message: String,
    /// Go's own wording where k6 logs and throws it instead of
    /// [`Failure::message`] (`dial tcp 127.0.0.1:1: connect: connection
    /// refused`); `None`: the message serves.
    pub detail: Option<String>,
    /// The URL as Go's error shows it, where it differs from the
    /// response's `url` (`not%20a%20url`).
    pub url: Option<String>,
}

impl Failure {
    /// A failure with an explicit message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            detail: None,
            url: None,
        }
    }

    /// `request timeout`, 1050.
    pub fn timeout() -> Self {
        Failure::new(ErrorKind::Timeout, "request timeout")
    }

    /// `lookup: no such host`, 1101.
    pub fn no_such_host() -> Self {
        Failure::new(ErrorKind::DnsNoSuchHost, "lookup: no such host")
    }

    /// A failed DNS lookup of `host`. getaddrinfo's "not known"/"no
    /// address" answers are k6's "no such host", which Go words `lookup
    /// HOST on NAMESERVER:53: no such host` ([`Failure::go_text`]);
    /// anything else is the generic DNS code.
    pub fn from_dns(host: &str, err: &io::Error) -> Self {
        let text = err.to_string();
        let lower = text.to_ascii_lowercase();
        if lower.contains("not known") || lower.contains("no address") || lower.contains("nodename")
        {
            let mut failure = Failure::no_such_host();
            failure.detail = Some(format!("lookup {host} on {}: no such host", nameserver()));
            failure
        } else {
            Failure::new(ErrorKind::Dns, format!("lookup: {text}"))
        }
    }

    /// A failed TCP connect to `addr`.
    pub fn from_dial(addr: SocketAddr, err: &io::Error) -> Self {
        let reason = os_reason(err);
        let mut failure = match err.kind() {
            io::ErrorKind::ConnectionRefused => {
                Failure::new(ErrorKind::TcpDialRefused, "dial: connection refused")
            }
            _ => Failure::new(ErrorKind::TcpDial, format!("dial: {reason}")),
        };
        failure.detail = Some(format!("dial tcp {addr}: connect: {reason}"));
        failure
    }

    /// What k6 logs and throws for this failure after `Get "url": `.
    pub fn go_text(&self) -> &str {
        self.detail.as_deref().unwrap_or(&self.message)
    }

    /// An I/O error on an established connection; `op` is `read` or `write`.
    pub fn from_io(op: &str, err: &io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::ConnectionReset => Failure::new(
                ErrorKind::TcpResetByPeer,
                format!("{op}: connection reset by peer"),
            ),
            io::ErrorKind::BrokenPipe => {
                Failure::new(ErrorKind::TcpBrokenPipe, format!("{op}: broken pipe"))
            }
            _ => Failure::new(ErrorKind::Tcp, format!("{op}: {err}")),
        }
    }

    /// Classifies any error by walking its `source()` chain: the first
    /// TLS or I/O error decides.
    pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Self {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
        let mut last = String::new();
        while let Some(e) = cur {
            if let Some(tls) = e.downcast_ref::<tokio_rustls::rustls::Error>() {
                return crate::tls::failure_of(tls);
            }
            if let Some(io) = e.downcast_ref::<io::Error>() {
                if io.kind() == io::ErrorKind::TimedOut {
                    return Failure::timeout();
                }
                return crate::tls::handshake_failure(io);
            }
            last = e.to_string();
            cur = e.source();
        }
        Failure::new(ErrorKind::Generic, last)
    }
}

/// An OS error as Go words it: the C library's text, lower-cased, without
/// Rust's ` (os error N)`.
fn os_reason(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The name server Go's resolver asks first, as its errors name it: the
/// first `nameserver` of `/etc/resolv.conf` with port 53, else Go's
/// default, `127.0.0.1:53`.
fn nameserver() -> &'static str {
    static FIRST: OnceLock<String> = OnceLock::new();
    FIRST.get_or_init(|| {
        let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        first_nameserver(&conf).unwrap_or_else(|| "127.0.0.1:53".to_owned())
    })
}

/// The first `nameserver` line's address of a resolv.conf, as
/// `ADDR:53` (`[ADDR]:53` for IPv6).
fn first_nameserver(conf: &str) -> Option<String> {
    conf.lines()
        .filter_map(|line| line.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53).to_string())
        .next()
}

#[cfg(test)]
mod tests {
    use super::first_nameserver;

    #[test]
    fn the_first_nameserver_is_named_as_go_names_it() {
        let conf = "# comment\nsearch example.com\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n";
        assert_eq!(first_nameserver(conf).as_deref(), Some("10.0.0.2:53"));
        assert_eq!(
            first_nameserver("nameserver ::1\n").as_deref(),
            Some("[::1]:53")
        );
        assert_eq!(first_nameserver("nameserver bogus\n"), None);
        assert_eq!(first_nameserver(""), None);
    }
}
