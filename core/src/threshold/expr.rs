//! Threshold expressions: `<aggregation> <operator> <number>`.
//!
//! As in k6, the operators are tried in the order `<=`, `<`, `>=`, `>`,
//! `===`, `==`, `!=` and the expression is split at the first occurrence
//! of the first one found; both sides are trimmed.

use std::fmt;

use super::error::ThresholdError;
use crate::metrics::{MetricType, Stat};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `<`
    Less,
    /// `<=`
    LessEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterEqual,
    /// `==` (and `===`)
    Equal,
    /// `!=`
    NotEqual,
}

const OPERATORS: [(&str, Operator); 7] = [
    ("<=", Operator::LessEqual),
    ("<", Operator::Less),
    (">=", Operator::GreaterEqual),
    (">", Operator::Greater),
    ("===", Operator::Equal),
    ("==", Operator::Equal),
    ("!=", Operator::NotEqual),
];

impl Operator {
    /// Whether `lhs <op> rhs` holds.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Operator::Less => lhs < rhs,
            Operator::LessEqual => lhs <= rhs,
            Operator::Greater => lhs > rhs,
            Operator::GreaterEqual => lhs >= rhs,
            Operator::Equal => lhs == rhs,
            Operator::NotEqual => lhs != rhs,
        }
    }
}

/// An aggregation method (k6's left-hand side).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aggregation {
    /// `count` (counter).
    Count,
    /// `rate` (counter, rate).
    Rate,
    /// `value` (gauge).
    Value,
    /// `avg` (trend).
    Avg,
    /// `min` (trend).
    Min,
    /// `max` (trend).
    Max,
    /// `med` (trend).
    Med,
    /// `p(N)` (trend); a bare `p` is `p(0)`, as in k6.
    Percentile(f64),
}

impl Aggregation {
    /// k6's token for the method (`p` for percentiles).
    pub fn token(self) -> &'static str {
        match self {
            Aggregation::Count => "count",
            Aggregation::Rate => "rate",
            Aggregation::Value => "value",
            Aggregation::Avg => "avg",
            Aggregation::Min => "min",
            Aggregation::Max => "max",
            Aggregation::Med => "med",
            Aggregation::Percentile(_) => "p",
        }
    }

    /// The sink statistic it reads.
    pub fn stat(self) -> Stat {
        match self {
            Aggregation::Count => Stat::Count,
            Aggregation::Rate => Stat::Rate,
            Aggregation::Value => Stat::Value,
            Aggregation::Avg => Stat::Avg,
            Aggregation::Min => Stat::Min,
            Aggregation::Max => Stat::Max,
            Aggregation::Med => Stat::Med,
            Aggregation::Percentile(n) => Stat::Percentile(n),
        }
    }

    /// The methods a metric type supports, in k6's order.
    pub fn supported(kind: MetricType) -> &'static [&'static str] {
        match kind {
            MetricType::Counter => &["count", "rate"],
            MetricType::Gauge => &["value"],
            MetricType::Rate => &["rate"],
            MetricType::Trend => &["avg", "min", "max", "med", "p"],
        }
    }

    /// Whether a metric of type `kind` has this method.
    pub fn applies_to(self, kind: MetricType) -> bool {
        Aggregation::supported(kind).contains(&self.token())
    }
}

/// A parsed threshold expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expression {
    /// The left-hand side.
    pub aggregation: Aggregation,
    /// The operator.
    pub operator: Operator,
    /// The right-hand side.
    pub value: f64,
}

/// A number as k6 reads it (observed: `1_0` is 10, `Inf` is infinity,
/// hexadecimal is refused).
fn parse_float(s: &str) -> Option<f64> {
    if s.starts_with('_') || s.ends_with('_') {
        return None;
    }
    s.replace('_', "").parse().ok()
}

