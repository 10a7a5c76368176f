//! The shortcut options (`iterations`, `duration`, `stages`, `vus`) turned
//! into the `default` scenario, with k6's priority, conflicts and warnings.

use std::collections::BTreeMap;

use super::{
    ConstantVusConfig, Executor, IterationsConfig, Options, OptionsError, RampingVusConfig,
    Scenario, Warning,
};

/// The name of the scenario the shortcuts become.
pub const DEFAULT_SCENARIO: &str = "default";

impl Options {
    /// Replaces the shortcuts by the scenario they describe, checking in
    /// k6's order: `iterations`, then `duration`, then `stages`, then
    /// explicit `scenarios`; with none of them, one VU runs one iteration.
    /// A `vus` value is silently ignored when `scenarios` is used.
    pub fn derive_scenarios(&mut self) -> Result<Vec<Warning>, OptionsError> {
        let mut warnings = Vec::new();
        let has_stages = self.stages.as_ref().is_some_and(|s| !s.is_empty());
        let has_scenarios = self.scenarios.is_some();
        let default = if let Some(iterations) = self.iterations {
            if has_stages {
                return Err(OptionsError::Conflict("iterations", "stages"));
            }
            if has_scenarios {
                return Err(OptionsError::Conflict("iterations", "scenarios"));
            }
            Executor::SharedIterations(IterationsConfig {
                vus: self.vus,
                unset_vus: self.unset_vus,
                iterations: Some(iterations),
                max_duration: self.duration,
            })
        } else if let Some(duration) = self.duration {
            if has_stages {
                return Err(OptionsError::Conflict("duration", "stages"));
            }
            if has_scenarios {
                return Err(OptionsError::Conflict("duration", "scenarios"));
            }
            if duration.as_nanos() <= 0 {
                return Err(OptionsError::ShortcutDuration);
            }
            Executor::ConstantVus(ConstantVusConfig {
                vus: self.vus,
                unset_vus: self.unset_vus,
                duration: Some(duration),
            })
        } else if has_stages {
            if has_scenarios {
                return Err(OptionsError::Conflict("stages", "scenarios"));
            }
            let stages = self
                .stages
                .iter()
                .flatten()
                .filter(|s| s.duration.is_some())
                .cloned()
                .collect();
            Executor::RampingVus(RampingVusConfig {
                start_vus: self.vus,
                unset_vus: self.unset_vus,
                stages: Some(stages),
                graceful_ramp_down: None,
            })
        } else if self.scenarios.as_ref().is_some_and(|s| !s.is_empty()) {
            return Ok(warnings);
        } else {
            if self.stages.is_some() {
                warnings.push(Warning::empty("stages"));
            }
            if self.scenarios.is_some() {
                warnings.push(Warning::empty("scenarios"));
            }
            if let Some(vus) = self.vus.filter(|v| *v != 1) {
                warnings.push(Warning::vus_ignored(vus));
            }
            Executor::PerVuIterations(IterationsConfig::default())
        };
        let scenario = Scenario::new(DEFAULT_SCENARIO, default);
        self.scenarios = Some(BTreeMap::from([(DEFAULT_SCENARIO.to_string(), scenario)]));
        Ok(warnings)
    }
}
