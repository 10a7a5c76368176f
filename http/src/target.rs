//! A request's URL checked as k6 (Go's `net/url` and `net/http`) checks
//! it: what Go cannot parse fails before the request (code 1020, no
//! metrics); what it parses but cannot send (a relative URL, another
//! scheme, no host) fails as a request (code 1000, with metrics).

use url::{ParseError, Url};

use crate::failure::{ErrorKind, Failure};

/// `text` as an absolute `http`/`https` URL, or k6's failure.
pub fn request_url(text: &str) -> Result<Url, Failure> {
    if bad_userinfo(text) {
        return Err(Failure::new(
            ErrorKind::InvalidUrl,
            format!("invalid URL: parse {text:?}: net/url: invalid userinfo"),
        ));
    }
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        Ok(url) => Err(unsendable(
            text,
            format!("unsupported protocol scheme {:?}", url.scheme()),
        )),
        Err(ParseError::RelativeUrlWithoutBase) if scheme_of(text).is_none() => {
            Err(unsendable(text, "unsupported protocol scheme \"\"".into()))
        }
        Err(ParseError::EmptyHost) if text.contains("://") => {
            Err(unsendable(text, "http: no Host in request URL".into()))
        }
        Err(error) => Err(Failure::new(
            ErrorKind::InvalidUrl,
            format!("invalid URL: {}", parse_error(text, error)),
        )),
    }
}

/// `text` as a URL for the cookie jar's methods: `None` for a relative
/// URL (Go parses it; it matches no cookie), Go's `url.Parse` error
/// (`parse "::": missing protocol scheme`) for what Go rejects.
pub fn jar_url(text: &str) -> Result<Option<Url>, String> {
    match Url::parse(text) {
        Ok(url) => Ok(Some(url)),
        Err(ParseError::RelativeUrlWithoutBase) if !text.starts_with(':') => Ok(None),
        Err(error) => Err(parse_error(text, error)),
    }
}

/// Go's `parse "text": reason` for a URL that does not parse.
fn parse_error(text: &str, error: ParseError) -> String {
    let reason = match error {
        ParseError::RelativeUrlWithoutBase => "missing protocol scheme".to_string(),
        ParseError::InvalidIpv6Address if text.contains('[') && !text.contains(']') => {
            "missing ']' in host".to_string()
        }
        ParseError::InvalidPort => match port_of(text) {
            Some(port) => format!("invalid port {port:?} after host"),
            None => "invalid port".to_string(),
        },
        other => other.to_string(),
    };
    format!("parse {text:?}: {reason}")
}

/// A URL Go parses but `net/http` will not send: a request failure whose
/// log line shows the URL as Go prints it.
fn unsendable(text: &str, message: String) -> Failure {
    let mut failure = Failure::new(ErrorKind::Generic, message);
    failure.url = Some(go_display(text));
    failure
}

/// The URL as Go's `URL.String()` shows it: spaces escaped, a scheme
/// with nothing after `//` shown as `scheme:`.
fn go_display(text: &str) -> String {
    if let Some(scheme) = text.strip_suffix("://") {
        return format!("{scheme}:");
    }
    text.replace(' ', "%20")
}

/// Whether the userinfo of `text` has a character Go refuses there (a
/// backslash, which the WHATWG parser rather reads as a `/`).
fn bad_userinfo(text: &str) -> bool {
    let Some((_, rest)) = text.split_once("://") else {
        return false;
    };
    // Go's authority ends at the first `/`, `?` or `#` (a backslash is
    // no delimiter to Go).
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority
        .rfind('@')
        .is_some_and(|at| authority[..at].contains('\\'))
}

/// The scheme of `text`, if it starts with one (`ftp:`).
fn scheme_of(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// The `:port` part of an authority (`:abc` in `http://h:abc/`).
fn port_of(text: &str) -> Option<String> {
    let rest = text.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_end = authority.rfind(']').unwrap_or(0);
    let colon = authority[host_end..].find(':')? + host_end;
    Some(authority[colon..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_fail_as_in_k6() {
        let relative = request_url("not a url").unwrap_err();
        assert_eq!(relative.kind, ErrorKind::Generic);
        assert_eq!(relative.message, "unsupported protocol scheme \"\"");
        assert_eq!(relative.url.as_deref(), Some("not%20a%20url"));
        let ftp = request_url("ftp://x/").unwrap_err();
        assert_eq!(ftp.message, "unsupported protocol scheme \"ftp\"");
        let no_host = request_url("http://").unwrap_err();
        assert_eq!(no_host.message, "http: no Host in request URL");
        assert_eq!(no_host.url.as_deref(), Some("http:"));
        let bracket = request_url("http://[::1").unwrap_err();
        assert_eq!(bracket.kind, ErrorKind::InvalidUrl);
        assert_eq!(
            bracket.message,
            "invalid URL: parse \"http://[::1\": missing ']' in host"
        );
        let port = request_url("http://h:abc/").unwrap_err();
        assert_eq!(
            port.message,
            "invalid URL: parse \"http://h:abc/\": invalid port \":abc\" after host"
        );
        let userinfo = request_url("http://DOM\\user:p@h/").unwrap_err();
        assert_eq!(
            userinfo.message,
            "invalid URL: parse \"http://DOM\\\\user:p@h/\": net/url: invalid userinfo"
        );
        assert_eq!(jar_url("undefined"), Ok(None));
        assert_eq!(
            jar_url("::").unwrap_err(),
            "parse \"::\": missing protocol scheme"
        );
    }
}
