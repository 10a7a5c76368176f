//! k6's duration values: parsing every syntax a script may use and printing
//! them the way k6 (Go's `time.Duration`) does.
//!
//! A [`Duration`] is a signed count of nanoseconds, like Go's. Options keep
//! negative values so that validation can report them with k6's messages;
//! the plan only ever sees validated, non-negative ones.

use std::fmt;

/// A signed span of time with nanosecond resolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(i64);

/// Why a duration value was rejected. The `Display` text is k6's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a duration at all (`"abc"`, `""`, `"1.2.3s"`).
    #[error("time: invalid duration \"{0}\"")]
    Invalid(String),
    /// A number with a unit Go does not know (`"1x"`, `"1M"`).
    #[error("time: unknown unit \"{unit}\" in duration \"{input}\"")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// A number without a unit where one is required (CLI `-d 1500`).
    #[error("time: missing unit in duration \"{0}\"")]
    MissingUnit(String),
    /// The day count of `"<n>d..."` is not an integer.
    #[error("strconv.ParseInt: parsing \"{0}\": invalid syntax")]
    BadDays(String),
    /// The part after the days is negative (`"1d-1h"`).
    #[error("invalid time format '{0}'")]
    NegativeAfterDays(String),
    /// A JSON value of the wrong type (`true`, an object, ...).
    #[error("'{0}' is not a valid duration value")]
    NotADuration(String),
}

impl Duration {
    /// Zero.
    pub const ZERO: Duration = Duration(0);
    /// One nanosecond.
    pub const NANOSECOND: Duration = Duration(1);
    /// One microsecond.
    pub const MICROSECOND: Duration = Duration(1_000);
    /// One millisecond.
    pub const MILLISECOND: Duration = Duration(1_000_000);
    /// One second.
    pub const SECOND: Duration = Duration(1_000_000_000);
    /// One minute.
    pub const MINUTE: Duration = Duration(60 * 1_000_000_000);
    /// One hour.
    pub const HOUR: Duration = Duration(3_600 * 1_000_000_000);

    /// A duration of `n` nanoseconds.
    pub const fn from_nanos(n: i64) -> Self {
        Duration(n)
    }

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Duration(ms.saturating_mul(1_000_000))
    }

    /// A duration of `s` seconds.
    pub const fn from_secs(s: i64) -> Self {
        Duration(s.saturating_mul(1_000_000_000))
    }

    /// Nanoseconds, signed.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whether this is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether this is exactly zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Seconds as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// The std duration, with negative values clamped to zero.
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.0.max(0) as u64)
    }

    /// Sum, saturating at the ends of the range instead of wrapping.
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }

    /// Difference, saturating at the ends of the range.
    pub const fn saturating_sub(self, other: Duration) -> Duration {
        Duration(self.0.saturating_sub(other.0))
    }

    /// Rounds to the nearest multiple of `m` (halves away from zero), as Go's
    /// `Duration.Round` does.
    pub fn round(self, m: Duration) -> Duration {
        if m.0 <= 0 {
            return self;
        }
        let r = self.0 % m.0;
        if self.0 < 0 {
            let r = -r;
            if r + r < m.0 {
                Duration(self.0 + r)
            } else {
                Duration(self.0.saturating_sub(m.0 - r))
            }
        } else if r + r < m.0 {
            Duration(self.0 - r)
        } else {
            Duration(self.0.saturating_add(m.0 - r))
        }
    }

    /// Parses a Go duration string (`"1m30s"`, `"-1.5h"`, `"3µs"`, `"0"`):
    /// the syntax of k6's CLI flags, where a unit is required.
    pub fn parse_go(input: &str) -> Result<Duration, DurationError> {
        parse_go(input)
    }

    /// Parses a duration as k6 reads it from script options, config files and
    /// environment variables: a bare number is milliseconds, otherwise a Go
    /// duration, optionally preceded by a whole number of days (`"1d2h"`).
    pub fn parse_extended(input: &str) -> Result<Duration, DurationError> {
        if let Some(ms) = parse_go_float(input) {
            return Ok(from_millis_f64(ms));
        }
        let Some(d_pos) = input.find('d') else {
            return parse_go(input);
        };
        let mut rest = Duration::ZERO;
        let after = &input[d_pos + 1..];
        if !after.is_empty() {
            rest = parse_go(after)?;
            if rest.is_negative() {
                return Err(DurationError::NegativeAfterDays(after.to_string()));
            }
        }
        let days_text = &input[..d_pos];
        let days: i64 =
            parse_go_int(days_text).ok_or_else(|| DurationError::BadDays(days_text.to_string()))?;
        if days < 0 {
            rest = Duration(-rest.0);
        }
        Ok(Duration(
            days.saturating_mul(24 * Duration::HOUR.0)
                .saturating_add(rest.0),
        ))
    }

    /// Reads a duration from a JSON value of the options: a number is
    /// milliseconds, a string is [`Duration::parse_extended`], `null` is unset.
    pub fn from_json(value: &serde_json::Value) -> Result<Option<Duration>, DurationError> {
        match value {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Number(n) => {
                let ms = n.as_f64().unwrap_or(0.0);
                Ok(Some(from_millis_f64(ms)))
            }
            serde_json::Value::String(s) => Duration::parse_extended(s).map(Some),
            other => Err(DurationError::NotADuration(other.to_string())),
        }
    }
}

