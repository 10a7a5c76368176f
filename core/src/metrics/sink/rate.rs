//! The rate sink: how many values were non-zero.

use serde::{Deserialize, Serialize};

/// A rate's aggregate: passes (non-zero values) out of a total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateSink {
    /// Non-zero values.
    pub passes: u64,
    /// All values.
    pub total: u64,
}

impl RateSink {
    /// Adds one value: non-zero counts as a pass (k6's rule).
    pub fn add(&mut self, value: f64) {
        self.total = self.total.saturating_add(1);
        if value != 0.0 {
            self.passes = self.passes.saturating_add(1);
        }
    }

    /// Zero values.
    pub fn fails(&self) -> u64 {
        self.total - self.passes
    }

    /// `passes / total`, or `None` before the first value.
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.passes as f64 / self.total as f64)
    }

    /// What was added after `earlier`, a copy of this sink taken before.
    pub fn since(&self, earlier: &RateSink) -> RateSink {
        RateSink {
            passes: self.passes.saturating_sub(earlier.passes),
            total: self.total.saturating_sub(earlier.total),
        }
    }

    /// Adds `other` in.
    pub fn merge(&mut self, other: &RateSink) {
        self.passes = self.passes.saturating_add(other.passes);
        self.total = self.total.saturating_add(other.total);
    }
}