impl Expression {
    /// Parses `input` with k6's scanner and messages.
    pub fn parse(input: &str) -> Result<Expression, ThresholdError> {
        let (lhs, operator, rhs) = OPERATORS
            .iter()
            .find_map(|&(tok, op)| input.split_once(tok).map(|(l, r)| (l.trim(), op, r.trim())))
            .filter(|(_, _, rhs)| !rhs.is_empty())
            .ok_or_else(|| ThresholdError::Malformed {
                input: input.to_owned(),
            })?;
        let aggregation = match lhs {
            "count" => Aggregation::Count,
            "rate" => Aggregation::Rate,
            "value" => Aggregation::Value,
            "avg" => Aggregation::Avg,
            "min" => Aggregation::Min,
            "max" => Aggregation::Max,
            "med" => Aggregation::Med,
            "p" => Aggregation::Percentile(0.0),
            _ => match lhs.strip_prefix("p(").and_then(|s| s.strip_suffix(')')) {
                Some(n) => Aggregation::Percentile(parse_float(n).ok_or_else(|| {
                    ThresholdError::Percentile {
                        input: input.to_owned(),
                        value: n.to_owned(),
                    }
                })?),
                None => {
                    return Err(ThresholdError::Method {
                        input: input.to_owned(),
                    })
                }
            },
        };
        let value = parse_float(rhs).ok_or_else(|| ThresholdError::Value {
            input: input.to_owned(),
            value: rhs.to_owned(),
        })?;
        Ok(Expression {
            aggregation,
            operator,
            value,
        })
    }
}

impl fmt::Display for Aggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aggregation::Percentile(n) => write!(f, "p({n})"),
            other => f.write_str(other.token()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        Expression::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn parses_every_form() {
        let e = Expression::parse(" p(99.9) <= 200 ").unwrap();
        assert_eq!(e.aggregation, Aggregation::Percentile(99.9));
        assert_eq!(e.operator, Operator::LessEqual);
        assert_eq!(e.value, 200.0);
        assert_eq!(
            Expression::parse("rate===1").unwrap().operator,
            Operator::Equal
        );
        assert_eq!(
            Expression::parse("count!=0").unwrap().operator,
            Operator::NotEqual
        );
        assert_eq!(Expression::parse("avg>=1e3").unwrap().value, 1000.0);
        assert!(Operator::NotEqual.holds(1.0, 2.0) && !Operator::Less.holds(2.0, 2.0));
    }

    #[test]
    fn errors_are_k6s() {
        assert_eq!(err("p(95)<"), "failed parsing threshold expression \"p(95)<\"; reason: malformed threshold expression");
        assert_eq!(
            err("avg< "),
            "failed parsing threshold expression \"avg< \"; reason: malformed threshold expression"
        );
        assert_eq!(err("<5"), "failed parsing threshold expression's \"<5\" left hand side; reason: failed parsing method from expression");
        assert_eq!(err("p()<1"), "failed parsing threshold expression's \"p()<1\" left hand side; reason: malformed percentile value; reason: strconv.ParseFloat: parsing \"\": invalid syntax");
        assert_eq!(err("avg<0x10"), "failed parsing threshold expresion's \"avg<0x10\" right hand side; reason: strconv.ParseFloat: parsing \"0x10\": invalid syntax");
        assert_eq!(Expression::parse("avg<1_0").unwrap().value, 10.0);
        assert_eq!(Expression::parse("avg<Inf").unwrap().value, f64::INFINITY);
        assert_eq!(
            Expression::parse("p<5").unwrap().aggregation,
            Aggregation::Percentile(0.0)
        );
        assert_eq!(
            err("avg~1"),
            "failed parsing threshold expression \"avg~1\"; reason: malformed threshold expression"
        );
        assert_eq!(err("p95<1"), "failed parsing threshold expression's \"p95<1\" left hand side; reason: failed parsing method from expression");
        assert_eq!(err("foo<1"), "failed parsing threshold expression's \"foo<1\" left hand side; reason: failed parsing method from expression");
        assert_eq!(err("p(abc)<1"), "failed parsing threshold expression's \"p(abc)<1\" left hand side; reason: malformed percentile value; reason: strconv.ParseFloat: parsing \"abc\": invalid syntax");
        assert_eq!(err("avg<abc"), "failed parsing threshold expresion's \"avg<abc\" right hand side; reason: strconv.ParseFloat: parsing \"abc\": invalid syntax");
    }
}
