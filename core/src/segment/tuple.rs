//! [`Tuple`]: our segment inside its striped, filled sequence (k6's
//! `ExecutionTuple`), with scaling and re-segmentation.

use std::fmt;
use std::sync::Arc;

use super::index::SegmentedIndex;
use super::rational::Rat;
use super::sequence::{fill, Sequence};
use super::striping::Striping;
use super::{Segment, SegmentError};

/// This instance's view of the split: the filled sequence, its striping, and
/// which of its segments is ours. Built once per run from the
/// `executionSegment` / `executionSegmentSequence` options; executors scale
/// their numbers with it and re-segment it by a VU count (§3.5 of the spec).
///
/// Cloning is cheap (the striping is shared).
#[derive(Clone)]
pub struct Tuple {
    striping: Arc<Striping>,
    index: usize,
}

impl Tuple {
    /// The unsegmented run: `0:1` alone, which owns every index.
    pub fn full() -> Tuple {
        Tuple {
            striping: Arc::new(Striping::full()),
            index: 0,
        }
    }

    /// k6's `NewExecutionTuple`, with the option validation k6 does first.
    ///
    /// A missing segment means `0:1`. When a sequence is given, the segment
    /// must be one of *its* segments (the filled-in edges don't count), else
    /// [`SegmentError::NotInSequence`]. The filled sequence (§3.2) is then
    /// striped, which fails with [`SegmentError::LcdTooLarge`] when its
    /// lengths need a common denominator above [`MAX_LCD`](super::MAX_LCD).
    pub fn new(
        segment: Option<&Segment>,
        sequence: Option<&Sequence>,
    ) -> Result<Tuple, SegmentError> {
        let full = Segment::full();
        let segment = segment.unwrap_or(&full);
        let not_found = |sequence: &Sequence| SegmentError::NotInSequence {
            segment: segment.clone(),
            sequence: sequence.clone(),
        };
        if let Some(sequence) = sequence {
            if !sequence.segments().contains(segment) {
                return Err(not_found(sequence));
            }
        }
        let filled = fill(sequence, segment);
        // Always found: the segment is in the given sequence or is the seed.
        let Some(index) = filled.iter().position(|s| s == segment) else {
            return Err(not_found(&Sequence::from_adjacent(filled)));
        };
        Ok(Tuple {
            striping: Arc::new(Striping::new(filled)?),
            index,
        })
    }

    /// Our segment.
    pub fn segment(&self) -> &Segment {
        &self.striping.segments()[self.index]
    }

    /// The filled sequence (§3.2): adjacent segments covering `(0, 1]`, e.g.
    /// `0:1/3, 1/3:1` for the segment `1/3` given alone.
    pub fn sequence(&self) -> &[Segment] {
        self.striping.segments()
    }

    /// Our position in [`sequence`](Tuple::sequence).
    pub fn segment_index(&self) -> usize {
        self.index
    }

    /// The least common denominator of the filled sequence's lengths: the
    /// period of the striping.
    pub fn lcd(&self) -> i64 {
        self.striping.lcd()
    }

    /// Our first index in `[0, lcd)`.
    pub fn start(&self) -> i64 {
        self.striping.start(self.index)
    }

    /// Our cyclic gaps: from each of our indexes to the next, the last one
    /// wrapping to `start + lcd` (so they sum to `lcd`; there are
    /// `length × lcd` of them).
    pub fn offsets(&self) -> &[i64] {
        self.striping.offsets(self.index)
    }

    /// k6's `ExecutionTuple.ScaleInt64`: our share of `value`, i.e. how many
    /// of the indexes `0..value` are ours. Summed over all segments of the
    /// sequence it gives `value` back, and it never decreases as `value`
    /// grows. Unsegmented, it is `value`. (Negative values, which callers
    /// never pass, follow k6's Go arithmetic instead of panicking.)
    pub fn scale(&self, value: i64) -> i64 {
        if self.striping.segments().len() == 1 {
            return value;
        }
        self.striping.count_below(self.index, value)
    }