/// Go's `time.Duration(ms * float64(time.Millisecond))`, saturating.
fn from_millis_f64(ms: f64) -> Duration {
    let ns = ms * 1e6;
    if ns.is_nan() {
        Duration(0)
    } else if ns >= i64::MAX as f64 {
        Duration(i64::MAX)
    } else if ns <= i64::MIN as f64 {
        Duration(i64::MIN)
    } else {
        Duration(ns as i64)
    }
}

/// The subset of Go's `strconv.ParseFloat` syntax k6 relies on: an optional
/// sign, digits with an optional fraction, an optional exponent. (Go also
/// takes `inf`, `nan` and hex floats; a duration of those makes no sense,
/// so they fall through to the duration parser and are rejected there.)
fn parse_go_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut chars = body.chars().peekable();
    let mut digits = 0;
    while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
        chars.next();
        digits += 1;
    }
    if chars.peek() == Some(&'.') {
        chars.next();
        while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
            chars.next();
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(chars.peek(), Some('e' | 'E')) {
        chars.next();
        if matches!(chars.peek(), Some('+' | '-')) {
            chars.next();
        }
        let mut exp_digits = 0;
        while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
            chars.next();
            exp_digits += 1;
        }
        if exp_digits == 0 {
            return None;
        }
    }
    if chars.next().is_some() {
        return None;
    }
    s.parse().ok()
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits only.
fn parse_go_int(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `time.ParseDuration`, including its error messages.
fn parse_go(input: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(input.to_string());
    let mut s = input;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    // Accumulate in u128 nanoseconds scaled; overflow past i64 is invalid.
    let mut total: u128 = 0;
    while !s.is_empty() {
        let bytes = s.as_bytes();
        if !(bytes[0] == b'.' || bytes[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part.
        let int_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let int_part = &s[..int_len];
        s = &s[int_len..];
        let mut frac_part = "";
        let mut had_dot = false;
        if let Some(rest) = s.strip_prefix('.') {
            had_dot = true;
            let frac_len = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
            frac_part = &rest[..frac_len];
            s = &rest[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            // "." or ".s": no digits at all.
            return Err(invalid());
        }
        let _ = had_dot;
        // Unit: everything up to the next '.' or digit.
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map(|(i, _)| i)
            .unwrap_or(s.len());
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(input.to_string()));
        }
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            _ => {
                return Err(DurationError::UnknownUnit {
                    unit: unit.to_string(),
                    input: input.to_string(),
                })
            }
        };
        // Leading zeros are free, as in Go; 30 more digits than that
        // cannot fit any duration anyway.
        let significant = int_part.trim_start_matches('0');
        if significant.len() > 30 {
            return Err(invalid());
        }
        let int_value: u128 = if significant.is_empty() {
            0
        } else {
            significant.parse().map_err(|_| invalid())?
        };
        let mut value = int_value.checked_mul(scale).ok_or_else(invalid)?;
        value += fraction_nanos(frac_part, scale);
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > i64::MAX as u128 + u128::from(neg) {
            return Err(invalid());
        }
    }
    let ns = if neg {
        (total as i128).wrapping_neg() as i64
    } else {
        total as i64
    };
    Ok(Duration(ns))
}

/// The nanoseconds of a fraction's `digits` of a unit of `scale` ns, as
/// Go's `time.ParseDuration` computes them: the leading digits that fit
/// below 2^63 (`leadingFraction`; the rest are ignored), scaled in float64
/// and truncated, so `0.58888888888888888888h` is exactly `35m20s`.
fn fraction_nanos(digits: &str, scale: u128) -> u128 {
    let mut fraction: u64 = 0;
    let mut divisor = 1.0_f64;
    for digit in digits.bytes().map(|b| u64::from(b - b'0')) {
        if fraction > i64::MAX as u64 / 10 {
            break;
        }
        let next = fraction * 10 + digit;
        if next > 1 << 63 {
            break;
        }
        fraction = next;
        divisor *= 10.0;
    }
    // At most an hour's nanoseconds (3.6e12): the cast is exact.
    (fraction as f64 * (scale as f64 / divisor)) as u128
}

impl fmt::Display for Duration {
    /// Go's `time.Duration.String()`: `0s`, `500ms`, `1.5µs`, `1m30s`, `26h0m0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let mut u = self.0.unsigned_abs();
        let mut out = String::new();
        if u < 1_000_000_000 {
            // Sub-second: a single unit with a fraction.
            let (unit, prec) = match u {
                0 => return f.write_str("0s"),
                1..=999 => ("ns", 0),
                1_000..=999_999 => ("µs", 3),
                _ => ("ms", 6),
            };
            out.push_str(&fmt_frac(u, prec));
            out.push_str(unit);
        } else {
            let secs_frac = fmt_frac(u % 60_000_000_000, 9);
            out.push_str(&secs_frac);
            out.push('s');
            u /= 60_000_000_000;
            if u > 0 {
                let m = u % 60;
                u /= 60;
                out.insert_str(0, &format!("{m}m"));
                if u > 0 {
                    out.insert_str(0, &format!("{u}h"));
                }
            }
        }
        if neg {
            out.insert(0, '-');
        }
        f.write_str(&out)
    }
}

