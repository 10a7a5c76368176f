//! A log-linear histogram with a bounded relative error, the memory behind
//! every trend's percentiles.
//!
//! # Buckets
//! A value's bucket is read straight from its IEEE-754 bits: the exponent
//! picks the power of two and the top [`SUB_BITS`] mantissa bits pick one
//! of 128 equal-width slices of it (HdrHistogram's layout, without its
//! fixed range). A bucket `[lo, hi)` has `hi - lo = lo / 128` for every
//! normal `f64`, so its midpoint is within `2^-8 ≈ 0.39 %` of any value in
//! it; [`MAX_RELATIVE_ERROR`] is that bound. Subnormal magnitudes (below
//! `f64::MIN_POSITIVE`, ~2.2e-308) get linear buckets and no relative
//! bound. Zero has its own exact bucket and negative values mirror the
//! positive ones, so custom trends may hold any finite value.
//!
//! # Memory
//! Counts live in blocks of 128 counters (1 KiB), one per power of two
//! that holds a value, for negative and positive magnitudes apart. Memory
//! depends on the octaves in use, never on how many values there are nor
//! on the gaps between them: HTTP timings from 0.1 ms to 10 s (17 octaves)
//! take about 17 KiB, no histogram more than 2 × 2047 KiB, and a delta off
//! the wire at most a block per bucket it names.
//!
//! # Merging
//! Two histograms merge by adding bucket counts, which is exact and
//! independent of order.

use serde::{Deserialize, Serialize};

/// Mantissa bits that split each power of two into linear sub-buckets.
pub const SUB_BITS: u32 = 7;

/// The largest relative error of a bucket's representative value for any
/// normal `f64` in that bucket: half a bucket's width over its lower bound.
pub const MAX_RELATIVE_ERROR: f64 = 1.0 / (1u64 << (SUB_BITS + 1)) as f64;

/// Shift that leaves the exponent and the top [`SUB_BITS`] mantissa bits.
const SHIFT: u32 = 52 - SUB_BITS;

/// The highest magnitude key: the bucket of `f64::MAX` (infinities clamp to
/// it).
pub const MAX_KEY: u32 = (f64::MAX.to_bits() >> SHIFT) as u32;

/// Counts of values per bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "wire::Histogram", from = "wire::Histogram")]
pub struct Histogram {
    /// Exact zeros (and `-0.0`).
    zero: u64,
    /// Buckets of positive values, by magnitude key.
    pos: Octaves,
    /// Buckets of negative values, by the magnitude key of `-v`.
    neg: Octaves,
}

/// A side of zero: buckets of positive values, or of negative ones (by the
/// magnitude key of `-v`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// Values above zero.
    Positive,
    /// Values below zero.
    Negative,
}

/// Counters per power of two: one slice of each octave's sub-buckets.
const OCTAVE: usize = 1 << SUB_BITS;

/// Bucket counts by key: a block of [`OCTAVE`] counters (1 KiB) for each
/// power of two that holds a value, found by binary search, so memory
/// follows the octaves in use, never the spread between them (a delta
/// off the wire may name any keys). Counts saturate at `u64::MAX`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Octaves {
    /// `(octave, counters)`, ascending by octave (`key >> SUB_BITS`).
    blocks: Vec<(u32, Box<[u64; OCTAVE]>)>,
}

impl Octaves {
    fn add(&mut self, key: u32, n: u64) {
        let octave = key >> SUB_BITS;
        let at = match self.blocks.binary_search_by_key(&octave, |(o, _)| *o) {
            Ok(at) => at,
            Err(at) => {
                self.blocks.insert(at, (octave, Box::new([0; OCTAVE])));
                at
            }
        };
        let counter = &mut self.blocks[at].1[key as usize % OCTAVE];
        *counter = counter.saturating_add(n);
    }

