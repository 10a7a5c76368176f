//! Close codes and the texts k6 (gorilla/websocket) gives a closed
//! connection's errors.

/// 1000: the normal end.
pub(crate) const NORMAL: u16 = 1000;
/// 1001: going away (k6/ws's `close()` without a code).
pub(crate) const GOING_AWAY: u16 = 1001;
/// 1006: the connection ended without a close frame.
pub(crate) const ABNORMAL: u16 = 1006;

/// Written on a socket whose close frame was already sent.
pub(crate) const CLOSE_SENT: &str = "websocket: close sent";

/// The text of a close with `code` and `reason`, as gorilla/websocket's
/// `CloseError` words it (`websocket: close 1006 (abnormal closure):
/// unexpected EOF`).
pub(crate) fn error_text(code: u16, reason: &str) -> String {
    let name = match code {
        1000 => " (normal)",
        1001 => " (going away)",
        1002 => " (protocol error)",
        1003 => " (unsupported data)",
        1005 => " (no status)",
        1006 => " (abnormal closure)",
        1007 => " (invalid payload data)",
        1008 => " (policy violation)",
        1009 => " (message too big)",
        1010 => " (mandatory extension missing)",
        1011 => " (internal server error)",
        1015 => " (TLS handshake error)",
        _ => "",
    };
    let mut text = format!("websocket: close {code}{name}");
    if !reason.is_empty() {
        text.push_str(": ");
        text.push_str(reason);
    }
    text
}

/// Whether a close with `code` is one k6 reports as an error: any but
/// the normal end and going away.
pub(crate) fn is_unexpected(code: u16) -> bool {
    code != NORMAL && code != GOING_AWAY
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct End {
    /// The close code (the peer's, or 1006 without a close frame, or
    /// 1001 when the connection failed some other way).
    pub code: u16,
    /// The close frame's reason (or gorilla's text for a close without
    /// a frame).
    pub reason: String,
    /// What k6 reports to the `error` handlers, if anything.
    pub error: Option<String>,
}

impl End {
    /// The peer closed with `code` and `reason`.
    pub(crate) fn by_peer(code: u16, reason: &str) -> End {
        End {
            code,
            reason: reason.to_owned(),
            error: is_unexpected(code).then(|| error_text(code, reason)),
        }
    }

    /// The connection ended without a close frame.
    pub(crate) fn eof() -> End {
        End::by_peer(ABNORMAL, "unexpected EOF")
    }

    /// The connection failed otherwise (a reset): k6 reports no error.
    pub(crate) fn broken() -> End {
        End {
            code: GOING_AWAY,
            reason: String::new(),
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_gorillas() {
        assert_eq!(
            error_text(1006, "unexpected EOF"),
            "websocket: close 1006 (abnormal closure): unexpected EOF"
        );
        assert_eq!(error_text(4001, "bye"), "websocket: close 4001: bye");
        assert_eq!(error_text(1000, ""), "websocket: close 1000 (normal)");
        assert_eq!(End::by_peer(1000, "x").error, None);
        assert_eq!(End::by_peer(1001, "").error, None);
        assert!(End::eof().error.is_some());
    }
}
