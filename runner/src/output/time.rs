//! Timestamps as k6's outputs write them, without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whole seconds since the epoch (the CSV output's `unix` format).
pub(super) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Go's `time.RFC3339Nano` in UTC: nanoseconds without trailing zeros,
/// and no fraction at all when they are zero.
pub(super) fn rfc3339_nano(t: SystemTime) -> String {
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

/// Howard Hinnant's days-to-civil conversion.
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

    #[test]
    fn formats_like_go() {
        let at = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
        assert_eq!(rfc3339_nano(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(at(1_796_048_923_728_186_298)),
            "2026-11-30T14:28:43.728186298Z"
        );
        assert_eq!(
            rfc3339_nano(at(1_796_048_923_728_206_410)),
            "2026-11-30T14:28:43.72820641Z"
        );
        assert_eq!(
            rfc3339_nano(at(951_782_400_000_000_000)),
            "2000-02-29T00:00:00Z"
        );
    }
}
