//! The counter sink: a running, exactly rounded sum.

use serde::{Deserialize, Serialize};

use crate::metrics::exact_sum::ExactSum;

/// A counter's aggregate: `count` (the sum of the values) and, given the
/// test's duration, `rate` per second.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CounterSink {
    sum: ExactSum,
    samples: u64,
}

impl CounterSink {
    /// A counter whose values summed to `sum` over `samples` values (a
    /// delta off the wire).
    pub fn from_parts(sum: ExactSum, samples: u64) -> Self {
        CounterSink { sum, samples }
    }

    /// The exact sum behind [`count`](Self::count).
    pub fn exact_sum(&self) -> &ExactSum {
        &self.sum
    }

    /// Adds one value (counters accept negative values).
    pub fn add(&mut self, value: f64) {
        self.sum.add(value);
        self.samples = self.samples.saturating_add(1);
    }

    /// The sum of the values (k6's `count`).
    pub fn count(&self) -> f64 {
        self.sum.value()
    }

    /// `count` per second of `elapsed`.
    pub fn rate(&self, elapsed: std::time::Duration) -> f64 {
        self.count() / elapsed.as_secs_f64()
    }

    /// How many samples were added.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// What was added after `earlier`, a copy of this sink taken before.
    pub fn since(&self, earlier: &CounterSink) -> CounterSink {
        let mut sum = self.sum.clone();
        sum.add(-earlier.count());
        CounterSink {
            sum,
            samples: self.samples.saturating_sub(earlier.samples),
        }
    }

    /// Adds `other` in.
    pub fn merge(&mut self, other: &CounterSink) {
        self.sum.merge(&other.sum);
        self.samples = self.samples.saturating_add(other.samples);
    }
}
