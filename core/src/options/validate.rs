//! Validation of consolidated options, with k6's messages and order.

use super::{
    ConstantArrivalRateConfig, ConstantVusConfig, Executor, ExternallyControlledConfig,
    IterationsConfig, Options, OptionsError, RampingArrivalRateConfig, RampingVusConfig, Scenario,
    Stage,
};
use crate::duration::Duration;
use crate::segment::Tuple;

/// The shortest `duration`/`maxDuration` k6 accepts.
const MIN_DURATION: Duration = Duration::SECOND;
/// The most VUs a ramping-vus scenario may ask for.
const MAX_CONCURRENT_VUS: i64 = 100_000_000;
/// The most VUs the stages of all ramping-vus scenarios may start or stop
/// in all (k6r's limit, not k6's): a plan holds a few steps of 24 bytes
/// for each, so at this limit planning takes about 250 MB and a second.
const MAX_RAMP_CHANGES: i128 = 2_000_000;

impl Options {
    /// Checks the options after [`Options::derive_scenarios`], reporting every
    /// problem at once: first a segment that is not in the sequence, then one
    /// line per scenario with all of its errors (common checks first, then
    /// the executor's), then a non-positive `setupTimeout`, then every `exec` that names no exported function
    /// (only when `exports` is given).
    pub fn validate(&self, exports: Option<&[String]>) -> Result<(), OptionsError> {
        let mut lines = Vec::new();
        if let Err(e) = Tuple::new(
            self.execution_segment.as_ref(),
            self.execution_segment_sequence.as_ref(),
        ) {
            lines.push(e.to_string());
        }
        let scenarios: Vec<&Scenario> = self.scenarios.iter().flat_map(|m| m.values()).collect();
        for scenario in &scenarios {
            let errors = scenario.validate();
            if !errors.is_empty() {
                lines.push(format!(
                    "scenario {} has configuration errors: {}",
                    scenario.name,
                    errors.join(", ")
                ));
            }
        }
        // k6r's own limit, once every scenario is within k6's.
        if lines.is_empty() {
            let changes = ramp_changes(&scenarios);
            if changes > MAX_RAMP_CHANGES {
                lines.push(format!(
                    "the ramping-vus scenarios start or stop {changes} VUs in all, \
                     more than the {MAX_RAMP_CHANGES} k6r plans"
                ));
            }
        }
        // k6 checks only the setup timeout (observed: a zero teardownTimeout passes).
        if self.setup_timeout.is_some_and(|d| d.as_nanos() <= 0) {
            lines.push("setupTimeout must be positive".to_string());
        }
        if let Some(exports) = exports {
            for scenario in &scenarios {
                let exec = scenario.exec();
                if !exec.is_empty() && !exports.iter().any(|e| e == exec) {
                    lines.push(format!(
                        "executor {}: function '{exec}' not found in exports",
                        scenario.name
                    ));
                }
            }
        }
        if lines.is_empty() {
            Ok(())
        } else {
            Err(OptionsError::Invalid(lines))
        }
    }
}

impl Scenario {
    /// Every configuration error of this scenario, in k6's order.
    pub fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.name.is_empty() {
            errors.push("scenario name can't be empty".to_string());
        }
        if !valid_name(&self.name) {
            errors.push(
                "the scenario name should contain only numbers, latin letters, underscores, and dashes"
                    .to_string(),
            );
        }
        if self.exec.as_deref() == Some("") {
            errors.push("exec value cannot be empty".to_string());
        }
        if self.start_time().is_negative() {
            errors.push("the startTime can't be negative".to_string());
        }
        if self.graceful_stop().is_negative() {
            errors.push("the gracefulStop timeout can't be negative".to_string());
        }
        match &self.executor {
            Executor::SharedIterations(c) => shared_iterations(c, &mut errors),
            Executor::PerVuIterations(c) => per_vu_iterations(c, &mut errors),
            Executor::ConstantVus(c) => constant_vus(c, &mut errors),
            Executor::RampingVus(c) => ramping_vus(c, &mut errors),
            Executor::ConstantArrivalRate(c) => constant_arrival_rate(c, &mut errors),
            Executor::RampingArrivalRate(c) => ramping_arrival_rate(c, &mut errors),
            Executor::ExternallyControlled(c) => {
                externally_controlled(c, self.graceful_stop.is_some(), &mut errors)
            }
        }
        errors
    }
}

/// `^[0-9a-zA-Z_-]+$`
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn vus_positive(vus: i64, errors: &mut Vec<String>) {
    if vus <= 0 {
        errors.push("the number of VUs must be more than 0".to_string());
    }
}

fn min_duration(what: &str, d: Duration, errors: &mut Vec<String>) {
    if d < MIN_DURATION {
        errors.push(format!(
            "the {what} must be at least {MIN_DURATION}, but is {d}"
        ));
    }
}

fn required_duration(d: Option<Duration>, errors: &mut Vec<String>) {
    match d {
        None => errors.push("the duration is unspecified".to_string()),
        Some(d) => min_duration("duration", d, errors),
    }
}

fn shared_iterations(c: &IterationsConfig, errors: &mut Vec<String>) {
    vus_positive(c.vus(), errors);
    if c.iterations() < c.vus() {
        errors.push(format!(
            "the number of iterations ({}) can't be less than the number of VUs ({})",
            c.iterations(),
            c.vus()
        ));
    }
    min_duration("maxDuration", c.max_duration(), errors);
}

