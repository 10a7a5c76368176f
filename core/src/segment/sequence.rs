//! [`Sequence`]: k6's `ExecutionSegmentSequence`, and how it gets filled.

use std::fmt;
use std::str::FromStr;

use super::interval::{exact, parse_point};
use super::rational::Rat;
use super::{Segment, SegmentError};

/// An ordered chain of adjacent segments, written as its points:
/// `"0,1/3,2/3,1"` is `0:1/3, 1/3:2/3, 2/3:1`.
///
/// It need not start at 0 or end at 1; the gaps are filled when a
/// [`Tuple`](super::Tuple) is built (see [`Tuple::sequence`](super::Tuple::sequence)).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Sequence {
    segments: Vec<Segment>,
}

impl Sequence {
    /// Parses k6's `--execution-segment-sequence` syntax.
    ///
    /// The text is split on `,` (no trimming); each point is parsed like a
    /// [`Segment`] value, there must be at least 2 points, and each pair of
    /// consecutive points must form a valid segment (same checks and
    /// messages as [`Segment::parse`], e.g. `0,1/2,1/3` gives
    /// `segment start(0.50) must be less than its end(0.33)`).
    ///
    /// An **empty text gives an empty sequence** (no segments), like k6's nil
    /// sequence. k6 treats an explicitly given empty sequence as "given": no
    /// segment can be found in it, so [`Tuple::new`](super::Tuple::new) with
    /// it fails with `provided segment 0:1 can't be found in sequence ` —
    /// exactly what k6 v1.1.0 prints for `--execution-segment-sequence ""`.
    /// Callers that want "no sequence" pass `None` instead.
    pub fn parse(text: &str) -> Result<Sequence, SegmentError> {
        if text.is_empty() {
            return Ok(Sequence::default());
        }
        let given = text.split(',').count();
        if given < 2 {
            return Err(SegmentError::TooFewPoints { given });
        }
        let mut segments = Vec::with_capacity(given - 1);
        let mut previous: Option<Rat> = None;
        for point in text.split(',') {
            let value = exact(parse_point(point)?, point)?;
            if let Some(start) = previous {
                segments.push(Segment::new(start, value)?);
            }
            previous = Some(value);
        }
        Ok(Sequence { segments })
    }

    /// The segments, in order (empty only for a sequence parsed from `""`).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Wraps segments already known to be adjacent (re-segmentation).
    pub(crate) fn from_adjacent(segments: Vec<Segment>) -> Sequence {
        debug_assert!(segments.windows(2).all(|w| w[0].end() == w[1].start()));
        Sequence { segments }
    }
}

/// The points joined by `,`, reduced fractions: `0,1/3,2/3,1`.
impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(first) = self.segments.first() {
            write!(f, "{}", first.start())?;
        }
        for segment in &self.segments {
            write!(f, ",{}", segment.end())?;
        }
        Ok(())
    }
}

impl FromStr for Sequence {
    type Err = SegmentError;

    fn from_str(text: &str) -> Result<Sequence, SegmentError> {
        Sequence::parse(text)
    }
}

/// k6's `GetFilledExecutionSegmentSequence`: the given sequence, or just our
/// segment when there is none (`0:1` alone when that is full), with
/// `0:first.from` prepended and `last.to:1` appended when missing. The result
/// covers `(0, 1]` without gaps.
pub(crate) fn fill(sequence: Option<&Sequence>, segment: &Segment) -> Vec<Segment> {
    let mut result = match sequence {
        Some(sequence) if !sequence.segments.is_empty() => sequence.segments.clone(),
        _ => vec![segment.clone()],
    };
    let first = result[0].start();
    if first != Rat::ZERO {
        result.insert(0, Segment::new_unchecked(Rat::ZERO, first));
    }
    let last = result[result.len() - 1].end();
    if last != Rat::ONE {
        result.push(Segment::new_unchecked(last, Rat::ONE));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(text: &str) -> Sequence {
        Sequence::parse(text).unwrap()
    }

    fn err(text: &str) -> String {
        Sequence::parse(text).unwrap_err().to_string()
    }

    fn filled(sequence: Option<&str>, segment: &str) -> String {
        let sequence = sequence.map(seq);
        let segment = Segment::parse(segment).unwrap();
        let parts: Vec<String> = fill(sequence.as_ref(), &segment)
            .iter()
            .map(ToString::to_string)
            .collect();
        parts.join(", ")
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(seq("0,1/3,2/3,1").to_string(), "0,1/3,2/3,1");
        assert_eq!(seq("0,0.5,75%,1").to_string(), "0,1/2,3/4,1");
        assert_eq!(seq("0,1/3,2/3,1").segments().len(), 3);
        assert_eq!(seq("0,1/3,2/3,1").segments()[1].to_string(), "1/3:2/3");
        assert_eq!(seq("1/3,2/3").to_string(), "1/3,2/3");
        assert_eq!(seq("").segments(), &[]);
        assert_eq!(seq("").to_string(), "");
        assert_eq!("0,1".parse::<Sequence>().unwrap(), seq("0,100%"));
    }

    /// The sequence rows of the spec's §3.1 table, plus observed k6 messages.
    #[test]
    fn k6_error_messages() {
        assert_eq!(
            err("0"),
            "at least 2 points are needed for an execution segment sequence, 1 given"
        );
        assert_eq!(
            err("0,1/2,1/3"),
            "segment start(0.50) must be less than its end(0.33)"
        );
        assert_eq!(
            err("0, 1/3,1"),
            "' 1/3' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err("0,1/3,1,"),
            "'' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err("-1,1"),
            "segment start value must be at least 0 but was -1.00"
        );
        assert_eq!(
            err("0,2"),
            "segment end value can't be more than 1 but was 2.00"
        );
        assert_eq!(err("0,x%"), "'x%' is not a valid percentage");
        assert_eq!(
            Sequence::parse("0"),
            Err(SegmentError::TooFewPoints { given: 1 })
        );
        assert_eq!(
            Sequence::parse("0,1e-40"),
            Err(SegmentError::TooPrecise {
                value: "1e-40".into()
            })
        );
    }

    /// The spec's §3.2 examples.
    #[test]
    fn filling() {
        assert_eq!(filled(None, "1/3:2/3"), "0:1/3, 1/3:2/3, 2/3:1");
        assert_eq!(filled(None, "1/3"), "0:1/3, 1/3:1");
        assert_eq!(filled(None, "0.2:2/3"), "0:1/5, 1/5:2/3, 2/3:1");
        assert_eq!(filled(None, "50%:75%"), "0:1/2, 1/2:3/4, 3/4:1");
        assert_eq!(filled(None, ""), "0:1");
        assert_eq!(filled(None, "2/3:1"), "0:2/3, 2/3:1");
        assert_eq!(filled(Some("0,0.2,0.5"), "0:0.2"), "0:1/5, 1/5:1/2, 1/2:1");
        assert_eq!(filled(Some("1/3,2/3"), "1/3:2/3"), "0:1/3, 1/3:2/3, 2/3:1");
        assert_eq!(
            filled(Some("0,1/3,2/3,1"), "1/3:2/3"),
            "0:1/3, 1/3:2/3, 2/3:1"
        );
        assert_eq!(filled(Some(""), "1/3:2/3"), "0:1/3, 1/3:2/3, 2/3:1");
    }
}
