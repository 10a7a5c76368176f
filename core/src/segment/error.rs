//! [`SegmentError`]: everything segment parsing and tuple building can refuse.

use num_rational::Ratio;

use super::rational::float_string2;
use super::{Segment, Sequence};

/// Why an execution segment, sequence or tuple was refused.
///
/// The first seven variants print k6 v1.1.0's exact messages (numbers with two
/// decimals, like Go's `big.Rat.FloatString(2)`); the last two are k6r's own
/// limits, where k6 would overflow, panic or spin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// A value that is neither a percentage, a decimal nor a fraction.
    #[error("'{value}' is not a valid percentage, decimal, fraction or interval value")]
    InvalidValue {
        /// The offending text, as given.
        value: String,
    },
    /// A value ending in `%` whose rest is not a base-10 integer (`1.5%`).
    #[error("'{value}' is not a valid percentage")]
    InvalidPercentage {
        /// The offending text, including the `%`.
        value: String,
    },
    /// A segment (or sequence point) that starts below 0.
    #[error("segment start value must be at least 0 but was {}", float_string2(.start))]
    StartBelowZero {
        /// The segment's start.
        start: Ratio<i64>,
    },
    /// A segment whose start is not strictly before its end.
    #[error(
        "segment start({}) must be less than its end({})",
        float_string2(.start),
        float_string2(.end)
    )]
    StartNotBeforeEnd {
        /// The segment's start.
        start: Ratio<i64>,
        /// The segment's end.
        end: Ratio<i64>,
    },
    /// A segment that ends above 1.
    #[error("segment end value can't be more than 1 but was {}", float_string2(.end))]
    EndAboveOne {
        /// The segment's end.
        end: Ratio<i64>,
    },
    /// A sequence with fewer than two points.
    #[error("at least 2 points are needed for an execution segment sequence, {given} given")]
    TooFewPoints {
        /// How many comma-separated points there were.
        given: usize,
    },
    /// A sequence was given and the segment is not one of its segments
    /// (k6 reports this among its configuration problems, exit code 104).
    #[error("provided segment {segment} can't be found in sequence {sequence}")]
    NotInSequence {
        /// The segment (`0:1` when none was given).
        segment: Segment,
        /// The sequence as given (not filled).
        sequence: Sequence,
    },
    /// A valid value whose reduced numerator or denominator needs more than
    /// 64 bits (`1e-30`, `0:1/3` with 25-digit numbers). k6 accepts some of
    /// these and then overflows or panics; k6r refuses them up front.
    #[error(
        "'{value}' is too large or too precise: execution segment values must be \
         fractions whose reduced numerator and denominator fit in 64 bits"
    )]
    TooPrecise {
        /// The offending text.
        value: String,
    },
    /// The filled sequence needs a least common denominator above
    /// [`MAX_LCD`](super::MAX_LCD): the striping work and memory are
    /// proportional to it (k6 would spin or run out of memory).
    #[error(
        "execution segment sequence {sequence} needs a common denominator of at \
         least {lcd_at_least} for its segment lengths, more than the supported {limit}: \
         striping takes time and memory proportional to it, so use segment bounds \
         with smaller denominators"
    )]
    LcdTooLarge {
        /// The filled sequence.
        sequence: String,
        /// A lower bound of the LCD (the exact value once it passed the limit,
        /// or `i64::MAX` when it would not even fit 64 bits).
        lcd_at_least: i64,
        /// The limit, [`MAX_LCD`](super::MAX_LCD).
        limit: i64,
    },
}