    /// k6's `GetNewExecutionTupleFromValue`: split `value` things (VUs) among
    /// the segments with [`scale`](Tuple::scale), and make each segment's new
    /// length its share `k_s / value` (segments with 0 dropped, order kept).
    /// Thirds re-segmented by 20 become `0,7/20,7/10,1`.
    ///
    /// Returns the same tuple when `value` is a multiple of the LCD, and
    /// `None` when `value < 1` or *our* segment gets 0 (k6 returns an error
    /// there; executors treat it as "no work").
    ///
    /// If the new sequence's LCD would exceed [`MAX_LCD`](super::MAX_LCD)
    /// (only possible for `value` above it), this returns the unchanged tuple
    /// instead: every instance falls back the same way, so the indexes are
    /// still partitioned exactly, just in proportion to the segment lengths
    /// rather than to the VU shares. Every segment still gets at least one
    /// VU there, since `value` exceeds the original LCD.
    pub fn resegment(&self, value: i64) -> Option<Tuple> {
        if value < 1 {
            return None;
        }
        if value % self.lcd() == 0 {
            return Some(self.clone());
        }
        let mut segments = Vec::with_capacity(self.sequence().len());
        let mut new_index = None;
        let mut taken = 0;
        for s in 0..self.sequence().len() {
            let share = self.striping.count_below(s, value);
            if share == 0 {
                continue;
            }
            if s == self.index {
                new_index = Some(segments.len());
            }
            // 0 <= taken < taken + share <= value: reduces and fits.
            let from = Rat::new(i128::from(taken), i128::from(value))?;
            taken += share;
            let to = Rat::new(i128::from(taken), i128::from(value))?;
            segments.push(Segment::new_unchecked(from, to));
        }
        let index = new_index?;
        match Striping::new(segments) {
            Ok(striping) => Some(Tuple {
                striping: Arc::new(striping),
                index,
            }),
            Err(_) => Some(self.clone()),
        }
    }

    /// Whether the 0-based global index (VU number − 1, iteration, tick)
    /// belongs to our segment.
    pub fn owns(&self, index: i64) -> bool {
        self.striping.owns(self.index, index)
    }

    /// A fresh [`SegmentedIndex`] over our indexes.
    pub fn index(&self) -> SegmentedIndex {
        SegmentedIndex::new(Arc::clone(&self.striping), self.index)
    }

    /// Our 0-based global indexes in order: `start`, `start + o₁`,
    /// `start + o₁ + o₂`, … (period `lcd`), until `i64::MAX`.
    pub fn global_indexes(&self) -> impl Iterator<Item = i64> + '_ {
        std::iter::successors(Some(0_i64), |k| k.checked_add(1))
            .map_while(move |k| self.striping.nth(self.index, k))
    }

    /// Our `k`-th 0-based global index (0-based `k`): what
    /// [`global_indexes`](Self::global_indexes) yields `k`-th, without
    /// walking there. With [`scale`](Self::scale), `scale(g)` is the
    /// position of our first index at or after `g`.
    pub fn global_index(&self, k: i64) -> Option<i64> {
        self.striping.nth(self.index, k)
    }
}

impl fmt::Debug for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The striping can be millions of entries long: summarise it.
        f.debug_struct("Tuple")
            .field("segment", &self.segment().to_string())
            .field(
                "sequence",
                &Sequence::from_adjacent(self.sequence().to_vec()).to_string(),
            )
            .field("lcd", &self.lcd())
            .field("start", &self.start())
            .field("offsets", &self.offsets().len())
            .finish()
    }
}

/// `1/3:2/3 in 0,1/3,2/3,1`, like k6's `ExecutionTuple.String`.
impl fmt::Display for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sequence = Sequence::from_adjacent(self.sequence().to_vec());
        write!(f, "{} in {}", self.segment(), sequence)
    }
}
