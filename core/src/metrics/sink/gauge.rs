//! The gauge sink: the last value, with k6's min/max.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A gauge's aggregate.
///
/// "Last" is decided by the sample's timestamp (then by the value, so that
/// ties break the same way everywhere), which makes merging independent of
/// order. `max` starts at 0 and only rises, as in k6 (a gauge fed only
/// negative values shows `max=0`); `min` is the true minimum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GaugeSink {
    /// `(nanoseconds since the Unix epoch, value)` of the latest sample.
    last: Option<(i64, f64)>,
    min: f64,
    max: f64,
}

fn nanos(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

fn later(a: (i64, f64), b: (i64, f64)) -> (i64, f64) {
    if b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).is_gt() {
        b
    } else {
        a
    }
}

impl GaugeSink {
    /// A gauge whose latest sample is `last` (`(nanoseconds since the Unix
    /// epoch, value)`, `None` before the first) with `min` and `max` (a
    /// delta off the wire).
    pub fn from_parts(last: Option<(i64, f64)>, min: f64, max: f64) -> Self {
        GaugeSink { last, min, max }
    }

    /// `(nanoseconds since the Unix epoch, value)` of the latest sample,
    /// `None` before the first.
    pub fn last(&self) -> Option<(i64, f64)> {
        self.last
    }

    /// Adds one value taken at `time`.
    pub fn add(&mut self, value: f64, time: SystemTime) {
        self.absorb((nanos(time), value), value, value);
    }

    fn absorb(&mut self, last: (i64, f64), min: f64, max: f64) {
        match self.last {
            None => {
                self.min = min;
                self.last = Some(last);
            }
            Some(prev) => {
                self.min = self.min.min(min);
                self.last = Some(later(prev, last));
            }
        }
        self.max = self.max.max(max);
    }

    /// The latest value (0 before the first).
    pub fn value(&self) -> f64 {
        self.last.map_or(0.0, |(_, v)| v)
    }

    /// The smallest value (0 before the first).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// The largest value, never below 0 (k6's quirk).
    pub fn max(&self) -> f64 {
        self.max
    }

    /// Whether no value was added.
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// Adds `other` in.
    pub fn merge(&mut self, other: &GaugeSink) {
        if let Some(last) = other.last {
            self.absorb(last, other.min, other.max);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn keeps_k6s_max_quirk_and_latest_value() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        let mut g = GaugeSink::default();
        g.add(-5.0, t0);
        g.add(-2.0, t0 + Duration::from_millis(1));
        assert_eq!((g.value(), g.min(), g.max()), (-2.0, -5.0, 0.0));

        let mut early = GaugeSink::default();
        early.add(7.0, t0 - Duration::from_secs(1));
        let mut merged = early;
        merged.merge(&g);
        let mut other = g;
        other.merge(&early);
        assert_eq!(merged, other);
        assert_eq!(
            (merged.value(), merged.min(), merged.max()),
            (-2.0, -5.0, 7.0)
        );
    }
}
