//! A scenario: the common options every executor has, and the seven
//! executors with their own options.
//!
//! Fields keep k6's null-ability (`None` = not set) so that the consolidated
//! options print as k6 prints them and validation can tell "missing" from
//! "zero"; the accessors (`vus()`, `graceful_stop()`, ...) apply k6's
//! defaults and are what the plan uses.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::stage::Stage;
use super::{json as j, OptionsError};
use crate::duration::Duration;

/// The default `gracefulStop`, `gracefulRampDown`.
pub const DEFAULT_GRACEFUL: Duration = Duration::from_secs(30);
/// The default `maxDuration` of the iteration-based executors.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(600);
/// The default `timeUnit` of the arrival-rate executors.
pub const DEFAULT_TIME_UNIT: Duration = Duration::SECOND;

/// The seven executor types, named as in scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExecutorKind {
    /// `shared-iterations`
    SharedIterations,
    /// `per-vu-iterations`
    PerVuIterations,
    /// `constant-vus`
    ConstantVus,
    /// `ramping-vus`
    RampingVus,
    /// `constant-arrival-rate`
    ConstantArrivalRate,
    /// `ramping-arrival-rate`
    RampingArrivalRate,
    /// `externally-controlled`
    ExternallyControlled,
}

impl ExecutorKind {
    /// All of them.
    pub const ALL: [ExecutorKind; 7] = [
        ExecutorKind::SharedIterations,
        ExecutorKind::PerVuIterations,
        ExecutorKind::ConstantVus,
        ExecutorKind::RampingVus,
        ExecutorKind::ConstantArrivalRate,
        ExecutorKind::RampingArrivalRate,
        ExecutorKind::ExternallyControlled,
    ];

    /// The name a script uses (case-sensitive).
    pub fn name(self) -> &'static str {
        match self {
            ExecutorKind::SharedIterations => "shared-iterations",
            ExecutorKind::PerVuIterations => "per-vu-iterations",
            ExecutorKind::ConstantVus => "constant-vus",
            ExecutorKind::RampingVus => "ramping-vus",
            ExecutorKind::ConstantArrivalRate => "constant-arrival-rate",
            ExecutorKind::RampingArrivalRate => "ramping-arrival-rate",
            ExecutorKind::ExternallyControlled => "externally-controlled",
        }
    }

    /// Looks a name up, case-sensitively as k6 does.
    pub fn from_name(name: &str) -> Option<ExecutorKind> {
        ExecutorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the executor's work can be split across instances. Only
    /// externally-controlled cannot: it is driven from one control surface.
    pub fn is_distributable(self) -> bool {
        self != ExecutorKind::ExternallyControlled
    }

    /// The executor-specific keys, in the order k6 prints them.
    fn keys(self) -> &'static [&'static str] {
        match self {
            ExecutorKind::SharedIterations | ExecutorKind::PerVuIterations => {
                &["vus", "iterations", "maxDuration"]
            }
            ExecutorKind::ConstantVus => &["vus", "duration"],
            ExecutorKind::RampingVus => &["startVUs", "stages", "gracefulRampDown"],
            ExecutorKind::ConstantArrivalRate => {
                &["rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"]
            }
            ExecutorKind::RampingArrivalRate => &[
                "startRate",
                "timeUnit",
                "stages",
                "preAllocatedVUs",
                "maxVUs",
            ],
            ExecutorKind::ExternallyControlled => &["vus", "duration", "maxVUs"],
        }
    }
}

impl fmt::Display for ExecutorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The keys every scenario may have.
const BASE_KEYS: [&str; 7] = [
    "executor",
    "startTime",
    "gracefulStop",
    "env",
    "exec",
    "tags",
    "options",
];

/// One entry of `scenarios` (or the derived `default` scenario).
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The key in `scenarios`.
    pub name: String,
    /// Delay after the test start before this scenario starts.
    pub start_time: Option<Duration>,
    /// Time running iterations get after the regular end.
    pub graceful_stop: Option<Duration>,
    /// Environment merged over `__ENV` for this scenario's VUs.
    pub env: Option<BTreeMap<String, String>>,
    /// The exported function to run; `default` when unset.
    pub exec: Option<String>,
    /// Tags on every sample of this scenario.
    pub tags: Option<BTreeMap<String, String>>,
    /// The scenario's `options` object (browser settings), kept as given.
    pub options: Option<Value>,
    /// The executor and its own options.
    pub executor: Executor,
}

