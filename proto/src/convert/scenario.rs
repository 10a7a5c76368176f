//! Scenarios, their executors and stages ↔ the wire's `Scenario`,
//! `scenario::Executor` (one `*Config` message per executor's options,
//! `IterationsConfig` for both iteration-based ones) and `Stage`.

use std::collections::BTreeMap;

use k6r_core::options::{
    ConstantArrivalRateConfig, ConstantVusConfig, Executor, ExternallyControlledConfig,
    IterationsConfig, RampingArrivalRateConfig, RampingVusConfig, Scenario, Stage,
};
use serde_json::Value;

use super::options::{duration, nanos, string_map, string_map_from_wire};
use super::OptionsWireError;
use crate::v1::{self, scenario::Executor as Wire};

type Result<T> = std::result::Result<T, OptionsWireError>;

/// The scenarios by name.
pub(super) fn scenarios_to_wire(scenarios: &BTreeMap<String, Scenario>) -> v1::Scenarios {
    v1::Scenarios {
        by_name: scenarios
            .iter()
            .map(|(name, s)| (name.clone(), s.into()))
            .collect(),
    }
}

/// The scenarios by name; an error's path starts at the scenario's
/// `["name"]`, for the caller to place below `scenarios`.
pub(super) fn scenarios_from_wire(wire: &v1::Scenarios) -> Result<BTreeMap<String, Scenario>> {
    wire.by_name
        .iter()
        .map(|(name, s)| {
            let scenario = Scenario::try_from(s).map_err(|e| e.within(&format!("[{name:?}]")))?;
            Ok((name.clone(), scenario))
        })
        .collect()
}

impl From<&Scenario> for v1::Scenario {
    fn from(s: &Scenario) -> Self {
        v1::Scenario {
            name: s.name.clone(),
            start_time_nanos: nanos(s.start_time),
            graceful_stop_nanos: nanos(s.graceful_stop),
            env: s.env.as_ref().map(string_map),
            exec: s.exec.clone(),
            tags: s.tags.as_ref().map(string_map),
            options: s.options.as_ref().map(v1::JsonValue::from),
            executor: Some((&s.executor).into()),
        }
    }
}

impl TryFrom<&v1::Scenario> for Scenario {
    type Error = OptionsWireError;

    /// Refuses a scenario without an executor or with an `options` tree
    /// that is not JSON.
    fn try_from(wire: &v1::Scenario) -> Result<Self> {
        let executor = wire
            .executor
            .as_ref()
            .ok_or_else(|| OptionsWireError::missing("executor"))?;
        let options = wire
            .options
            .as_ref()
            .map(Value::try_from)
            .transpose()
            .map_err(|e| e.within("options"))?;
        Ok(Scenario {
            name: wire.name.clone(),
            start_time: duration(wire.start_time_nanos),
            graceful_stop: duration(wire.graceful_stop_nanos),
            env: wire.env.as_ref().map(string_map_from_wire),
            exec: wire.exec.clone(),
            tags: wire.tags.as_ref().map(string_map_from_wire),
            options,
            executor: executor.into(),
        })
    }
}

