//! k6's log line format (logrus "text" in a non-TTY):
//! `time="2026-11-22T10:00:41Z" level=error msg="..." key=value ...`.
//!
//! Keys after `msg` are sorted, an empty message omits `msg=`, and a value
//! is quoted (Go `%q` escaping) whenever it contains anything but ASCII
//! letters, digits and `- . _ / @ ^ +`. Only formatting lives here; the
//! caller decides where the line goes.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// A log level, printed as k6 prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `warning`
    Warning,
    /// `error`
    Error,
}

impl Level {
    /// The word k6 prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One log line: `level=... msg=... fields...`, formatted at a given time.
pub fn format_line(at: SystemTime, level: Level, msg: &str, fields: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(64 + msg.len());
    out.push_str("time=\"");
    out.push_str(&rfc3339_seconds(at));
    out.push_str("\" level=");
    out.push_str(level.as_str());
    if !msg.is_empty() {
        out.push_str(" msg=");
        push_value(&mut out, msg);
    }
    let mut sorted: Vec<&(&str, &str)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in sorted {
        out.push(' ');
        out.push_str(key);
        out.push('=');
        push_value(&mut out, value);
    }
    out
}

fn needs_quoting(value: &str) -> bool {
    value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._/@^+".contains(&b))
}

fn push_value(out: &mut String, value: &str) {
    if needs_quoting(value) {
        push_go_quoted(out, value);
    } else {
        out.push_str(value);
    }
}

/// Go's `%q` for a string: `\"`, `\\`, `\n`, `\t`, `\r`, other control
/// characters as `\x..`/`\u....`; printable Unicode as is.
pub fn push_go_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `time.RFC3339Nano` in UTC: nanoseconds without trailing zeros,
/// and no fraction at all when they are zero.
pub fn rfc3339_nano(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, day) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    let nanos = d.subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn rfc3339_seconds(at: SystemTime) -> String {
    let secs = match at.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn formats_like_k6() {
        // 2026-11-22T10:00:41Z
        let t = at(1_795_341_641);
        assert_eq!(rfc3339_seconds(t), "2026-11-22T10:00:41Z");
        assert_eq!(
            format_line(t, Level::Info, "teardown", &[]),
            r#"time="2026-11-22T10:00:41Z" level=info msg=teardown"#
        );
        assert_eq!(
            format_line(
                t,
                Level::Error,
                "using `iterations` and `stages`\n\t- x",
                &[("scenario", "s 1"), ("executor", "constant-vus")]
            ),
            "time=\"2026-11-22T10:00:41Z\" level=error msg=\"using `iterations` and `stages`\\n\\t- x\" executor=constant-vus scenario=\"s 1\""
        );
        assert_eq!(
            format_line(t, Level::Info, "", &[("source", "console")]),
            r#"time="2026-11-22T10:00:41Z" level=info source=console"#
        );
    }

    #[test]
    fn quotes_only_when_needed() {
        let mut s = String::new();
        push_value(&mut s, "a-b.c_d/e@f^g+h");
        assert_eq!(s, "a-b.c_d/e@f^g+h");
        s.clear();
        push_value(&mut s, "say \"hi\"");
        assert_eq!(s, r#""say \"hi\"""#);
        s.clear();
        push_value(&mut s, "");
        assert_eq!(s, r#""""#);
    }

    #[test]
    fn dates_before_and_after_leap_days() {
        assert_eq!(rfc3339_seconds(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_seconds(at(951_782_400)), "2000-02-29T00:00:00Z");
    }
}