/// The executor of a scenario with its own options, as given.
#[derive(Clone, Debug, PartialEq)]
pub enum Executor {
    /// A fixed number of iterations shared by `vus` VUs.
    SharedIterations(IterationsConfig),
    /// `iterations` iterations for each of `vus` VUs.
    PerVuIterations(IterationsConfig),
    /// `vus` VUs looping for `duration`.
    ConstantVus(ConstantVusConfig),
    /// VUs ramped through `stages`.
    RampingVus(RampingVusConfig),
    /// Iterations started at a fixed rate.
    ConstantArrivalRate(ConstantArrivalRateConfig),
    /// Iterations started at a rate ramped through `stages`.
    RampingArrivalRate(RampingArrivalRateConfig),
    /// VUs set from outside through the REST API.
    ExternallyControlled(ExternallyControlledConfig),
}

/// The value k6 uses for a VU count that is not set: 1 in a scenario
/// written in the script. A scenario derived from the shortcuts copies the
/// top-level `vus` with its unset value instead (see
/// [`Options::unset_vus`](super::Options::unset_vus)).
pub const UNSET_VUS: i64 = 1;

/// Options of `shared-iterations` and `per-vu-iterations`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IterationsConfig {
    /// VUs (default 1).
    pub vus: Option<i64>,
    /// What an unset `vus` means.
    pub unset_vus: i64,
    /// Iterations: in all, or per VU (default 1).
    pub iterations: Option<i64>,
    /// Hard limit on the run (default 10m).
    pub max_duration: Option<Duration>,
}

/// Options of `constant-vus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstantVusConfig {
    /// VUs (default 1).
    pub vus: Option<i64>,
    /// What an unset `vus` means.
    pub unset_vus: i64,
    /// How long they loop (required).
    pub duration: Option<Duration>,
}

/// Options of `ramping-vus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RampingVusConfig {
    /// VUs at the start (default 1).
    pub start_vus: Option<i64>,
    /// What an unset `startVUs` means.
    pub unset_vus: i64,
    /// The ramp (required, at least one stage).
    pub stages: Option<Vec<Stage>>,
    /// Time a VU that is ramped down gets to finish (default 30s).
    pub graceful_ramp_down: Option<Duration>,
}

/// Options of `constant-arrival-rate`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConstantArrivalRateConfig {
    /// Iterations per `timeUnit` (required).
    pub rate: Option<i64>,
    /// The rate's unit (default 1s).
    pub time_unit: Option<Duration>,
    /// How long iterations are started (required).
    pub duration: Option<Duration>,
    /// VUs initialised before the start (required).
    pub pre_allocated_vus: Option<i64>,
    /// The most VUs it may use (default `preAllocatedVUs`).
    pub max_vus: Option<i64>,
}

/// Options of `ramping-arrival-rate`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RampingArrivalRateConfig {
    /// The rate at the start (default 0).
    pub start_rate: Option<i64>,
    /// The rates' unit (default 1s).
    pub time_unit: Option<Duration>,
    /// The ramp of rates (required).
    pub stages: Option<Vec<Stage>>,
    /// VUs initialised before the start (required).
    pub pre_allocated_vus: Option<i64>,
    /// The most VUs it may use (default `preAllocatedVUs`).
    pub max_vus: Option<i64>,
}

/// Options of `externally-controlled`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExternallyControlledConfig {
    /// Active VUs at the start (default 0).
    pub vus: Option<i64>,
    /// How long it runs; zero means until stopped (required).
    pub duration: Option<Duration>,
    /// Initialised VUs (default `vus`).
    pub max_vus: Option<i64>,
}

