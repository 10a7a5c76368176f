//! A failed TLS handshake as k6 reports it, whichever library failed:
//! the error code of its kind, k6's `error` text, and Go's wording where
//! k6 logs that.

use crate::failure::{ErrorKind, Failure};

/// Why a handshake failed, in the terms k6 reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HandshakeError {
    /// The server's certificate chains to no trusted root (1310).
    UnknownAuthority,
    /// The certificate is not the host's (1311); the library's words.
    Hostname(String),
    /// The certificate has expired or is not valid yet.
    Expired,
    /// The server sent this fatal alert (1010, as Go reports it).
    Alert(u8),
    /// Anything else, in the library's words.
    Other(String),
}

impl HandshakeError {
    /// The failure k6 reports for it.
    pub(crate) fn failure(&self) -> Failure {
        let (kind, message, detail) = match self {
            HandshakeError::UnknownAuthority => (
                ErrorKind::TlsUnknownAuthority,
                "x509: unknown authority".to_string(),
                "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                    .to_string(),
            ),
            HandshakeError::Hostname(why) => (
                ErrorKind::TlsHostname,
                "x509: certificate doesn't match hostname".to_string(),
                format!("tls: failed to verify certificate: x509: {why}"),
            ),
            HandshakeError::Expired => {
                let text = "tls: failed to verify certificate: x509: certificate has expired or is not yet valid".to_string();
                (ErrorKind::Tls, text.clone(), text)
            }
            // Go reports a received alert as a non-TCP network error.
            HandshakeError::Alert(alert) => {
                let text = format!("remote error: tls: {}", alert_text(*alert));
                (ErrorKind::NetNonTcp, text.clone(), text)
            }
            HandshakeError::Other(why) => {
                let text = format!("tls: {why}");
                (ErrorKind::Tls, text.clone(), text)
            }
        };
        let mut failure = Failure::new(kind, message);
        failure.detail = Some(detail);
        failure
    }
}

/// Go's words for a TLS alert (`crypto/tls`'s alert texts), by the
/// alert's number (RFC 8446 §6).
fn alert_text(alert: u8) -> String {
    let text = match alert {
        0 => "close notify",
        10 => "unexpected message",
        20 => "bad record MAC",
        21 => "decryption failed",
        22 => "record overflow",
        30 => "decompression failure",
        40 => "handshake failure",
        42 => "bad certificate",
        43 => "unsupported certificate",
        44 => "revoked certificate",
        45 => "expired certificate",
        46 => "unknown certificate",
        47 => "illegal parameter",
        48 => "unknown certificate authority",
        49 => "access denied",
        50 => "error decoding message",
        51 => "error decrypting message",
        60 => "export restriction",
        70 => "protocol version not supported",
        71 => "insufficient security level",
        80 => "internal error",
        86 => "inappropriate fallback",
        90 => "user canceled",
        100 => "no renegotiation",
        109 => "missing extension",
        110 => "unsupported extension",
        111 => "certificate unobtainable",
        112 => "unrecognized name",
        113 => "bad certificate status response",
        114 => "bad certificate hash value",
        115 => "unknown PSK identity",
        116 => "certificate required",
        120 => "no application protocol",
        121 => "encrypted client hello required",
        other => return format!("alert({other})"),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_read_as_go_words_them() {
        let failure = HandshakeError::Alert(40).failure();
        assert_eq!(failure.kind, ErrorKind::NetNonTcp);
        assert_eq!(failure.message, "remote error: tls: handshake failure");
        assert_eq!(
            HandshakeError::Alert(116).failure().message,
            "remote error: tls: certificate required"
        );
        assert_eq!(
            HandshakeError::Alert(200).failure().message,
            "remote error: tls: alert(200)"
        );
    }
}
