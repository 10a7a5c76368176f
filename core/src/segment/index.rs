//! [`SegmentedIndex`]: k6's iterator over one segment's indexes.

use std::fmt;
use std::sync::Arc;

use super::striping::Striping;

/// An iterator over our segment's indexes, yielding `(scaled, unscaled)`
/// pairs, both **1-based**: `scaled` counts our elements (1, 2, 3, …) and
/// `unscaled` is the matching global number (our global index + 1).
///
/// Executors use it for VU ids (`scaled` = `__VU`, `unscaled` =
/// `exec.vu.idInTest`), iteration counters (`scaled − 1` /
/// `unscaled − 1`) and ramping-vus steps. Unlike k6's, this one computes each
/// position directly from the striping, so `go_to` is `O(log n)` and nothing
/// overflows: past `i64::MAX` the unscaled value saturates.
#[derive(Clone)]
pub struct SegmentedIndex {
    striping: Arc<Striping>,
    segment: usize,
    /// How many of our elements are at or before the current position.
    scaled: i64,
}

impl SegmentedIndex {
    pub(crate) fn new(striping: Arc<Striping>, segment: usize) -> SegmentedIndex {
        SegmentedIndex {
            striping,
            segment,
            scaled: 0,
        }
    }

    /// Advances to our next element. The first call gives `(1, start + 1)`,
    /// each further call adds the next offset (cyclically) to `unscaled`.
    ///
    /// Named after k6's `Next`; not an [`Iterator`] because it never ends and
    /// also moves backwards ([`prev`](SegmentedIndex::prev),
    /// [`go_to`](SegmentedIndex::go_to)). Use
    /// [`Tuple::global_indexes`](super::Tuple::global_indexes) for iteration.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> (i64, i64) {
        self.scaled = self.scaled.saturating_add(1);
        self.current()
    }

    /// Undoes one [`next`](SegmentedIndex::next). Before the first element it
    /// stays at `(0, 0)` (k6 leaves that case undefined).
    pub fn prev(&mut self) -> (i64, i64) {
        self.scaled = (self.scaled - 1).max(0);
        self.current()
    }

    /// Positions on the largest of our elements whose unscaled value is
    /// `<= value`, and returns it; `(0, 0)` if there is none (before our
    /// first element). `scaled` is then [`Tuple::scale`](super::Tuple::scale)`(value)`.
    pub fn go_to(&mut self, value: i64) -> (i64, i64) {
        // unscaled <= value  ⇔  0-based index < value
        self.scaled = if value <= 0 {
            0
        } else {
            self.striping.count_below(self.segment, value)
        };
        self.current()
    }

    /// The current `(scaled, unscaled)` pair without moving; `(0, 0)` before
    /// the first element.
    pub fn current(&self) -> (i64, i64) {
        if self.scaled == 0 {
            return (0, 0);
        }
        let unscaled = self
            .striping
            .nth(self.segment, self.scaled - 1)
            .and_then(|index| index.checked_add(1))
            .unwrap_or(i64::MAX);
        (self.scaled, unscaled)
    }
}

