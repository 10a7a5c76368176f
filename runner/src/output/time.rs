//! Timestamps as k6's outputs write them, without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whole seconds since the epoch (the CSV output's `unix` format).
pub(super) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub(super) use k6r_core::logfmt::rfc3339_nano;

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
