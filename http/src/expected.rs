//! `http.expectedStatuses(...)`: which statuses count as *not* failed.

use std::ops::RangeInclusive;

/// A set of expected statuses; `http_req_failed` is 1 for every other status
/// (including 0, a transport failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedStatuses {
    ranges: Vec<RangeInclusive<u16>>,
}

impl Default for ExpectedStatuses {
    /// k6's default: 200–399.
    fn default() -> Self {
        ExpectedStatuses {
            ranges: vec![200..=399],
        }
    }
}

impl ExpectedStatuses {
    /// An empty set (nothing is expected) to add to.
    pub fn none() -> Self {
        ExpectedStatuses { ranges: Vec::new() }
    }

    /// Adds one status, like `expectedStatuses(404)`.
    pub fn with_status(mut self, status: u16) -> Self {
        self.ranges.push(status..=status);
        self
    }

    /// Adds a range, like `expectedStatuses({min: 200, max: 204})`.
    pub fn with_range(mut self, min: u16, max: u16) -> Self {
        self.ranges.push(min..=max);
        self
    }

    /// Whether `status` is expected.
    pub fn contains(&self, status: u16) -> bool {
        self.ranges.iter().any(|r| r.contains(&status))
    }
}