impl fmt::Debug for SegmentedIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scaled, unscaled) = self.current();
        f.debug_struct("SegmentedIndex")
            .field(
                "segment",
                &self.striping.segments()[self.segment].to_string(),
            )
            .field("scaled", &scaled)
            .field("unscaled", &unscaled)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::segment::{Segment, Sequence, Tuple};

    fn thirds(segment: &str) -> Tuple {
        let sequence = Sequence::parse("0,1/3,2/3,1").unwrap();
        Tuple::new(Some(&Segment::parse(segment).unwrap()), Some(&sequence)).unwrap()
    }

    #[test]
    fn next_and_prev() {
        let mut index = thirds("1/3:2/3").index();
        assert_eq!(index.current(), (0, 0));
        assert_eq!(index.next(), (1, 2));
        assert_eq!(index.next(), (2, 5));
        assert_eq!(index.next(), (3, 8));
        assert_eq!(index.prev(), (2, 5));
        assert_eq!(index.prev(), (1, 2));
        assert_eq!(index.prev(), (0, 0));
        assert_eq!(index.prev(), (0, 0));
        assert_eq!(index.next(), (1, 2));

        // uneven offsets cycle: 0:1/2 of 0,1/2,3/4,1 is 0,2,4,…; 1/2:3/4 is 1,5,9,…
        let sequence = Sequence::parse("0,1/2,3/4,1").unwrap();
        let tuple = Tuple::new(Some(&Segment::parse("1/2:3/4").unwrap()), Some(&sequence)).unwrap();
        let mut index = tuple.index();
        let got: Vec<_> = (0..3).map(|_| index.next()).collect();
        assert_eq!(got, [(1, 2), (2, 6), (3, 10)]);

        // segment 0:1/5 of 0,1/5,2/3,1: indexes 2,8,14,17,… (offsets 6,6,3)
        let sequence = Sequence::parse("0,1/5,2/3,1").unwrap();
        let tuple = Tuple::new(Some(&Segment::parse("0:1/5").unwrap()), Some(&sequence)).unwrap();
        let mut index = tuple.index();
        let got: Vec<_> = (0..5).map(|_| index.next().1).collect();
        assert_eq!(got, [3, 9, 15, 18, 24]);
        assert_eq!(index.prev(), (4, 18));
        assert_eq!(index.prev(), (3, 15));
    }

    #[test]
    fn go_to() {
        let tuple = thirds("1/3:2/3"); // unscaled 2, 5, 8, 11, …
        let mut index = tuple.index();
        // before the first element
        assert_eq!(index.go_to(0), (0, 0));
        assert_eq!(index.go_to(1), (0, 0));
        assert_eq!(index.go_to(-5), (0, 0));
        // on and between elements
        assert_eq!(index.go_to(2), (1, 2));
        assert_eq!(index.go_to(4), (1, 2));
        assert_eq!(index.go_to(5), (2, 5));
        assert_eq!(index.go_to(10), (3, 8));
        assert_eq!(index.go_to(11), (4, 11));
        // continues from there
        assert_eq!(index.next(), (5, 14));
        assert_eq!(index.go_to(7), (2, 5));
        assert_eq!(index.prev(), (1, 2));
        assert_eq!(index.go_to(3_000_000_002), (1_000_000_001, 3_000_000_002));

        // whole cycles plus a partial one, uneven offsets (0:1/5 → 2,8,14 mod 15)
        let sequence = Sequence::parse("0,1/5,2/3,1").unwrap();
        let tuple = Tuple::new(Some(&Segment::parse("0:1/5").unwrap()), Some(&sequence)).unwrap();
        let mut index = tuple.index();
        assert_eq!(index.go_to(2), (0, 0));
        assert_eq!(index.go_to(3), (1, 3));
        assert_eq!(index.go_to(15), (3, 15));
        assert_eq!(index.go_to(17), (3, 15));
        assert_eq!(index.go_to(18), (4, 18));
        assert_eq!(index.go_to(32), (6, 30));
        assert_eq!(index.go_to(33), (7, 33));
        for value in 0..100 {
            assert_eq!(index.go_to(value).0, tuple.scale(value.max(0)));
        }
    }

    #[test]
    fn unsegmented_and_extremes() {
        let mut index = Tuple::full().index();
        assert_eq!(index.next(), (1, 1));
        assert_eq!(index.next(), (2, 2));
        assert_eq!(index.go_to(7), (7, 7));
        assert_eq!(index.go_to(i64::MAX), (i64::MAX, i64::MAX));
        assert_eq!(index.next(), (i64::MAX, i64::MAX));

        let mut index = thirds("2/3:1").index();
        let (scaled, unscaled) = index.go_to(i64::MAX);
        assert_eq!(scaled, thirds("2/3:1").scale(i64::MAX));
        assert_eq!(unscaled % 3, 0); // 0-based indexes 2, 5, 8, … → unscaled 3, 6, 9, …
        assert_eq!(index.next().1, i64::MAX); // saturates instead of overflowing
        assert!(format!("{index:?}").contains("2/3:1"));
    }
}
