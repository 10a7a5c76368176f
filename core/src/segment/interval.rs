//! [`Segment`]: one `(from, to]` slice of the whole test, k6's `ExecutionSegment`.

use std::fmt;
use std::str::FromStr;

use num_rational::Ratio;

use super::parse::{parse_value, Parsed, Syntax};
use super::rational::Rat;
use super::SegmentError;

/// An execution segment: the interval `(from, to]` of the whole test's work,
/// with exact rationals and `0 <= from < to <= 1`. `0:1` is the whole test.
///
/// Equality is value equality (`2/4:75%` equals `1/2:3/4`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    from: Rat,
    to: Rat,
}

impl Segment {
    /// The whole test, `0:1`.
    pub fn full() -> Segment {
        Segment {
            from: Rat::ZERO,
            to: Rat::ONE,
        }
    }

    /// Parses k6's `--execution-segment` syntax.
    ///
    /// `""` is `0:1`; a text with `:` is split once into `from:to`, otherwise
    /// it is `to` and `from` is 0. Each value is a percentage (`25%`, an
    /// integer before the `%`), or anything Go's `big.Rat.SetString` accepts
    /// (`1/3`, `0.25`, `1e-2`, …). The text is *not* trimmed: k6 refuses
    /// `" 1/3"`. Checks, in k6's order: the start is at least 0, the start is
    /// below the end, the end is at most 1.
    pub fn parse(text: &str) -> Result<Segment, SegmentError> {
        let text = if text.is_empty() { "1" } else { text };
        let (from_text, to_text) = text.split_once(':').unwrap_or(("0", text));
        let from = parse_point(from_text)?;
        let to = parse_point(to_text)?;
        Segment::new(exact(from, from_text)?, exact(to, to_text)?)
    }

    /// k6's `NewExecutionSegment`: validates `0 <= from < to <= 1`.
    pub(crate) fn new(from: Rat, to: Rat) -> Result<Segment, SegmentError> {
        if from < Rat::ZERO {
            return Err(SegmentError::StartBelowZero {
                start: from.to_ratio(),
            });
        }
        if from >= to {
            return Err(SegmentError::StartNotBeforeEnd {
                start: from.to_ratio(),
                end: to.to_ratio(),
            });
        }
        if to > Rat::ONE {
            return Err(SegmentError::EndAboveOne { end: to.to_ratio() });
        }
        Ok(Segment { from, to })
    }

    /// Builds a segment the caller knows to be valid (filling the edges of
    /// a sequence, re-segmentation).
    pub(crate) fn new_unchecked(from: Rat, to: Rat) -> Segment {
        debug_assert!(Rat::ZERO <= from && from < to && to <= Rat::ONE);
        Segment { from, to }
    }

    /// Whether this is the whole test, `0:1`.
    pub fn is_full(&self) -> bool {
        self.from == Rat::ZERO && self.to == Rat::ONE
    }

    /// The segment's length in percent (`33.33…` for `1/3`); the banner
    /// prints it with two decimals: `scenarios: (33.33%) …`.
    pub fn length_percent(&self) -> f64 {
        // exact in i128 (no narrowing needed), one division at the end
        let num = i128::from(self.to.num()) * i128::from(self.from.den())
            - i128::from(self.from.num()) * i128::from(self.to.den());
        let den = i128::from(self.to.den()) * i128::from(self.from.den());
        num as f64 * 100.0 / den as f64
    }

    /// The exact bounds `(from, to)`.
    pub fn bounds(&self) -> (Ratio<i64>, Ratio<i64>) {
        (self.from.to_ratio(), self.to.to_ratio())
    }

    pub(crate) fn start(&self) -> Rat {
        self.from
    }

    pub(crate) fn end(&self) -> Rat {
        self.to
    }
}

impl Default for Segment {
    /// The whole test, `0:1`.
    fn default() -> Segment {
        Segment::full()
    }
}

/// Reduced fractions, `from:to`, like k6: `1/3:1/2`, `0:1`.
impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.from, self.to)
    }
}

impl FromStr for Segment {
    type Err = SegmentError;

    fn from_str(text: &str) -> Result<Segment, SegmentError> {
        Segment::parse(text)
    }
}

/// One value with k6's messages for syntax errors.
pub(crate) fn parse_point(text: &str) -> Result<Parsed, SegmentError> {
    parse_value(text).map_err(|syntax| {
        let value = text.to_owned();
        match syntax {
            Syntax::Percentage => SegmentError::InvalidPercentage { value },
            Syntax::Value => SegmentError::InvalidValue { value },
        }
    })
}

