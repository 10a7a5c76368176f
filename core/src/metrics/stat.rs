//! The statistics a sink can report ([`Stat`]), named as k6 names them in
//! thresholds (`p(95)`, `count`) and in `summaryTrendStats`.

use std::fmt;

/// One statistic of a sink.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stat {
    /// Counter: the sum of values. Trend: the number of values.
    Count,
    /// Counter: count per second of test. Rate: the share of non-zero
    /// values.
    Rate,
    /// Gauge: the last value.
    Value,
    /// Gauge, trend: the smallest value.
    Min,
    /// Gauge, trend: the largest value (a gauge's starts at 0, as k6's).
    Max,
    /// Trend: the mean.
    Avg,
    /// Trend: the median (`p(50)`).
    Med,
    /// Trend: the sum of values.
    Sum,
    /// Trend: the percentile `N` of `p(N)`, `N` in `0..=100`.
    Percentile(f64),
    /// Rate: how many values were non-zero.
    Passes,
    /// Rate: how many values were zero.
    Fails,
}

impl Stat {
    /// A trend stat as `summaryTrendStats` spells it (`avg`, `min`, `med`,
    /// `max`, `count`, `sum`, `p(N)`), or `None`.
    pub fn parse_trend(s: &str) -> Option<Stat> {
        Some(match s {
            "avg" => Stat::Avg,
            "min" => Stat::Min,
            "med" => Stat::Med,
            "max" => Stat::Max,
            "count" => Stat::Count,
            "sum" => Stat::Sum,
            _ => {
                let n = s.strip_prefix("p(")?.strip_suffix(')')?;
                let n: f64 = n.parse().ok()?;
                if !(0.0..=100.0).contains(&n) {
                    return None;
                }
                Stat::Percentile(n)
            }
        })
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Count => f.write_str("count"),
            Stat::Rate => f.write_str("rate"),
            Stat::Value => f.write_str("value"),
            Stat::Min => f.write_str("min"),
            Stat::Max => f.write_str("max"),
            Stat::Avg => f.write_str("avg"),
            Stat::Med => f.write_str("med"),
            Stat::Sum => f.write_str("sum"),
            Stat::Percentile(n) => write!(f, "p({n})"),
            Stat::Passes => f.write_str("passes"),
            Stat::Fails => f.write_str("fails"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_stats_parse() {
        assert_eq!(Stat::parse_trend("p(99.9)"), Some(Stat::Percentile(99.9)));
        assert_eq!(Stat::parse_trend("med"), Some(Stat::Med));
        assert_eq!(Stat::parse_trend("p(101)"), None);
        assert_eq!(Stat::parse_trend("p95"), None);
        assert_eq!(Stat::Percentile(95.0).to_string(), "p(95)");
    }
}