    /// Occupied `(key, count)` pairs, ascending by key.
    fn occupied(&self) -> impl DoubleEndedIterator<Item = (u32, u64)> + '_ {
        self.blocks.iter().flat_map(|(octave, counters)| {
            counters
                .iter()
                .enumerate()
                .filter(|(_, &c)| c != 0)
                .map(move |(i, &c)| ((octave << SUB_BITS) | i as u32, c))
        })
    }

    fn count(&self) -> u64 {
        self.occupied().fold(0, |sum, (_, c)| sum.saturating_add(c))
    }

    /// The count of bucket `key`.
    fn get(&self, key: u32) -> u64 {
        let octave = key >> SUB_BITS;
        self.blocks
            .binary_search_by_key(&octave, |(o, _)| *o)
            .map_or(0, |at| self.blocks[at].1[key as usize % OCTAVE])
    }

    /// The counts of `self` less those of `earlier` (none below zero).
    fn since(&self, earlier: &Octaves) -> Octaves {
        let mut out = Octaves::default();
        for (k, c) in self.occupied() {
            let n = c.saturating_sub(earlier.get(k));
            if n > 0 {
                out.add(k, n);
            }
        }
        out
    }

    fn heap_bytes(&self) -> usize {
        self.blocks.capacity() * std::mem::size_of::<(u32, Box<[u64; OCTAVE]>)>()
            + self.blocks.len() * std::mem::size_of::<[u64; OCTAVE]>()
    }
}

/// The magnitude key of `|v|` (`v` non-zero).
fn key_of(magnitude: f64) -> u32 {
    let bits = magnitude.to_bits() >> SHIFT;
    (bits as u32).min(MAX_KEY)
}

/// The magnitudes `[lo, hi)` of bucket `key` (`hi` is `f64::MAX` for the
/// last bucket, whose next bound is infinite).
fn bounds(key: u32) -> (f64, f64) {
    let lo = f64::from_bits(u64::from(key) << SHIFT);
    let hi = f64::from_bits(u64::from(key + 1) << SHIFT);
    (lo, if hi.is_finite() { hi } else { f64::MAX })
}

