//! [`Report`]: the autopilot's outcome and every window it measured, as
//! the summary prints it, `--autopilot-report` writes it and
//! `GET /v1/autopilot` serves it.

use serde::{Deserialize, Serialize};

use super::search::Phase;
use super::window::SloValue;

/// What limits the rate: serialised as `"generator"` or the SLO as
/// written (the reason a generator is saturated is in the verdict and the
/// window's outcome).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Limit {
    /// An SLO broke (the target's capacity): the SLO as written.
    Slo(String),
    /// The load generator could not produce the rate: why.
    Generator(String),
}

/// One measured window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowRecord {
    /// Its start, seconds from the run's start.
    pub from_s: f64,
    /// Its end.
    pub to_s: f64,
    /// The search's phase.
    pub phase: Phase,
    /// The rate asked for, per second.
    pub rate: f64,
    /// Complete iterations per second.
    pub achieved: f64,
    /// `http_req_duration`'s p(95), ms.
    pub p95: Option<f64>,
    /// `http_req_failed`'s rate.
    pub error_rate: Option<f64>,
    /// Iterations that could not start.
    pub dropped: f64,
    /// The busiest load generator's share of its cores (0–1).
    pub cpu: Option<f64>,
    /// Each SLO.
    pub slos: Vec<SloValue>,
    /// `held`, `breached: SLO` or `generator: why`.
    pub outcome: String,
    /// The rate set after it.
    pub next_rate: f64,
}

/// The autopilot's outcome so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The scenario it steers.
    pub scenario: String,
    /// The SLOs, as written.
    pub slos: Vec<String>,
    /// Where the search is.
    pub phase: Phase,
    /// The rate it runs now, per second.
    pub rate: f64,
    /// The highest rate at which every SLO held (`None`: none did yet).
    pub knee_rate: Option<f64>,
    /// The rate held once the knee was found.
    pub held_rate: Option<f64>,
    /// What limits the rate (`None`: nothing yet).
    pub limiting: Option<Limit>,
    /// One line: the outcome in words.
    pub verdict: String,
    /// Every window, in order.
    pub windows: Vec<WindowRecord>,
}

impl From<Limit> for String {
    fn from(limit: Limit) -> String {
        limit.short().to_string()
    }
}

impl From<String> for Limit {
    fn from(text: String) -> Limit {
        if text == "generator" {
            Limit::Generator(String::new())
        } else {
            Limit::Slo(text)
        }
    }
}

impl Limit {
    /// `generator` or the SLO as written, as the report's `limiting` says.
    pub fn short(&self) -> &str {
        match self {
            Limit::Slo(slo) => slo,
            Limit::Generator(_) => "generator",
        }
    }
}

/// A rate as the summary shows it: whole, or with up to 2 decimals.
pub fn rate_text(rate: f64) -> String {
    let rounded = (rate * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}/s")
    } else {
        format!("{rounded}/s")
    }
}

impl Report {
    /// The lines of the end-of-test summary's AUTOPILOT block (without
    /// indentation): the outcome, then a line per window.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("scenario {} under {}", self.scenario, self.slos.join(", ")),
            self.verdict.clone(),
        ];
        for w in &self.windows {
            let p95 = w.p95.map_or("-".into(), |v| format!("{v:.1}ms"));
            let errors = w
                .error_rate
                .map_or("-".into(), |v| format!("{:.2}%", v * 100.0));
            let cpu = w.cpu.map_or("-".into(), |v| format!("{:.0}%", v * 100.0));
            lines.push(format!(
                "{:>6.1}s-{:>6.1}s {:<7} rate {:>9} achieved {:>9} p95 {:>9} errors {:>7} dropped {:>5} cpu {:>4} {}",
                w.from_s,
                w.to_s,
                w.phase.name(),
                rate_text(w.rate),
                rate_text(w.achieved),
                p95,
                errors,
                w.dropped,
                cpu,
                w.outcome
            ));
        }
        lines
    }
}