fn per_vu_iterations(c: &IterationsConfig, errors: &mut Vec<String>) {
    vus_positive(c.vus(), errors);
    if c.iterations() <= 0 {
        errors.push("the number of iterations must be more than 0".to_string());
    }
    min_duration("maxDuration", c.max_duration(), errors);
}

fn constant_vus(c: &ConstantVusConfig, errors: &mut Vec<String>) {
    vus_positive(c.vus(), errors);
    required_duration(c.duration, errors);
}

fn stages(stages: Option<&[Stage]>, errors: &mut Vec<String>) {
    let stages = stages.unwrap_or_default();
    if stages.is_empty() {
        errors.push("at least one stage has to be specified".to_string());
        return;
    }
    for (i, stage) in stages.iter().enumerate() {
        let n = i + 1;
        match stage.duration {
            None => errors.push(format!("stage {n} doesn't have a duration")),
            Some(d) if d.is_negative() => {
                errors.push(format!("the duration for stage {n} can't be negative"))
            }
            Some(_) => {}
        }
        match stage.target {
            None => errors.push(format!("stage {n} doesn't have a target")),
            Some(t) if t < 0 => errors.push(format!("the target for stage {n} can't be negative")),
            Some(_) => {}
        }
    }
}

fn ramping_vus(c: &RampingVusConfig, errors: &mut Vec<String>) {
    let start = c.start_vus();
    if start < 0 {
        errors.push("the number of start VUs can't be negative".to_string());
    }
    let max_target = c
        .stages()
        .iter()
        .filter_map(|s| s.target)
        .fold(start, i64::max);
    if max_target <= 0 {
        errors.push(
            "either startVUs or one of the stages' target values must be greater than 0"
                .to_string(),
        );
    }
    stages(c.stages.as_deref(), errors);
    if start > MAX_CONCURRENT_VUS {
        errors.push(format!(
            "the startVUs exceed max limit of {MAX_CONCURRENT_VUS}"
        ));
    }
    for (i, stage) in c.stages().iter().enumerate() {
        if stage.target.unwrap_or(0) > MAX_CONCURRENT_VUS {
            errors.push(format!(
                "target for stage {} exceeds max limit of {MAX_CONCURRENT_VUS}",
                i + 1
            ));
        }
    }
}

/// How many VUs the stages of the ramping-vus scenarios start or stop in
/// all: the steps of their plans (§2.4), in 128 bits so nothing overflows.
fn ramp_changes(scenarios: &[&Scenario]) -> i128 {
    let mut changes = 0;
    for scenario in scenarios {
        let Executor::RampingVus(c) = &scenario.executor else {
            continue;
        };
        let mut from = i128::from(c.start_vus().max(0));
        for stage in c.stages() {
            let target = i128::from(stage.target.unwrap_or(0).max(0));
            changes += (target - from).abs();
            from = target;
        }
    }
    changes
}

fn time_unit(unit: Duration, errors: &mut Vec<String>) {
    if unit.as_nanos() <= 0 {
        errors.push("the timeUnit must be more than 0".to_string());
    }
}

fn pre_allocated(pre: Option<i64>, max: Option<i64>, errors: &mut Vec<String>) {
    match pre {
        None => errors.push("the number of preAllocatedVUs isn't specified".to_string()),
        Some(p) if p < 0 => {
            errors.push("the number of preAllocatedVUs can't be negative".to_string())
        }
        Some(_) => {}
    }
    if let Some(max) = max {
        if max < pre.unwrap_or(0) {
            errors.push("maxVUs can't be less than preAllocatedVUs".to_string());
        }
    }
}

fn constant_arrival_rate(c: &ConstantArrivalRateConfig, errors: &mut Vec<String>) {
    match c.rate {
        None => errors.push("the iteration rate isn't specified".to_string()),
        Some(r) if r <= 0 => errors.push("the iteration rate must be more than 0".to_string()),
        Some(_) => {}
    }
    time_unit(c.time_unit(), errors);
    required_duration(c.duration, errors);
    pre_allocated(c.pre_allocated_vus, c.max_vus, errors);
}

fn ramping_arrival_rate(c: &RampingArrivalRateConfig, errors: &mut Vec<String>) {
    if c.start_rate() < 0 {
        errors.push("the startRate value can't be negative".to_string());
    }
    time_unit(c.time_unit(), errors);
    stages(c.stages.as_deref(), errors);
    pre_allocated(c.pre_allocated_vus, c.max_vus, errors);
}

fn externally_controlled(
    c: &ExternallyControlledConfig,
    graceful_stop_set: bool,
    errors: &mut Vec<String>,
) {
    if c.vus() < 0 {
        errors.push("the number of VUs can't be negative".to_string());
    }
    if c.max_vus() < c.vus() {
        errors.push(format!(
            "the number of active VUs ({}) must be less than or equal to the number of maxVUs ({})",
            c.vus(),
            c.max_vus()
        ));
    }
    match c.duration {
        None => {
            errors.push("the duration must be specified, for infinite duration use 0".to_string())
        }
        Some(d) if d.is_negative() => {
            errors.push("the duration can't be negative, for infinite duration use 0".to_string())
        }
        Some(_) => {}
    }
    if graceful_stop_set {
        errors.push(
            "gracefulStop is not supported by the externally controlled executor".to_string(),
        );
    }
}