impl From<&Executor> for Wire {
    fn from(executor: &Executor) -> Self {
        match executor {
            Executor::SharedIterations(c) => Wire::SharedIterations(iterations(c)),
            Executor::PerVuIterations(c) => Wire::PerVuIterations(iterations(c)),
            Executor::ConstantVus(c) => Wire::ConstantVus(v1::ConstantVusConfig {
                vus: c.vus,
                unset_vus: c.unset_vus,
                duration_nanos: nanos(c.duration),
            }),
            Executor::RampingVus(c) => Wire::RampingVus(v1::RampingVusConfig {
                start_vus: c.start_vus,
                unset_vus: c.unset_vus,
                stages: c.stages.as_deref().map(stages_to_wire),
                graceful_ramp_down_nanos: nanos(c.graceful_ramp_down),
            }),
            Executor::ConstantArrivalRate(c) => {
                Wire::ConstantArrivalRate(v1::ConstantArrivalRateConfig {
                    rate: c.rate,
                    time_unit_nanos: nanos(c.time_unit),
                    duration_nanos: nanos(c.duration),
                    pre_allocated_vus: c.pre_allocated_vus,
                    max_vus: c.max_vus,
                })
            }
            Executor::RampingArrivalRate(c) => {
                Wire::RampingArrivalRate(v1::RampingArrivalRateConfig {
                    start_rate: c.start_rate,
                    time_unit_nanos: nanos(c.time_unit),
                    stages: c.stages.as_deref().map(stages_to_wire),
                    pre_allocated_vus: c.pre_allocated_vus,
                    max_vus: c.max_vus,
                })
            }
            Executor::ExternallyControlled(c) => {
                Wire::ExternallyControlled(v1::ExternallyControlledConfig {
                    vus: c.vus,
                    duration_nanos: nanos(c.duration),
                    max_vus: c.max_vus,
                })
            }
        }
    }
}

fn iterations(c: &IterationsConfig) -> v1::IterationsConfig {
    v1::IterationsConfig {
        vus: c.vus,
        unset_vus: c.unset_vus,
        iterations: c.iterations,
        max_duration_nanos: nanos(c.max_duration),
    }
}

fn iterations_from_wire(c: &v1::IterationsConfig) -> IterationsConfig {
    IterationsConfig {
        vus: c.vus,
        unset_vus: c.unset_vus,
        iterations: c.iterations,
        max_duration: duration(c.max_duration_nanos),
    }
}

impl From<&Wire> for Executor {
    fn from(wire: &Wire) -> Self {
        match wire {
            Wire::SharedIterations(c) => Executor::SharedIterations(iterations_from_wire(c)),
            Wire::PerVuIterations(c) => Executor::PerVuIterations(iterations_from_wire(c)),
            Wire::ConstantVus(c) => Executor::ConstantVus(ConstantVusConfig {
                vus: c.vus,
                unset_vus: c.unset_vus,
                duration: duration(c.duration_nanos),
            }),
            Wire::RampingVus(c) => Executor::RampingVus(RampingVusConfig {
                start_vus: c.start_vus,
                unset_vus: c.unset_vus,
                stages: c.stages.as_ref().map(stages_from_wire),
                graceful_ramp_down: duration(c.graceful_ramp_down_nanos),
            }),
            Wire::ConstantArrivalRate(c) => {
                Executor::ConstantArrivalRate(ConstantArrivalRateConfig {
                    rate: c.rate,
                    time_unit: duration(c.time_unit_nanos),
                    duration: duration(c.duration_nanos),
                    pre_allocated_vus: c.pre_allocated_vus,
                    max_vus: c.max_vus,
                })
            }
            Wire::RampingArrivalRate(c) => Executor::RampingArrivalRate(RampingArrivalRateConfig {
                start_rate: c.start_rate,
                time_unit: duration(c.time_unit_nanos),
                stages: c.stages.as_ref().map(stages_from_wire),
                pre_allocated_vus: c.pre_allocated_vus,
                max_vus: c.max_vus,
            }),
            Wire::ExternallyControlled(c) => {
                Executor::ExternallyControlled(ExternallyControlledConfig {
                    vus: c.vus,
                    duration: duration(c.duration_nanos),
                    max_vus: c.max_vus,
                })
            }
        }
    }
}

/// A list of stages (the shortcut's or a ramping executor's).
pub(super) fn stages_to_wire(stages: &[Stage]) -> v1::Stages {
    v1::Stages {
        stages: stages
            .iter()
            .map(|s| v1::Stage {
                duration_nanos: nanos(s.duration),
                target: s.target,
            })
            .collect(),
    }
}

/// A list of stages off the wire.
pub(super) fn stages_from_wire(wire: &v1::Stages) -> Vec<Stage> {
    wire.stages
        .iter()
        .map(|s| Stage {
            duration: duration(s.duration_nanos),
            target: s.target,
        })
        .collect()
}
