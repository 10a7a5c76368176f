//! The trend sink: exact count, sum, min and max, and percentiles from a
//! [`Histogram`].

use serde::{Deserialize, Serialize};

use crate::metrics::exact_sum::ExactSum;
use crate::metrics::histogram::Histogram;

/// A trend's aggregate, in memory independent of the number of samples.
///
/// Percentiles follow k6's definition: with `n` sorted values `v`, `p(N)`
/// is `v[⌊i⌋] + (v[⌈i⌉] − v[⌊i⌋])·frac(i)` where `i = N/100·(n−1)`; 0 for
/// no values and the value itself for one. The two order statistics come
/// from the histogram (rank 0 and rank `n−1` are the exact min and max,
/// the others are clamped into `[min, max]`), so each is within
/// [`MAX_RELATIVE_ERROR`](crate::metrics::histogram::MAX_RELATIVE_ERROR)
/// of the true one, and so is their interpolation when both have the same
/// sign.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrendSink {
    count: u64,
    min: f64,
    max: f64,
    sum: ExactSum,
    hist: Histogram,
}

impl TrendSink {
    /// A trend of `count` values from `min` to `max` summing to `sum`,
    /// counted in `hist` (a delta off the wire).
    pub fn from_parts(count: u64, min: f64, max: f64, sum: ExactSum, hist: Histogram) -> Self {
        TrendSink {
            count,
            min,
            max,
            sum,
            hist,
        }
    }

    /// The exact sum behind [`sum`](Self::sum).
    pub fn exact_sum(&self) -> &ExactSum {
        &self.sum
    }

    /// Adds one value (NaN is ignored).
    pub fn add(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        if self.count == 0 {
            self.min = value;
            self.max = value;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
        self.count = self.count.saturating_add(1);
        self.sum.add(value);
        self.hist.add(value);
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their exact sum (correctly rounded).
    pub fn sum(&self) -> f64 {
        self.sum.value()
    }

    /// The smallest value (0 when empty).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// The largest value (0 when empty).
    pub fn max(&self) -> f64 {
        self.max
    }

    /// The mean (0 when empty).
    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum() / self.count as f64
        }
    }

    /// The median, `p(50)`.
    pub fn med(&self) -> f64 {
        self.percentile(50.0)
    }

    /// `p(n)` for `n` in `0..=100` (clamped), k6's interpolation.
    pub fn percentile(&self, n: f64) -> f64 {
        match self.count {
            0 => 0.0,
            1 => self.min,
            count => {
                let last = (count - 1) as f64;
                let i = (n / 100.0 * last).clamp(0.0, last);
                let lo = self.order_statistic(i.floor() as u64);
                let hi = self.order_statistic(i.ceil() as u64);
                lo + (hi - lo) * (i - i.floor())
            }
        }
    }

    /// The estimated `rank`-th smallest value (0-based).
    fn order_statistic(&self, rank: u64) -> f64 {
        if rank == 0 {
            return self.min;
        }
        if rank + 1 >= self.count {
            return self.max;
        }
        self.hist
            .value_at_rank(rank)
            // Not `clamp`, which panics when a delta off the wire has
            // `min > max`.
            .map_or(self.max, |v| v.max(self.min).min(self.max))
    }

    /// What was added after `earlier`, a copy of this sink taken before: a
    /// window of a running trend. Its min and max are the bounds of its
    /// lowest and highest buckets (within the histogram's error), kept
    /// within this sink's.
    pub fn since(&self, earlier: &TrendSink) -> TrendSink {
        let hist = self.hist.since(&earlier.hist);
        let count = self.count.saturating_sub(earlier.count);
        let mut sum = self.sum.clone();
        sum.add(-earlier.sum());
        let (min, max) = match (hist.ranges().next(), hist.ranges().last()) {
            (Some((lo, _, _)), Some((_, hi, _))) if count > 0 => {
                (lo.max(self.min), hi.min(self.max))
            }
            _ => (0.0, 0.0),
        };
        TrendSink::from_parts(count, min, max, sum, hist)
    }

    /// The histogram behind the percentiles.
    pub fn histogram(&self) -> &Histogram {
        &self.hist
    }

    /// Adds `other` in.
    pub fn merge(&mut self, other: &TrendSink) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.min = other.min;
            self.max = other.max;
        } else {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.count = self.count.saturating_add(other.count);
        self.sum.merge(&other.sum);
        self.hist.merge(&other.hist);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_k6_on_small_exact_inputs() {
        let mut t = TrendSink::default();
        assert_eq!((t.percentile(95.0), t.avg(), t.min()), (0.0, 0.0, 0.0));
        t.add(12.5);
        assert_eq!((t.med(), t.percentile(95.0), t.avg()), (12.5, 12.5, 12.5));
        // k6's my_trend fixture: i - 5.5 and 1000·i for i in 0..10.
        let mut t = TrendSink::default();
        for i in 0..10 {
            t.add(f64::from(i) - 5.5);
            t.add(1000.0 * f64::from(i));
        }
        assert_eq!((t.min(), t.max(), t.avg()), (-5.5, 9000.0, 2249.5));
        assert!((t.med() - 3.0).abs() / 3.0 < 0.004, "{}", t.med());
        assert!((t.percentile(90.0) - 7100.0).abs() / 7100.0 < 0.004);
        assert!((t.percentile(95.0) - 8050.0).abs() / 8050.0 < 0.004);
        assert_eq!(t.percentile(100.0), 9000.0);
        assert_eq!(t.percentile(0.0), -5.5);
    }
}