impl Default for IterationsConfig {
    fn default() -> Self {
        IterationsConfig {
            vus: None,
            unset_vus: UNSET_VUS,
            iterations: None,
            max_duration: None,
        }
    }
}

impl Default for ConstantVusConfig {
    fn default() -> Self {
        ConstantVusConfig {
            vus: None,
            unset_vus: UNSET_VUS,
            duration: None,
        }
    }
}

impl Default for RampingVusConfig {
    fn default() -> Self {
        RampingVusConfig {
            start_vus: None,
            unset_vus: UNSET_VUS,
            stages: None,
            graceful_ramp_down: None,
        }
    }
}

impl IterationsConfig {
    /// VUs, default 1.
    pub fn vus(&self) -> i64 {
        self.vus.unwrap_or(self.unset_vus)
    }
    /// Iterations, default 1.
    pub fn iterations(&self) -> i64 {
        self.iterations.unwrap_or(1)
    }
    /// maxDuration, default 10m.
    pub fn max_duration(&self) -> Duration {
        self.max_duration.unwrap_or(DEFAULT_MAX_DURATION)
    }
}

impl ConstantVusConfig {
    /// VUs, default 1.
    pub fn vus(&self) -> i64 {
        self.vus.unwrap_or(self.unset_vus)
    }
    /// Duration (validated to be set).
    pub fn duration(&self) -> Duration {
        self.duration.unwrap_or_default()
    }
}

impl RampingVusConfig {
    /// startVUs, default 1.
    pub fn start_vus(&self) -> i64 {
        self.start_vus.unwrap_or(self.unset_vus)
    }
    /// The stages (validated: each has a duration and target).
    pub fn stages(&self) -> &[Stage] {
        self.stages.as_deref().unwrap_or_default()
    }
    /// gracefulRampDown, default 30s.
    pub fn graceful_ramp_down(&self) -> Duration {
        self.graceful_ramp_down.unwrap_or(DEFAULT_GRACEFUL)
    }
}

impl ConstantArrivalRateConfig {
    /// The rate (validated to be set).
    pub fn rate(&self) -> i64 {
        self.rate.unwrap_or(0)
    }
    /// timeUnit, default 1s.
    pub fn time_unit(&self) -> Duration {
        self.time_unit.unwrap_or(DEFAULT_TIME_UNIT)
    }
    /// Duration (validated to be set).
    pub fn duration(&self) -> Duration {
        self.duration.unwrap_or_default()
    }
    /// preAllocatedVUs (validated to be set).
    pub fn pre_allocated_vus(&self) -> i64 {
        self.pre_allocated_vus.unwrap_or(0)
    }
    /// maxVUs, default preAllocatedVUs.
    pub fn max_vus(&self) -> i64 {
        self.max_vus.unwrap_or_else(|| self.pre_allocated_vus())
    }
}

impl RampingArrivalRateConfig {
    /// startRate, default 0.
    pub fn start_rate(&self) -> i64 {
        self.start_rate.unwrap_or(0)
    }
    /// timeUnit, default 1s.
    pub fn time_unit(&self) -> Duration {
        self.time_unit.unwrap_or(DEFAULT_TIME_UNIT)
    }
    /// The stages (validated: each has a duration and target).
    pub fn stages(&self) -> &[Stage] {
        self.stages.as_deref().unwrap_or_default()
    }
    /// preAllocatedVUs (validated to be set).
    pub fn pre_allocated_vus(&self) -> i64 {
        self.pre_allocated_vus.unwrap_or(0)
    }
    /// maxVUs, default preAllocatedVUs.
    pub fn max_vus(&self) -> i64 {
        self.max_vus.unwrap_or_else(|| self.pre_allocated_vus())
    }
}

impl ExternallyControlledConfig {
    /// vus, default 0.
    pub fn vus(&self) -> i64 {
        self.vus.unwrap_or(0)
    }
    /// maxVUs, default vus.
    pub fn max_vus(&self) -> i64 {
        self.max_vus.unwrap_or_else(|| self.vus())
    }
    /// The duration; zero means "until stopped".
    pub fn duration(&self) -> Duration {
        self.duration.unwrap_or_default()
    }
}

