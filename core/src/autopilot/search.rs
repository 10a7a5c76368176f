//! [`Search`]: the knee search and the hold, one window at a time.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::report::{rate_text, Limit, Report, WindowRecord};
use super::window::{samples_needed, Measured};
use super::{AutopilotError, Slo};

/// How the search measures and moves.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The shortest window a rate is measured over.
    pub window: Duration,
    /// How long after a change the window starts (the change's
    /// transient is not measured).
    pub settle: Duration,
    /// The settling time after a breach (queues drain).
    pub cooldown: Duration,
    /// A window is lengthened, up to this many times its length, until
    /// the SLOs' metrics have enough samples.
    pub stretch: u32,
    /// What the rate is multiplied by while no SLO has broken.
    pub growth: f64,
    /// The search ends when the first rate that broke is within this
    /// share above the last that held.
    pub precision: f64,
    /// The lowest rate tried, per second.
    pub min_rate: f64,
    /// A load generator busier than this share of its cores is saturated.
    pub cpu_limit: f64,
    /// A window that dropped more than this share of the rate asked (or
    /// completed fewer than twice this share less) shows a saturated
    /// generator.
    pub shortfall: f64,
    /// What the held rate is multiplied by when an SLO breaks while held.
    pub step_back: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window: Duration::from_secs(5),
            settle: Duration::from_secs(1),
            cooldown: Duration::from_secs(3),
            stretch: 4,
            growth: 2.0,
            precision: 0.05,
            min_rate: 0.1,
            cpu_limit: 0.9,
            shortfall: 0.1,
            step_back: 0.9,
        }
    }
}

impl Settings {
    /// Settings with windows of `window` (settling a fifth of it, at least
    /// 250 ms, and cooling down after a breach for half of it), or why
    /// not.
    pub fn with_window(window: Duration) -> Result<Settings, AutopilotError> {
        if window < Duration::from_millis(500) {
            return Err(AutopilotError::Setting {
                flag: "--autopilot-window",
                reason: "must be at least 500ms",
            });
        }
        Ok(Settings {
            window,
            settle: (window / 5).max(Duration::from_millis(250)),
            cooldown: window / 2,
            ..Settings::default()
        })
    }
}

/// Where the search is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Raising the rate while every SLO holds.
    #[default]
    Grow,
    /// Lowering it: the first rate already broke an SLO.
    Descend,
    /// Halving the gap between the last rate that held and the first
    /// that broke.
    Narrow,
    /// Holding the knee.
    Hold,
}

impl Phase {
    /// Its name, as the report spells it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Grow => "grow",
            Phase::Descend => "descend",
            Phase::Narrow => "narrow",
            Phase::Hold => "hold",
        }
    }
}

/// What to do after a window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    /// The rate to run, per second.
    pub rate: f64,
    /// How long to let it settle before the next window.
    pub settle: Duration,
}

/// How one window went.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Held,
    /// The first SLO that broke.
    Breached(String),
    /// Why the generator is saturated.
    Generator(String),
}

/// The search over one scenario's rate.
#[derive(Clone, Debug)]
pub struct Search {
    settings: Settings,
    slos: Vec<Slo>,
    /// The last rate at which every SLO held.
    good: Option<f64>,
    /// The lowest rate at which one broke.
    bad: Option<f64>,
    report: Report,
}

impl Search {
    /// A search of `scenario`'s rate under `slos`, from `start` per
    /// second.
    pub fn new(scenario: &str, slos: Vec<Slo>, start: f64, settings: Settings) -> Search {
        let start = start.max(settings.min_rate);
        let report = Report {
            scenario: scenario.to_string(),
            slos: slos.iter().map(Slo::to_string).collect(),
            phase: Phase::Grow,
            rate: start,
            verdict: format!("searching from {}", rate_text(start)),
            ..Report::default()
        };
        Search {
            settings,
            slos,
            good: None,
            bad: None,
            report,
        }
    }