/// `v / 10^prec` printed with the trailing zeros of its fraction removed.
fn fmt_frac(v: u64, prec: u32) -> String {
    let div = 10u64.pow(prec);
    let int = v / div;
    let frac = v % div;
    if frac == 0 {
        return int.to_string();
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    format!("{int}.{}", digits.trim_end_matches('0'))
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

impl std::ops::Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        self.saturating_add(rhs)
    }
}

impl std::ops::Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        self.saturating_sub(rhs)
    }
}

impl serde::Serialize for Duration {
    /// Serialised as k6 prints options: the Go duration string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(s: &str) -> Duration {
        Duration::parse_extended(s).unwrap()
    }

    #[test]
    fn extended_syntax_matches_k6() {
        assert_eq!(ext("1500"), Duration::from_millis(1500));
        assert_eq!(ext("0.5"), Duration::from_nanos(500_000));
        assert_eq!(ext("10000000").to_string(), "2h46m40s");
        assert_eq!(ext("1e3"), Duration::SECOND);
        assert_eq!(ext("1m30s"), Duration::from_secs(90));
        assert_eq!(ext("90s").to_string(), "1m30s");
        assert_eq!(ext("1.5m").to_string(), "1m30s");
        assert_eq!(ext("1s500ms").to_string(), "1.5s");
        assert_eq!(ext("+1m").to_string(), "1m0s");
        assert_eq!(ext("1h2m3.5s").to_string(), "1h2m3.5s");
        assert_eq!(ext("3us").to_string(), "3µs");
        assert_eq!(ext("3µs").to_string(), "3µs");
        assert_eq!(ext("1d").to_string(), "24h0m0s");
        assert_eq!(ext("1d2h").to_string(), "26h0m0s");
        assert_eq!(ext("2d1h30m").to_string(), "49h30m0s");
        assert_eq!(ext("-1d1h").to_string(), "-25h0m0s");
        assert_eq!(ext("0"), Duration::ZERO);
        assert_eq!(ext("0s"), Duration::ZERO);
        assert_eq!(ext("-1s").to_string(), "-1s");
    }

    #[test]
    fn errors_carry_k6_messages() {
        let err = |s: &str| Duration::parse_extended(s).unwrap_err().to_string();
        assert_eq!(err("1x"), r#"time: unknown unit "x" in duration "1x""#);
        assert_eq!(err("abc"), r#"time: invalid duration "abc""#);
        assert_eq!(err(""), r#"time: invalid duration """#);
        assert_eq!(err("1M"), r#"time: unknown unit "M" in duration "1M""#);
        assert_eq!(err("1m "), r#"time: unknown unit "m " in duration "1m ""#);
        assert_eq!(
            err("1.5d"),
            r#"strconv.ParseInt: parsing "1.5": invalid syntax"#
        );
        assert_eq!(err("1d-1h"), "invalid time format '-1h'");
        assert_eq!(
            Duration::parse_go("1500").unwrap_err().to_string(),
            r#"time: missing unit in duration "1500""#
        );
        assert_eq!(
            Duration::from_json(&serde_json::json!(true))
                .unwrap_err()
                .to_string(),
            "'true' is not a valid duration value"
        );
        assert!(Duration::parse_go("9999999999999h").is_err());
        assert!(Duration::parse_go(".s").is_err());
    }

    #[test]
    fn json_numbers_are_milliseconds() {
        let j = |v: serde_json::Value| Duration::from_json(&v).unwrap();
        assert_eq!(
            j(serde_json::json!(1500)),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            j(serde_json::json!(1.5)),
            Some(Duration::from_nanos(1_500_000))
        );
        assert_eq!(j(serde_json::json!(null)), None);
        assert_eq!(j(serde_json::json!("2s")), Some(Duration::from_secs(2)));
    }

    #[test]
    fn display_matches_go() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (500_000_000, "500ms"),
            (1_500_000_000, "1.5s"),
            (600_000_000_000, "10m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (93_784_000_000_000, "26h3m4s"),
            (-1_500_000, "-1.5ms"),
        ];
        for (ns, text) in cases {
            assert_eq!(Duration::from_nanos(ns).to_string(), text);
        }
        assert_eq!(
            Duration::from_nanos(i64::MIN).to_string(),
            "-2562047h47m16.854775808s"
        );
    }

    #[test]
    fn long_fractions_scale_in_float64_as_go_does() {
        // Values printed by k6 v1.1.0 (`k6 inspect`) for these `duration`s.
        // Go keeps the fraction digits that fit below 2^63 and scales them
        // in float64, so a long fraction may round up to the next unit.
        for (input, k6) in [
            ("0.58888888888888888888888888888888888888h", "35m20s"),
            ("1.9999999999999999999999999999h", "2h0m0s"),
            ("1.123456789123h", "1h7m24.444440842s"),
            (
                "-88.5888888888888888888888888888888888888888888888888s",
                "-1m28.588888888s",
            ),
        ] {
            assert_eq!(ext(input).to_string(), k6, "{input}");
        }
    }

    #[test]
    fn leading_zeros_do_not_count_against_the_length() {
        assert_eq!(
            ext("00000000000000000000000000000000000000001s"),
            Duration::SECOND
        );
    }

    #[test]
    fn round_is_half_away_from_zero() {
        let ms = Duration::from_millis;
        assert_eq!(ms(1_049).round(ms(100)), ms(1_000));
        assert_eq!(ms(1_050).round(ms(100)), ms(1_100));
        assert_eq!(ms(-1_050).round(ms(100)), ms(-1_100));
    }
}
