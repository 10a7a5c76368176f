//! Execution segments: how one test is split across instances without a
//! scheduler, exactly like k6 v1.1.0 (`lib/execution_segment.go`).
//!
//! Each instance is given a [`Segment`] `(from, to]` of the whole test
//! (`--execution-segment 1/3:2/3`) and, usually, the [`Sequence`] of all
//! instances' segments (`--execution-segment-sequence 0,1/3,2/3,1`). From that
//! alone every instance computes, identically and independently, which VU
//! numbers, iteration numbers and arrival-rate ticks are its own. The rules:
//!
//! 1. **Filling** — the sequence (or the lone segment) is completed with
//!    `0:from` and `to:1` pieces so that it covers `(0, 1]` (§3.2).
//! 2. **Striping** — every global index `i >= 0` is given to exactly one
//!    segment; the pattern repeats every `LCD` indexes (the least common
//!    denominator of the lengths), within which segment `s` gets exactly
//!    `length_s × LCD` indexes spread evenly (see `striping.rs`, §3.3).
//! 3. **Scaling** — an instance's share of any integer `v` (VUs, iterations)
//!    is the number of its indexes below `v` ([`Tuple::scale`], k6's
//!    `ScaleInt64`). Shares always sum to `v` across the sequence and never
//!    decrease as `v` grows, so no VU is lost or doubled.
//! 4. **Re-segmentation** — some executors split `v` VUs first, then split
//!    their iterations/ticks in proportion to the VUs each instance got
//!    ([`Tuple::resegment`], §3.4).
//! 5. **Indexing** — [`SegmentedIndex`] walks an instance's indexes as 1-based
//!    `(scaled, unscaled)` pairs: local and global VU ids, iteration numbers.
//!
//! All arithmetic is exact and checked: values are fractions with `i64`
//! parts, anything larger is refused with [`SegmentError::TooPrecise`], and a
//! filled sequence whose LCD exceeds [`MAX_LCD`] is refused with
//! [`SegmentError::LcdTooLarge`] because striping costs `O(LCD)` time and
//! memory (k6 itself would spin, overflow or panic there). No input panics.
//!
//! # Layout
//! - `interval.rs`: [`Segment`], its k6 syntax and checks.
//! - `parse.rs`: Go's `big.Rat`/`big.Int` number syntax, which k6 uses.
//! - `rational.rs`: the overflow-checked rational behind everything.
//! - `sequence.rs`: [`Sequence`] and filling.
//! - `striping.rs`: the striping algorithm and [`MAX_LCD`].
//! - `tuple.rs`: [`Tuple`]: scaling, ownership, re-segmentation.
//! - `index.rs`: [`SegmentedIndex`].
//! - `error.rs`: [`SegmentError`], with k6's messages.
//!
//! Section numbers (§) refer to the k6 v1.1 behaviour reference
//! (`shared/spec/k6-v1.1.md`).

mod error;
mod index;
mod interval;
mod parse;
mod rational;
mod sequence;
mod striping;
mod tuple;

#[cfg(test)]
mod examples;
#[cfg(test)]
mod proptests;

pub use error::SegmentError;
pub use index::SegmentedIndex;
pub use interval::Segment;
pub use sequence::Sequence;
pub use striping::MAX_LCD;
pub use tuple::Tuple;
