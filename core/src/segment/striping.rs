//! The striping algorithm: which global index belongs to which segment.
//!
//! Given a filled sequence, every non-negative index `i` (a VU number − 1, an
//! iteration number, a tick) must belong to exactly one segment, so that in
//! every window of `LCD` consecutive indexes segment `s` gets exactly
//! `n_s = length_s × LCD` of them, spread as evenly as possible. k6 does it
//! with this loop (`NewExecutionSegmentSequenceWrapper`):
//!
//! 1. `LCD` = least common multiple of the denominators of the lengths;
//! 2. sort the segments by `n_s`, biggest first, ties in sequence order
//!    (a *stable* sort: the order decides ties, so it is part of the result);
//! 3. for `i` in `0..LCD`, give `i` to the first segment (in that order)
//!    that is *eligible*: `i >= chosen_s × LCD / n_s` as an exact rational,
//!    i.e. it is not ahead of its fair share.
//!
//! k6 walks all segments for each `i` (`O(LCD × segments)`); we get the same
//! assignment in `O(LCD × log segments)` with two heaps: segments waiting for
//! their threshold `ceil(chosen_s × LCD / n_s)`, and eligible segments keyed
//! by their rank in the sorted order (the first eligible one wins, as in k6).
//! Some segment is always eligible: if none were, `chosen_s > i × n_s / LCD`
//! for all `s` would sum to more than the `i` indexes handed out so far.
//! And no segment gets more than `n_s` (its threshold then is `LCD`), so each
//! gets exactly `n_s` — every index in `[0, LCD)` is assigned exactly once.
//!
//! The pattern repeats with period `LCD`, so we keep, per segment, its sorted
//! positions in `[0, LCD)` (k6's `start` plus cyclic `offsets`). Time and
//! memory are `O(LCD)`, hence the [`MAX_LCD`] limit.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::rational::gcd;
use super::sequence::Sequence;
use super::{Segment, SegmentError};

/// The largest least common denominator k6r accepts for a (filled or
/// re-segmented) sequence.
///
/// Striping takes time and memory proportional to the LCD (about 12 bytes
/// per unit: 120 MB at the limit). k6 has no limit: it allocates and loops
/// for any LCD and overflows or panics on huge ones (`0:1e-30` panics
/// k6 v1.1.0). Ten million is far beyond any practical split (`1/7` of
/// `1/11` of … still fits) and still builds in well under a second.
pub const MAX_LCD: i64 = 10_000_000;

/// The striped assignment of a filled sequence (k6's
/// `ExecutionSegmentSequenceWrapper`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Striping {
    segments: Vec<Segment>,
    lcd: i64,
    lanes: Vec<Lane>,
}

/// One segment's share of each `LCD` window.
#[derive(Debug, PartialEq, Eq)]
struct Lane {
    /// The first index, `positions[0]`.
    start: i64,
    /// Gaps between consecutive indexes, closed cyclically (sum = LCD).
    offsets: Vec<i64>,
    /// Its indexes in `[0, LCD)`, ascending (`u32`: LCD ≤ [`MAX_LCD`]).
    positions: Vec<u32>,
}

impl Striping {
    /// Stripes a filled sequence (adjacent segments covering `(0, 1]`).
    pub(crate) fn new(segments: Vec<Segment>) -> Result<Striping, SegmentError> {
        debug_assert!(!segments.is_empty());
        let too_large = |segments: &[Segment], lcd_at_least: i64| SegmentError::LcdTooLarge {
            sequence: Sequence::from_adjacent(segments.to_vec()).to_string(),
            lcd_at_least,
            limit: MAX_LCD,
        };

        // 1. LCD of the lengths' denominators, refusing early past the limit.
        let mut lengths = Vec::with_capacity(segments.len());
        let mut lcd: i128 = 1;
        for segment in &segments {
            let Some(length) = segment.end().checked_sub(segment.start()) else {
                return Err(too_large(&segments, i64::MAX));
            };
            let den = i128::from(length.den());
            // lcd <= MAX_LCD and den < 2^63: the product fits i128.
            lcd = lcd / gcd(lcd as u128, den as u128) as i128 * den;
            if lcd > i128::from(MAX_LCD) {
                return Err(too_large(&segments, i64::try_from(lcd).unwrap_or(i64::MAX)));
            }
            lengths.push(length);
        }
        let lcd = lcd as i64;

        // 2. normalised numerators (they sum to LCD), stable order by size
        let shares: Vec<i64> = lengths
            .iter()
            .map(|length| length.num() * (lcd / length.den()))
            .collect();
        let mut order: Vec<usize> = (0..segments.len()).collect();
        order.sort_by_key(|&s| Reverse(shares[s])); // sort_by_key is stable

        // 3. the assignment loop, see the module docs
        let mut positions: Vec<Vec<u32>> = shares
            .iter()
            .map(|&n| Vec::with_capacity(n as usize))
            .collect();
        let mut waiting: BinaryHeap<Reverse<(i64, usize)>> =
            (0..order.len()).map(|rank| Reverse((0, rank))).collect();
        let mut eligible: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
        for i in 0..lcd {
            while let Some(&Reverse((threshold, rank))) = waiting.peek() {
                if threshold > i {
                    break;
                }
                waiting.pop();
                eligible.push(Reverse(rank));
            }
            // Never empty (see the module docs); k6 would skip `i` if it were.
            let Some(Reverse(rank)) = eligible.pop() else {
                continue;
            };
            let s = order[rank];
            positions[s].push(i as u32);
            let chosen = positions[s].len() as i64;
            if chosen < shares[s] {
                // ceil(chosen × LCD / n_s); chosen × LCD <= 10^14
                let threshold = (chosen * lcd + shares[s] - 1) / shares[s];
                waiting.push(Reverse((threshold, rank)));
            }
        }

        let lanes = positions
            .into_iter()
            .map(|positions| {
                let start = i64::from(positions[0]);
                let mut offsets: Vec<i64> = positions
                    .windows(2)
                    .map(|w| i64::from(w[1]) - i64::from(w[0]))
                    .collect();
                offsets.push(start + lcd - i64::from(positions[positions.len() - 1]));
                Lane {
                    start,
                    offsets,
                    positions,
                }
            })
            .collect();
        Ok(Striping {
            segments,
            lcd,
            lanes,
        })
    }