impl Executor {
    /// Which of the seven this is.
    pub fn kind(&self) -> ExecutorKind {
        match self {
            Executor::SharedIterations(_) => ExecutorKind::SharedIterations,
            Executor::PerVuIterations(_) => ExecutorKind::PerVuIterations,
            Executor::ConstantVus(_) => ExecutorKind::ConstantVus,
            Executor::RampingVus(_) => ExecutorKind::RampingVus,
            Executor::ConstantArrivalRate(_) => ExecutorKind::ConstantArrivalRate,
            Executor::RampingArrivalRate(_) => ExecutorKind::RampingArrivalRate,
            Executor::ExternallyControlled(_) => ExecutorKind::ExternallyControlled,
        }
    }

    fn from_json(
        kind: ExecutorKind,
        map: &Map<String, Value>,
        path: &str,
    ) -> Result<Executor, OptionsError> {
        let int = |key: &str| j::int(map.get(key), &format!("{path}.{key}"));
        let dur = |key: &str| j::duration(map.get(key), &format!("{path}.{key}"));
        let stages = || Stage::list_from_json(map.get("stages"), &format!("{path}.stages"));
        Ok(match kind {
            ExecutorKind::SharedIterations | ExecutorKind::PerVuIterations => {
                let config = IterationsConfig {
                    vus: int("vus")?,
                    unset_vus: UNSET_VUS,
                    iterations: int("iterations")?,
                    max_duration: dur("maxDuration")?,
                };
                if kind == ExecutorKind::SharedIterations {
                    Executor::SharedIterations(config)
                } else {
                    Executor::PerVuIterations(config)
                }
            }
            ExecutorKind::ConstantVus => Executor::ConstantVus(ConstantVusConfig {
                vus: int("vus")?,
                unset_vus: UNSET_VUS,
                duration: dur("duration")?,
            }),
            ExecutorKind::RampingVus => Executor::RampingVus(RampingVusConfig {
                start_vus: int("startVUs")?,
                unset_vus: UNSET_VUS,
                stages: stages()?,
                graceful_ramp_down: dur("gracefulRampDown")?,
            }),
            ExecutorKind::ConstantArrivalRate => {
                Executor::ConstantArrivalRate(ConstantArrivalRateConfig {
                    rate: int("rate")?,
                    time_unit: dur("timeUnit")?,
                    duration: dur("duration")?,
                    pre_allocated_vus: int("preAllocatedVUs")?,
                    max_vus: int("maxVUs")?,
                })
            }
            ExecutorKind::RampingArrivalRate => {
                Executor::RampingArrivalRate(RampingArrivalRateConfig {
                    start_rate: int("startRate")?,
                    time_unit: dur("timeUnit")?,
                    stages: stages()?,
                    pre_allocated_vus: int("preAllocatedVUs")?,
                    max_vus: int("maxVUs")?,
                })
            }
            ExecutorKind::ExternallyControlled => {
                let vus = int("vus")?;
                // k6 fills maxVUs from vus while decoding, so the consolidated
                // options already show it.
                let max_vus = int("maxVUs")?.or(vus);
                Executor::ExternallyControlled(ExternallyControlledConfig {
                    vus,
                    duration: dur("duration")?,
                    max_vus,
                })
            }
        })
    }