/// The exact value, or [`SegmentError::TooPrecise`] naming `text`.
pub(crate) fn exact(parsed: Parsed, text: &str) -> Result<Rat, SegmentError> {
    match parsed {
        Parsed::Exact(value) => Ok(value),
        Parsed::TooPrecise => Err(SegmentError::TooPrecise {
            value: text.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> Segment {
        Segment::parse(text).unwrap()
    }

    fn err(text: &str) -> String {
        Segment::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn k6_syntax() {
        assert_eq!(seg(""), Segment::full());
        assert!(seg("").is_full());
        assert!(seg("1").is_full());
        assert!(seg("0:100%").is_full());
        assert_eq!(seg("1/3").to_string(), "0:1/3");
        assert_eq!(seg("0.25").to_string(), "0:1/4");
        assert_eq!(seg("25%").to_string(), "0:1/4");
        assert_eq!(seg("2/4:75%").to_string(), "1/2:3/4");
        assert_eq!(seg("2/4:75%"), seg("0.5:0.75"));
        assert_eq!(seg("50%:75%"), seg("1/2:3/4"));
        assert_eq!(seg("1/3:2/3").to_string(), "1/3:2/3");
        assert_eq!(seg("-0:1/3").to_string(), "0:1/3");
        assert_eq!(Segment::full().to_string(), "0:1");
        assert_eq!(Segment::default(), Segment::full());
        assert_eq!("1/3:1/2".parse::<Segment>().unwrap().to_string(), "1/3:1/2");
        let (from, to) = seg("1/3:1/2").bounds();
        assert_eq!((from, to), (Ratio::new(1, 3), Ratio::new(1, 2)));
    }

    #[test]
    fn length_percent() {
        assert_eq!(format!("{:.2}", seg("1/3").length_percent()), "33.33");
        assert_eq!(format!("{:.2}", seg("2/3:1").length_percent()), "33.33");
        assert_eq!(format!("{:.2}", Segment::full().length_percent()), "100.00");
        assert_eq!(seg("50%:75%").length_percent(), 25.0);
    }

    /// Every message of the spec's §3.1 table that concerns one segment.
    #[test]
    fn k6_error_messages() {
        assert_eq!(
            err("2/3:1/3"),
            "segment start(0.67) must be less than its end(0.33)"
        );
        assert_eq!(
            err("1.5"),
            "segment end value can't be more than 1 but was 1.50"
        );
        assert_eq!(
            err("-1:1"),
            "segment start value must be at least 0 but was -1.00"
        );
        assert_eq!(
            err("abc"),
            "'abc' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err("5%x"),
            "'5%x' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err("0"),
            "segment start(0.00) must be less than its end(0.00)"
        );
        assert_eq!(
            err("0:0"),
            "segment start(0.00) must be less than its end(0.00)"
        );
        assert_eq!(err("x%"), "'x%' is not a valid percentage");
        // observed with k6 v1.1.0
        assert_eq!(
            err(" 1/3"),
            "' 1/3' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err("1/3:"),
            "'' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err(":1/3"),
            "'' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err("a:b"),
            "'a' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(
            err("1/3:1/2:1"),
            "'1/2:1' is not a valid percentage, decimal, fraction or interval value"
        );
        assert_eq!(err("1.5%"), "'1.5%' is not a valid percentage");
        assert_eq!(
            err("5."),
            "segment end value can't be more than 1 but was 5.00"
        );
        assert_eq!(
            err("1/8:1/8"),
            "segment start(0.13) must be less than its end(0.13)"
        );
        assert_eq!(
            err("-1/1000:1"),
            "segment start value must be at least 0 but was -0.00"
        );
        assert_eq!(
            err("-0.005:1"),
            "segment start value must be at least 0 but was -0.01"
        );
        // the start is checked before the order, the order before the end
        assert_eq!(
            err("-1:2"),
            "segment start value must be at least 0 but was -1.00"
        );
        assert_eq!(
            err("3:2"),
            "segment start(3.00) must be less than its end(2.00)"
        );
    }

    #[test]
    fn structured_errors_and_limits() {
        assert_eq!(
            Segment::parse("1.5"),
            Err(SegmentError::EndAboveOne {
                end: Ratio::new(3, 2)
            })
        );
        assert_eq!(
            Segment::parse("0:1e-999"),
            Err(SegmentError::TooPrecise {
                value: "1e-999".into()
            })
        );
        // a syntax error in `to` wins over an out-of-range `from`, as in k6
        assert_eq!(
            Segment::parse("1e-999:abc"),
            Err(SegmentError::InvalidValue {
                value: "abc".into()
            })
        );
        assert!(err("1e-30").contains("too large or too precise"));
    }
}