    /// The unsegmented run: `0:1` owns everything (LCD 1).
    pub(crate) fn full() -> Striping {
        Striping {
            segments: vec![Segment::full()],
            lcd: 1,
            lanes: vec![Lane {
                start: 0,
                offsets: vec![1],
                positions: vec![0],
            }],
        }
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub(crate) fn lcd(&self) -> i64 {
        self.lcd
    }

    pub(crate) fn start(&self, s: usize) -> i64 {
        self.lanes[s].start
    }

    pub(crate) fn offsets(&self, s: usize) -> &[i64] {
        &self.lanes[s].offsets
    }

    /// `n_s`: how many indexes of each `LCD` window belong to `s`.
    pub(crate) fn share(&self, s: usize) -> i64 {
        self.lanes[s].positions.len() as i64
    }

    /// k6's `ScaleInt64` for segment `s`: the number of indexes `< value`
    /// owned by `s`. Negative values follow Go's truncating arithmetic like
    /// k6 (`(value / LCD) × n_s`), though callers only pass `value >= 0`.
    pub(crate) fn count_below(&self, s: usize, value: i64) -> i64 {
        // n_s <= LCD, so the product never exceeds |value|.
        let whole = (value / self.lcd) * self.share(s);
        let rest = value % self.lcd;
        if rest <= 0 {
            return whole;
        }
        let partial = self.lanes[s]
            .positions
            .partition_point(|&p| i64::from(p) < rest);
        whole + partial as i64
    }

    /// Whether global index `index` belongs to `s`.
    pub(crate) fn owns(&self, s: usize, index: i64) -> bool {
        index >= 0
            && self.lanes[s]
                .positions
                .binary_search(&((index % self.lcd) as u32))
                .is_ok()
    }

    /// The `k`-th (0-based) global index of `s`, `None` past `i64::MAX`.
    pub(crate) fn nth(&self, s: usize, k: i64) -> Option<i64> {
        let n = self.share(s);
        let position = i64::from(self.lanes[s].positions[(k % n) as usize]);
        (k / n).checked_mul(self.lcd)?.checked_add(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::sequence::fill;

    /// Stripes `sequence` (filled) and returns `(start, offsets)` per segment.
    fn stripe(sequence: &str) -> (i64, Vec<(i64, Vec<i64>)>) {
        let sequence = Sequence::parse(sequence).unwrap();
        let striping = Striping::new(fill(Some(&sequence), &Segment::full())).unwrap();
        let lanes = (0..striping.segments().len())
            .map(|s| (striping.start(s), striping.offsets(s).to_vec()))
            .collect();
        (striping.lcd(), lanes)
    }

    /// A segment alone (filled around it): `(lcd, start, offsets)` of it.
    fn alone(segment: &str) -> (i64, i64, Vec<i64>) {
        let segment = Segment::parse(segment).unwrap();
        let filled = fill(None, &segment);
        let s = filled.iter().position(|x| *x == segment).unwrap();
        let striping = Striping::new(filled).unwrap();
        (
            striping.lcd(),
            striping.start(s),
            striping.offsets(s).to_vec(),
        )
    }

    fn lanes(list: &[(i64, &[i64])]) -> Vec<(i64, Vec<i64>)> {
        list.iter().map(|&(s, o)| (s, o.to_vec())).collect()
    }

    /// The worked examples of the spec's §3.3 table.
    #[test]
    fn worked_examples() {
        assert_eq!(
            stripe("0,1/3,2/3,1"),
            (3, lanes(&[(0, &[3]), (1, &[3]), (2, &[3])]))
        );
        assert_eq!(
            stripe("0,1/2,3/4,1"),
            (4, lanes(&[(0, &[2, 2]), (1, &[4]), (3, &[4])]))
        );
        assert_eq!(stripe("0,1/3,1"), (3, lanes(&[(1, &[3]), (0, &[2, 1])])));
        assert_eq!(
            stripe("0,1/5,2/3,1"),
            (
                15,
                lanes(&[
                    (2, &[6, 6, 3]),
                    (0, &[3, 2, 2, 2, 2, 2, 2]),
                    (1, &[3, 2, 4, 2, 4])
                ])
            )
        );
        assert_eq!(
            stripe("0,3/10,1/2,3/5,1"),
            (
                10,
                lanes(&[
                    (1, &[3, 3, 4]),
                    (2, &[4, 6]),
                    (9, &[10]),
                    (0, &[3, 2, 3, 2])
                ])
            )
        );
        assert_eq!(stripe("0,1"), (1, lanes(&[(0, &[1])])));
        assert_eq!(
            Striping::full(),
            Striping::new(vec![Segment::full()]).unwrap()
        );
    }

    /// k6's unit-test vectors quoted in §3.3.
    #[test]
    fn k6_test_vectors() {
        let (lcd, got) = stripe("0,0.3,0.5,0.6,0.7,0.8,0.9,1");
        assert_eq!(lcd, 10);
        assert_eq!(got[0], (0, vec![4, 3, 3]));
        assert_eq!(got[1], (1, vec![4, 6]));
        assert_eq!(got[2], (2, vec![10]));
        assert_eq!(got[3], (3, vec![10]));
        assert_eq!(got[5], (8, vec![10]));
        assert_eq!(got[6], (9, vec![10]));

        let (lcd, got) = stripe("0,0.2,0.5");
        assert_eq!(lcd, 10);
        assert_eq!(got[0], (3, vec![6, 4]));
        assert_eq!(got[1], (1, vec![4, 2, 4]));

        assert_eq!(alone("0:0.2"), (5, 1, vec![5]));
        assert_eq!(alone("0:0.4"), (5, 1, vec![2, 3]));
        assert_eq!(alone("2/5:4/5"), (5, 1, vec![3, 2]));
        assert_eq!(alone("1/10:5/10"), (10, 1, vec![2, 2, 4, 2]));
    }

    #[test]
    fn counting_and_ownership() {
        let sequence = Sequence::parse("0,1/5,2/3,1").unwrap();
        let striping = Striping::new(fill(Some(&sequence), &Segment::full())).unwrap();
        let firsts: Vec<i64> = (0..4).map(|k| striping.nth(0, k).unwrap()).collect();
        assert_eq!(firsts, [2, 8, 14, 17]);
        assert!(striping.owns(1, 15) && !striping.owns(0, 15) && !striping.owns(1, -1));
        assert_eq!(striping.count_below(0, 18), 4);
        assert_eq!(striping.count_below(0, 17), 3);
        assert_eq!(striping.nth(1, i64::MAX), None);
        // Go truncation for negative values, like k6
        assert_eq!(striping.count_below(1, -1), 0);
        assert_eq!(striping.count_below(1, -31), -14);
    }

    #[test]
    fn refuses_huge_lcds() {
        let too_big = Segment::parse("0:1/10000019").unwrap();
        let err = Striping::new(fill(None, &too_big)).unwrap_err();
        assert_eq!(
            err,
            SegmentError::LcdTooLarge {
                sequence: "0,1/10000019,1".into(),
                lcd_at_least: 10_000_019,
                limit: MAX_LCD
            }
        );
        assert!(err.to_string().contains("more than the supported 10000000"));
        // two co-prime denominators whose product passes the limit
        let sequence = Sequence::parse("0,1/4001,1/2,4005/8006,1").unwrap();
        let err = Striping::new(fill(Some(&sequence), &Segment::full())).unwrap_err();
        assert!(matches!(err, SegmentError::LcdTooLarge { .. }), "{err}");
        // lengths that don't even fit 64 bits
        let sequence = Sequence::parse(&format!("0,1/{},1/{},1", i64::MAX, i64::MAX - 1)).unwrap();
        let err = Striping::new(fill(Some(&sequence), &Segment::full())).unwrap_err();
        assert!(matches!(
            err,
            SegmentError::LcdTooLarge {
                lcd_at_least: i64::MAX,
                ..
            }
        ));
        // the limit itself is fine
        let at_limit = Segment::parse(&format!("0:1/{MAX_LCD}")).unwrap();
        let striping = Striping::new(fill(None, &at_limit)).unwrap();
        assert_eq!(striping.lcd(), MAX_LCD);
        assert_eq!(striping.share(0), 1);
    }
}