/// The representative magnitude of bucket `key`: its midpoint.
fn representative(key: u32) -> f64 {
    let (lo, hi) = bounds(key);
    if key < MAX_KEY {
        lo + (hi - lo) / 2.0
    } else {
        lo
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram::default()
    }

    /// Counts `value` once. NaN is ignored; infinities land in the
    /// outermost buckets.
    pub fn add(&mut self, value: f64) {
        self.add_n(value, 1);
    }

    /// Counts `value` `n` times.
    pub fn add_n(&mut self, value: f64, n: u64) {
        if value.is_nan() || n == 0 {
            return;
        }
        if value == 0.0 {
            self.zero = self.zero.saturating_add(n);
        } else if value > 0.0 {
            self.pos.add(key_of(value), n);
        } else {
            self.neg.add(key_of(-value), n);
        }
    }

    /// Counts `n` values in the bucket of magnitude key `key` (clamped to
    /// [`MAX_KEY`]) on the `sign` side: a bucket off the wire.
    pub fn add_to_bucket(&mut self, sign: Sign, key: u32, n: u64) {
        if n == 0 {
            return;
        }
        let side = match sign {
            Sign::Positive => &mut self.pos,
            Sign::Negative => &mut self.neg,
        };
        side.add(key.min(MAX_KEY), n);
    }

    /// How many exact zeros were counted.
    pub fn zeros(&self) -> u64 {
        self.zero
    }

    /// The occupied buckets on the `sign` side as `(magnitude key, count)`,
    /// ascending by key.
    pub fn buckets(&self, sign: Sign) -> impl Iterator<Item = (u32, u64)> + '_ {
        match sign {
            Sign::Positive => &self.pos,
            Sign::Negative => &self.neg,
        }
        .occupied()
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        self.zero = self.zero.saturating_add(other.zero);
        for (k, c) in other.pos.occupied() {
            self.pos.add(k, c);
        }
        for (k, c) in other.neg.occupied() {
            self.neg.add(k, c);
        }
    }

    /// What was counted after `earlier`, a copy of this histogram taken
    /// before (counts only grow): a window of a running trend.
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        Histogram {
            zero: self.zero.saturating_sub(earlier.zero),
            pos: self.pos.since(&earlier.pos),
            neg: self.neg.since(&earlier.neg),
        }
    }

    /// How many values were counted.
    pub fn count(&self) -> u64 {
        self.zero
            .saturating_add(self.pos.count())
            .saturating_add(self.neg.count())
    }

    /// Bytes of bucket storage in use (the part that grows with the spread
    /// of the values).
    pub fn heap_bytes(&self) -> usize {
        self.pos.heap_bytes() + self.neg.heap_bytes()
    }

    /// Every occupied bucket in ascending value order as `(lower, upper,
    /// count)`: a positive bucket holds values in `[lower, upper)`, a
    /// negative one in `(lower, upper]`, the zero bucket `(0, 0)` exactly
    /// zero. Adjacent buckets share a bound; a gap between two occupied
    /// buckets shows as `upper < next lower`.
    pub fn ranges(&self) -> impl Iterator<Item = (f64, f64, u64)> + '_ {
        let neg = self.neg.occupied().rev().map(|(k, c)| {
            let (lo, hi) = bounds(k);
            (-hi, -lo, c)
        });
        let zero = (self.zero > 0).then_some((0.0, 0.0, self.zero));
        let pos = self.pos.occupied().map(|(k, c)| {
            let (lo, hi) = bounds(k);
            (lo, hi, c)
        });
        neg.chain(zero).chain(pos)
    }

    /// Buckets in ascending value order as `(representative, count)`.
    fn ascending(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let neg = self
            .neg
            .occupied()
            .rev()
            .map(|(k, c)| (-representative(k), c));
        let zero = (self.zero > 0).then_some((0.0, self.zero));
        let pos = self.pos.occupied().map(|(k, c)| (representative(k), c));
        neg.chain(zero).chain(pos)
    }

    /// The estimated value of the `rank`-th smallest sample (0-based), or
    /// `None` past the end.
    pub fn value_at_rank(&self, rank: u64) -> Option<f64> {
        let mut seen = 0u64;
        for (value, count) in self.ascending() {
            seen = seen.saturating_add(count);
            if seen > rank {
                return Some(value);
            }
        }
        None
    }
}

/// The serialised form: sparse `(key, count)` pairs, negative keys for
/// negative values, so a delta costs only its occupied buckets.
mod wire {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    pub(super) struct Histogram {
        zero: u64,
        pos: Vec<(u32, u64)>,
        neg: Vec<(u32, u64)>,
    }

    impl From<super::Histogram> for Histogram {
        fn from(h: super::Histogram) -> Self {
            Histogram {
                zero: h.zero,
                pos: h.pos.occupied().collect(),
                neg: h.neg.occupied().collect(),
            }
        }
    }

