//! The end-of-test summary (§6.5–§6.7 of the reference), built from the
//! [`Registry`](crate::metrics::Registry) and the run's
//! [`Thresholds`](crate::threshold::Thresholds): k6's text layout (compact
//! and full modes), the `--summary-export` JSON and the `data` object
//! handed to `handleSummary`. Everything here is a pure function of those
//! inputs, [`Options`] and the [`RunFacts`].
//!
//! # Layout
//! - [`format`](mod@format): k6's number, duration and size formatting.
//! - [`view`]: which metrics are shown, their values, k6's sections and
//!   ordering.
//! - [`text`]: the text summary ([`text::render`]) and k6r's [`BANNER`].
//! - [`export`]: the `--summary-export` JSON ([`export::summary_export`]).
//! - [`data`]: `handleSummary`'s `data` ([`data::handle_summary_data`]).
//! - [`groups`]: the `root_group` tree with k6's md5 ids.

pub mod data;
pub mod export;
pub mod format;
pub mod groups;
pub mod text;
pub mod view;

use std::time::Duration;

use crate::metrics::Stat;

pub use text::BANNER;

/// k6's default `summaryTrendStats`.
pub const DEFAULT_TREND_STATS: [&str; 6] = ["avg", "min", "med", "max", "p(90)", "p(95)"];

/// Which text layout to render.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Totals only (k6's default).
    #[default]
    Compact,
    /// Totals plus per-group and per-scenario sections.
    Full,
}

/// `summaryTimeUnit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// `s`
    Seconds,
    /// `ms`
    Milliseconds,
    /// `us` (shown as `µs`)
    Microseconds,
}

impl TimeUnit {
    /// As the option spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Milliseconds => "ms",
            TimeUnit::Microseconds => "us",
        }
    }
}

/// Bad summary options, with k6's messages.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    /// An unknown `summaryTrendStats` entry.
    #[error("invalid trend stat '{0}', unknown format")]
    TrendStat(String),
    /// An unknown `summaryTimeUnit`.
    #[error("invalid summary time unit '{0}', use 's', 'ms' or 'us'")]
    TimeUnit(String),
    /// An unknown `--summary-mode`.
    #[error("invalid summary mode")]
    Mode(String),
    /// k6's `legacy` mode, which k6r does not render.
    #[error("summary mode 'legacy' is not supported by k6r, use 'compact' or 'full'")]
    Legacy,
}

/// The options that shape the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Text layout.
    pub mode: Mode,
    /// `summaryTrendStats` as written, with their parsed statistics.
    pub trend_stats: Vec<(String, Stat)>,
    /// `summaryTimeUnit`, if set.
    pub time_unit: Option<TimeUnit>,
    /// Colours refused (`--no-color`, `NO_COLOR`, `K6_NO_COLOR`): the
    /// text is plain even on a terminal, and `handleSummary`'s data says
    /// so.
    pub no_color: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options::new(None, None, None).expect("the defaults are valid")
    }
}

impl Options {
    /// Validates the options (`None` means k6's default).
    pub fn new(
        trend_stats: Option<&[String]>,
        time_unit: Option<&str>,
        mode: Option<&str>,
    ) -> Result<Options, SummaryError> {
        let defaults: Vec<String> = DEFAULT_TREND_STATS.iter().map(|s| s.to_string()).collect();
        let trend_stats = trend_stats
            .unwrap_or(&defaults)
            .iter()
            .map(|s| match Stat::parse_trend(s) {
                Some(Stat::Sum) | None => Err(SummaryError::TrendStat(s.clone())),
                Some(stat) => Ok((s.clone(), stat)),
            })
            .collect::<Result<_, _>>()?;
        let time_unit = match time_unit {
            None | Some("") => None,
            Some("s") => Some(TimeUnit::Seconds),
            Some("ms") => Some(TimeUnit::Milliseconds),
            Some("us") => Some(TimeUnit::Microseconds),
            Some(other) => return Err(SummaryError::TimeUnit(other.to_owned())),
        };
        let mode = match mode {
            None | Some("") | Some("compact") => Mode::Compact,
            Some("full") => Mode::Full,
            Some("legacy") => return Err(SummaryError::Legacy),
            Some(other) => return Err(SummaryError::Mode(other.to_owned())),
        };
        Ok(Options {
            mode,
            trend_stats,
            time_unit,
            no_color: false,
        })
    }
}

/// Facts about the finished run that the summary reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunFacts {
    /// How long the test ran (counter rates divide by it).
    pub duration: Duration,
    /// Whether stdout is a terminal.
    pub is_stdout_tty: bool,
    /// Whether stderr is a terminal.
    pub is_stderr_tty: bool,
    /// What `setup()` returned, if anything.
    pub setup_data: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_validate_with_k6s_messages() {
        let o = Options::default();
        assert_eq!(o.trend_stats.len(), 6);
        assert_eq!(
            o.trend_stats[5],
            ("p(95)".to_string(), Stat::Percentile(95.0))
        );
        let bad = |s: &str| {
            Options::new(Some(&[s.to_string()]), None, None)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(bad("sum"), "invalid trend stat 'sum', unknown format");
        assert_eq!(bad("foo"), "invalid trend stat 'foo', unknown format");
        assert_eq!(
            Options::new(None, Some("h"), None).unwrap_err().to_string(),
            "invalid summary time unit 'h', use 's', 'ms' or 'us'"
        );
        assert_eq!(
            Options::new(None, None, Some("bogus"))
                .unwrap_err()
                .to_string(),
            "invalid summary mode"
        );
        assert_eq!(
            Options::new(None, Some("us"), Some("full")).unwrap().mode,
            Mode::Full
        );
    }
}
