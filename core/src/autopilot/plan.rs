//! [`Plan`]: an autopilot asked for (`--autopilot SCENARIO --slo ...`),
//! checked against the test's options: the rule every place that takes
//! one (the CLI, the coordinator) applies.

use std::time::Duration;

use super::{AutopilotError, Search, Settings, Slo};
use crate::options::{Executor, Options};
use crate::steer::Change;

/// A checked autopilot, before its SLOs are registered with a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The constant-arrival-rate scenario it steers.
    pub scenario: String,
    /// Its SLOs.
    pub slos: Vec<Slo>,
    /// How it measures and moves.
    pub settings: Settings,
    /// The scenario's own rate, per second: where the search starts.
    pub start: f64,
}

impl Plan {
    /// Checks `scenario` (a constant-arrival-rate scenario of `options`),
    /// the SLOs (`METRIC: EXPRESSION` each, at least one) and the window.
    pub fn new(
        scenario: &str,
        slos: &[String],
        window: Option<Duration>,
        options: &Options,
    ) -> Result<Plan, AutopilotError> {
        if slos.is_empty() {
            return Err(AutopilotError::NoSlo);
        }
        let slos = slos
            .iter()
            .map(|s| Slo::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let found = options.scenarios.as_ref().and_then(|s| s.get(scenario));
        let start = match found.map(|s| &s.executor) {
            None => return Err(AutopilotError::NoScenario(scenario.to_string())),
            Some(Executor::ConstantArrivalRate(c)) => {
                let unit = c.time_unit.unwrap_or(crate::Duration::SECOND).to_std();
                c.rate.unwrap_or(1) as f64 / unit.as_secs_f64().max(f64::MIN_POSITIVE)
            }
            Some(other) => {
                return Err(AutopilotError::NotArrivalRate {
                    scenario: scenario.to_string(),
                    executor: other.kind().name().to_string(),
                })
            }
        };
        let settings = match window {
            None => Settings::default(),
            Some(window) => Settings::with_window(window)?,
        };
        Ok(Plan {
            scenario: scenario.to_string(),
            slos,
            settings,
            start,
        })
    }

    /// The live change that sets its scenario's rate to `per_second`
    /// (per minute, so that fractions of one per second are kept).
    pub fn rate_change(per_second: f64) -> Change {
        Change {
            rate: Some((per_second * 60.0).round().max(1.0) as i64),
            time_unit: Some(crate::Duration::MINUTE),
            ..Change::default()
        }
    }

    /// The search it starts with.
    pub fn search(&self) -> Search {
        Search::new(
            &self.scenario,
            self.slos.clone(),
            self.start,
            self.settings.clone(),
        )
    }
}