    /// The executor's own keys as k6 prints them, in k6's order.
    fn to_json(&self, out: &mut Map<String, Value>) {
        let stages_json = |s: &Option<Vec<Stage>>| match s {
            Some(list) => Value::Array(list.iter().map(Stage::to_json).collect()),
            None => Value::Null,
        };
        let values: Vec<Value> = match self {
            Executor::SharedIterations(c) | Executor::PerVuIterations(c) => {
                vec![
                    j::opt(&c.vus),
                    j::opt(&c.iterations),
                    j::opt(&c.max_duration),
                ]
            }
            Executor::ConstantVus(c) => vec![j::opt(&c.vus), j::opt(&c.duration)],
            Executor::RampingVus(c) => vec![
                j::opt(&c.start_vus),
                stages_json(&c.stages),
                j::opt(&c.graceful_ramp_down),
            ],
            Executor::ConstantArrivalRate(c) => vec![
                j::opt(&c.rate),
                j::opt(&c.time_unit),
                j::opt(&c.duration),
                j::opt(&c.pre_allocated_vus),
                j::opt(&c.max_vus),
            ],
            Executor::RampingArrivalRate(c) => vec![
                j::opt(&c.start_rate),
                j::opt(&c.time_unit),
                stages_json(&c.stages),
                j::opt(&c.pre_allocated_vus),
                j::opt(&c.max_vus),
            ],
            Executor::ExternallyControlled(c) => {
                vec![j::opt(&c.vus), j::opt(&c.duration), j::opt(&c.max_vus)]
            }
        };
        for (key, value) in self.kind().keys().iter().zip(values) {
            out.insert((*key).to_string(), value);
        }
    }
}

impl Scenario {
    /// A scenario with only its executor set.
    pub fn new(name: impl Into<String>, executor: Executor) -> Scenario {
        Scenario {
            name: name.into(),
            start_time: None,
            graceful_stop: None,
            env: None,
            exec: None,
            tags: None,
            options: None,
            executor,
        }
    }

    /// startTime, default 0.
    pub fn start_time(&self) -> Duration {
        self.start_time.unwrap_or_default()
    }

    /// gracefulStop, default 30s.
    pub fn graceful_stop(&self) -> Duration {
        self.graceful_stop.unwrap_or(DEFAULT_GRACEFUL)
    }

    /// The function this scenario runs, default `default`.
    pub fn exec(&self) -> &str {
        self.exec.as_deref().unwrap_or("default")
    }

    /// Reads one entry of `scenarios`, strictly: unknown keys are errors.
    pub(crate) fn from_json(name: &str, value: &Value) -> Result<Scenario, OptionsError> {
        const PATH: &str = "Options.scenarios";
        let map = j::object(value, PATH, "lib.ExecutorConfig")?;
        let kind = match map.get("executor") {
            None | Some(Value::Null) => {
                return Err(OptionsError::MissingExecutor(name.to_string()))
            }
            Some(Value::String(s)) if s.is_empty() => {
                return Err(OptionsError::MissingExecutor(name.to_string()))
            }
            Some(Value::String(s)) => ExecutorKind::from_name(s)
                .ok_or_else(|| OptionsError::UnknownExecutor(s.clone()))?,
            Some(other) => {
                return Err(OptionsError::Type {
                    found: j::kind(other),
                    path: format!("{PATH}.executor"),
                    go_type: "string".into(),
                })
            }
        };
        let known: Vec<&str> = BASE_KEYS.iter().chain(kind.keys()).copied().collect();
        j::deny_unknown(map, &known)?;
        let base = format!("{PATH}.BaseConfig");
        Ok(Scenario {
            name: name.to_string(),
            start_time: j::duration(map.get("startTime"), &format!("{base}.startTime"))?,
            graceful_stop: j::duration(map.get("gracefulStop"), &format!("{base}.gracefulStop"))?,
            env: j::string_map(map.get("env"), &format!("{base}.env"))?,
            exec: j::string(map.get("exec"), &format!("{base}.exec"))?,
            tags: j::string_map(map.get("tags"), &format!("{base}.tags"))?,
            options: map.get("options").filter(|v| !v.is_null()).cloned(),
            executor: Executor::from_json(kind, map, PATH)?,
        })
    }

    /// The scenario as k6 prints it in the consolidated options.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert(
            "executor".into(),
            Value::String(self.executor.kind().name().into()),
        );
        out.insert("startTime".into(), j::opt(&self.start_time));
        out.insert("gracefulStop".into(), j::opt(&self.graceful_stop));
        out.insert("env".into(), j::opt(&self.env));
        out.insert("exec".into(), j::opt(&self.exec));
        out.insert("tags".into(), j::opt(&self.tags));
        if let Some(options) = &self.options {
            out.insert("options".into(), options.clone());
        }
        self.executor.to_json(&mut out);
        Value::Object(out)
    }
}