    impl From<Histogram> for super::Histogram {
        fn from(w: Histogram) -> Self {
            let mut h = super::Histogram {
                zero: w.zero,
                ..Default::default()
            };
            for (k, c) in w.pos {
                h.pos.add(k.min(super::MAX_KEY), c);
            }
            for (k, c) in w.neg {
                h.neg.add(k.min(super::MAX_KEY), c);
            }
            h
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn representatives_are_within_the_bound() {
        for &v in &[1e-9, 0.001, 0.75, 1.0, 1.5, 3.999, 1234.5678, 3.6e7, 1e300] {
            let r = representative(key_of(v));
            assert!(((r - v) / v).abs() <= MAX_RELATIVE_ERROR, "{v} -> {r}");
        }
        const { assert!(MAX_RELATIVE_ERROR < 0.004) };
    }

    #[test]
    fn ranges_hold_their_values_in_ascending_order() {
        let mut h = Histogram::new();
        let values = [-300.0, -2.0, 0.0, 1.0, 1.004, 7.5, 7.5, 1e6];
        for v in values {
            h.add(v);
        }
        let ranges: Vec<_> = h.ranges().collect();
        assert_eq!(ranges.iter().map(|r| r.2).sum::<u64>(), 8);
        assert!(ranges.windows(2).all(|w| w[0].1 <= w[1].0), "{ranges:?}");
        for v in values {
            let holder = ranges.iter().find(|(lo, hi, _)| {
                (v > 0.0 && *lo <= v && v < *hi) || (v < 0.0 && *lo < v && v <= *hi) || v == *lo
            });
            let (lo, hi, _) = holder.unwrap_or_else(|| panic!("no range holds {v}"));
            assert!(
                (hi - lo) <= lo.abs().max(hi.abs()) / 128.0,
                "{v}: [{lo}, {hi})"
            );
        }
        assert_eq!(ranges[2], (0.0, 0.0, 1), "the zero bucket");
        assert_eq!(
            ranges.iter().find(|r| r.0 <= 7.5 && 7.5 < r.1).unwrap().2,
            2
        );
    }

    #[test]
    fn ranks_walk_negative_zero_positive() {
        let mut h = Histogram::new();
        for v in [5.0, -2.0, 0.0, -0.0, 1e6, f64::INFINITY, f64::NAN] {
            h.add(v);
        }
        assert_eq!(h.count(), 6);
        let at = |r| h.value_at_rank(r).unwrap();
        assert!((at(0) + 2.0).abs() < 0.01);
        assert_eq!(at(1), 0.0);
        assert_eq!(at(2), 0.0);
        assert!((at(3) - 5.0).abs() < 0.02);
        assert!((at(4) / 1e6 - 1.0).abs() < MAX_RELATIVE_ERROR);
        assert!(at(5) > 1e307);
        assert_eq!(h.value_at_rank(6), None);
    }

    /// A delta's histogram comes off the wire (an agent's `MetricDelta`):
    /// two buckets at the ends of the key range must not cost the two
    /// megabytes of counters between them.
    #[test]
    fn memory_follows_the_octaves_in_use_not_their_spread() {
        let wire =
            format!(r#"{{"zero":0,"pos":[[0,1],[{MAX_KEY},1]],"neg":[[7,2],[{MAX_KEY},1]]}}"#);
        let h: Histogram = serde_json::from_str(&wire).unwrap();
        assert_eq!(h.count(), 5);
        // Four octaves in use, 128 counters each, and their index.
        assert!(h.heap_bytes() <= 4 * (128 * 8 + 64), "{}", h.heap_bytes());
        assert_eq!(serde_json::to_string(&h).unwrap(), wire);
    }

    /// Counts from the wire may be anything: they saturate, in merges and
    /// in the totals, instead of overflowing.
    #[test]
    fn counts_saturate_instead_of_overflowing() {
        let max = u64::MAX;
        let wire = format!(r#"{{"zero":{max},"pos":[[5,{max}]],"neg":[[5,{max}]]}}"#);
        let h: Histogram = serde_json::from_str(&wire).unwrap();
        let mut twice = h.clone();
        twice.merge(&h);
        assert_eq!(twice.count(), max);
        assert!(twice.value_at_rank(max - 1).is_some());
        assert_eq!(
            serde_json::to_string(&twice).unwrap(),
            wire,
            "each bucket stays at the maximum"
        );
    }

    #[test]
    fn merge_adds_counts_and_serde_round_trips() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        for i in 0..100 {
            a.add(f64::from(i) * 1.7);
            b.add(-f64::from(i) / 3.0);
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.count(), 200);
        let json = serde_json::to_string(&ab).unwrap();
        let back: Histogram = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ab);
    }
}
