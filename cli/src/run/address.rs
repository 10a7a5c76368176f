//! `-a/--address`: where `run` serves k6's REST API, and binding it the
//! way k6 does (§4, §5.2).
//!
//! - not given: `localhost:6565`; when that is busy k6 only warns
//!   (`level=warning msg="Error from API server" error="listen tcp
//!   127.0.0.1:6565: bind: address already in use"`) and runs without it;
//! - given (flag or `K6R_ADDRESS`): busy or invalid is fatal, exit 106 with
//!   the same line at `error` level;
//! - `-a ""`: no server.
//!
//! k6 v1.1.0 ignores `K6_ADDRESS` (observed), so k6r does too.
//!
//! Port 0 asks the system for a free port; k6r then logs the address it
//! got (`level=info msg="REST API listening" address=127.0.0.1:PORT`), for
//! scripts and tests that cannot know it in advance.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use k6r_core::exit::ExitCode;
use k6r_core::logfmt::{format_line, Level};

use crate::{log, Failure};

/// k6's default API address.
pub const DEFAULT: &str = "localhost:6565";

/// k6's exit code when the API server cannot start.
pub const EXIT_CANNOT_START: ExitCode = ExitCode::CannotStartRestApi;

/// Where to serve the API, as the flags say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// `-a ""`.
    Disabled,
    /// No `-a`: [`DEFAULT`], and failing to bind it is only a warning.
    Default,
    /// `-a host:port`: failing to bind it ends the run (106).
    Explicit(String),
}

impl Address {
    /// From the flag's value (`None`: not given).
    pub fn from_flag(flag: Option<&str>) -> Address {
        match flag {
            None => Address::Default,
            Some("") => Address::Disabled,
            Some(text) => Address::Explicit(text.to_owned()),
        }
    }

    /// Binds the address (non-blocking, for Tokio): `Ok(None)` when
    /// disabled or when the default address is busy (after the warning).
    pub fn bind(&self, err: &mut dyn Write) -> Result<Option<TcpListener>, Failure> {
        let text = match self {
            Address::Disabled => return Ok(None),
            Address::Default => DEFAULT,
            Address::Explicit(text) => text.as_str(),
        };
        match listen(text) {
            Ok((listener, local)) => {
                if port_is_zero(text) {
                    let line = format_line(
                        std::time::SystemTime::now(),
                        Level::Info,
                        "REST API listening",
                        &[("address", &local.to_string())],
                    );
                    let _ = writeln!(err, "{line}");
                }
                Ok(Some(listener))
            }
            Err(error) => {
                let fields = [("error".to_owned(), error)];
                match self {
                    Address::Default => {
                        log::warning(err, "Error from API server", &fields);
                        Ok(None)
                    }
                    _ => {
                        let mut failure = Failure::new(EXIT_CANNOT_START, "Error from API server");
                        failure.fields.extend(fields);
                        Err(failure)
                    }
                }
            }
        }
    }
}

fn port_is_zero(text: &str) -> bool {
    split(text).is_ok_and(|(_, port)| port.is_empty() || port == "0")
}

/// `host:port` split as Go's `net.SplitHostPort` does (IPv6 in brackets).
fn split(text: &str) -> Result<(&str, &str), String> {
    let missing = || format!("listen tcp: address {text}: missing port in address");
    let (host, port) = text.rsplit_once(':').ok_or_else(missing)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(missing)?,
        None if host.contains(':') => {
            return Err(format!(
                "listen tcp: address {text}: too many colons in address"
            ))
        }
        None => host,
    };
    Ok((host, port))
}

/// Go's `net.Listen("tcp", text)`, with Go's error text.
pub(super) fn listen(text: &str) -> Result<(TcpListener, SocketAddr), String> {
    let (host, port) = split(text)?;
    let port: u16 = if port.is_empty() {
        0
    } else {
        port.parse()
            .map_err(|_| format!("listen tcp: lookup tcp/{port}: unknown port"))?
    };
    // An empty host is every interface.
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    let mut candidates: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| format!("listen tcp: lookup {host}: no such host"))?
        .collect();
    // Go listens on the first address of the name, IPv4 first.
    candidates.sort_by_key(|a| !a.is_ipv4());
    let Some(&first) = candidates.first() else {
        return Err(format!("listen tcp: lookup {host}: no such host"));
    };
    let bound = TcpListener::bind(first).map_err(|e| bind_error(first, &e))?;
    bound
        .set_nonblocking(true)
        .map_err(|e| format!("listen tcp {first}: {e}"))?;
    let local = bound.local_addr().unwrap_or(first);
    Ok((bound, local))
}

/// Go's words for the usual bind failures.
fn bind_error(addr: SocketAddr, e: &io::Error) -> String {
    let why = match e.kind() {
        io::ErrorKind::AddrInUse => "address already in use".to_owned(),
        io::ErrorKind::AddrNotAvailable => "cannot assign requested address".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    };
    format!("listen tcp {addr}: bind: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values() {
        assert_eq!(Address::from_flag(None), Address::Default);
        assert_eq!(Address::from_flag(Some("")), Address::Disabled);
        assert_eq!(
            Address::from_flag(Some("127.0.0.1:1")),
            Address::Explicit("127.0.0.1:1".into())
        );
    }

    #[test]
    fn splits_like_go() {
        assert_eq!(split("localhost:6565"), Ok(("localhost", "6565")));
        assert_eq!(split(":6565"), Ok(("", "6565")));
        assert_eq!(split("[::1]:80"), Ok(("::1", "80")));
        assert_eq!(
            split("foo"),
            Err("listen tcp: address foo: missing port in address".into())
        );
        assert!(port_is_zero("127.0.0.1:0"));
        assert!(!port_is_zero("127.0.0.1:6565"));
    }

    #[test]
    fn busy_explicit_is_fatal_and_default_style_warns() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let mut err = Vec::new();
        let failure = Address::Explicit(addr.clone()).bind(&mut err).unwrap_err();
        assert_eq!(failure.code, EXIT_CANNOT_START.code());
        assert_eq!(failure.message, "Error from API server");
        assert_eq!(
            failure.fields,
            vec![(
                "error".to_owned(),
                format!("listen tcp {addr}: bind: address already in use")
            )]
        );
        assert!(err.is_empty());
    }

    #[test]
    fn port_zero_logs_the_address() {
        let mut err = Vec::new();
        let listener = Address::Explicit("127.0.0.1:0".into())
            .bind(&mut err)
            .unwrap()
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let line = String::from_utf8(err).unwrap();
        assert!(
            line.contains(&format!("address=\"127.0.0.1:{port}\""))
                || line.contains(&format!("address=127.0.0.1:{port}")),
            "{line}"
        );
    }
}