    /// The rate to run now, per second.
    pub fn rate(&self) -> f64 {
        self.report.rate
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The SLOs.
    pub fn slos(&self) -> &[Slo] {
        &self.slos
    }

    /// The report so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Whether `window` is long enough to judge: it lasted the window's
    /// length and every SLO's metric has the samples its aggregation
    /// needs, or it lasted [`Settings::stretch`] windows.
    pub fn ready(&self, window: &Measured) -> bool {
        let length = window.to.saturating_sub(window.from);
        if length < self.settings.window {
            return false;
        }
        let enough = self
            .slos
            .iter()
            .zip(&window.slos)
            .all(|(slo, value)| value.samples >= samples_needed(slo));
        enough || length >= self.settings.window * self.settings.stretch
    }

    fn judge(&self, w: &Measured) -> Outcome {
        let s = &self.settings;
        if let Some(cpu) = w.cpu.filter(|&c| c >= s.cpu_limit) {
            return Outcome::Generator(format!(
                "its CPU was {:.0}% busy at {}",
                cpu * 100.0,
                rate_text(w.rate)
            ));
        }
        if let Some(broke) = w.slos.iter().find(|v| !v.holds) {
            return Outcome::Breached(broke.slo.clone());
        }
        let seconds = w.to.saturating_sub(w.from).as_secs_f64();
        // Complete iterations lag the starts, and a cluster's counts move
        // one agent's delta at a time: twice the margin for them.
        if w.dropped > s.shortfall * w.rate * seconds
            || w.achieved < (1.0 - 2.0 * s.shortfall) * w.rate
        {
            return Outcome::Generator(format!(
                "it started {} of the {} asked ({} iterations dropped; more VUs may help)",
                rate_text(w.achieved),
                rate_text(w.rate),
                w.dropped
            ));
        }
        Outcome::Held
    }

    /// Takes a finished window in and decides the next rate.
    pub fn observe(&mut self, window: Measured) -> Decision {
        let outcome = self.judge(&window);
        let phase = self.report.phase;
        let rate = window.rate;
        let s = self.settings.clone();
        let mut settle = s.settle;
        match &outcome {
            Outcome::Held => match phase {
                Phase::Hold => {}
                Phase::Grow => {
                    self.good = Some(rate);
                    self.report.rate = rate * s.growth;
                }
                Phase::Descend | Phase::Narrow => {
                    self.good = Some(rate);
                    self.narrow();
                }
            },
            Outcome::Breached(slo) => {
                settle = s.cooldown;
                self.report.limiting = Some(Limit::Slo(slo.clone()));
                match phase {
                    Phase::Hold => {
                        let held = (rate * s.step_back).max(s.min_rate);
                        self.report.held_rate = Some(held);
                        self.report.rate = held;
                    }
                    Phase::Grow | Phase::Descend if self.good.is_none() => {
                        self.bad = Some(rate);
                        if rate <= s.min_rate {
                            self.hold(s.min_rate);
                        } else {
                            self.report.phase = Phase::Descend;
                            self.report.rate = (rate / s.growth).max(s.min_rate);
                        }
                    }
                    Phase::Grow | Phase::Descend | Phase::Narrow => {
                        self.bad = Some(rate);
                        self.narrow();
                    }
                }
            }
            Outcome::Generator(why) => {
                settle = s.cooldown;
                self.report.limiting = Some(Limit::Generator(why.clone()));
                let back = (rate * s.step_back).max(s.min_rate);
                let held = match phase {
                    Phase::Hold => back,
                    _ => self.good.unwrap_or(back).min(back),
                };
                self.hold(held);
            }
        }
        let outcome_text = match &outcome {
            Outcome::Held => "held".to_string(),
            Outcome::Breached(slo) => format!("breached: {slo}"),
            Outcome::Generator(why) => format!("generator: {why}"),
        };
        self.report.knee_rate = self.good;
        self.report.windows.push(WindowRecord {
            from_s: window.from.as_secs_f64(),
            to_s: window.to.as_secs_f64(),
            phase,
            rate,
            achieved: window.achieved,
            p95: window.p95,
            error_rate: window.error_rate,
            dropped: window.dropped,
            cpu: window.cpu,
            slos: window.slos,
            outcome: outcome_text,
            next_rate: self.report.rate,
        });
        self.report.verdict = self.verdict();
        Decision {
            rate: self.report.rate,
            settle,
        }
    }

    /// The next rate between the last that held and the first that broke,
    /// or the hold once they are within the precision.
    fn narrow(&mut self) {
        match (self.good, self.bad) {
            (Some(good), Some(bad)) if bad > good * (1.0 + self.settings.precision) => {
                self.report.phase = Phase::Narrow;
                self.report.rate = (good + bad) / 2.0;
            }
            (Some(good), _) => self.hold(good),
            (None, _) => {}
        }
    }

    fn hold(&mut self, rate: f64) {
        self.report.phase = Phase::Hold;
        self.report.held_rate = Some(rate);
        self.report.rate = rate;
    }

    fn verdict(&self) -> String {
        let r = &self.report;
        let knee = r.knee_rate.map(rate_text);
        match (&r.limiting, r.phase) {
            (Some(Limit::Generator(why)), _) => format!(
                "limited by the load generator, not the target: {why}; the target held every SLO up to {} (its capacity is at least that)",
                knee.unwrap_or_else(|| "no rate tried".into())
            ),
            (Some(Limit::Slo(slo)), Phase::Hold) => match knee {
                Some(knee) => format!(
                    "knee {knee} (the highest rate at which every SLO held), held {}; limited by {slo}",
                    rate_text(r.held_rate.unwrap_or(r.rate))
                ),
                None => format!(
                    "{slo} broke even at {}, the lowest rate tried",
                    rate_text(r.rate)
                ),
            },
            (_, phase) => format!(
                "searching ({}): {} now{}",
                phase.name(),
                rate_text(r.rate),
                knee.map(|k| format!(", every SLO held up to {k}"))
                    .unwrap_or_default()
            ),
        }
    }
}
