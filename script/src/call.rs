//! Running exported functions: what the caller asks for ([`Call`]) and
//! how it ended ([`Outcome`]).

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use k6r_core::metrics::Tags;
use tokio_util::sync::CancellationToken;

use crate::exception::JsException;

/// What the VU is asked to run.
#[derive(Clone, Debug)]
pub struct Call {
    /// The exported function (`default`, `setup`, a scenario's `exec`).
    pub function: Arc<str>,
    /// An iteration of a scenario, `setup` or `teardown`.
    pub kind: CallKind,
    /// The setup data as JSON (`None`: the function gets `undefined`).
    pub data: Option<Arc<str>>,
    /// Interrupts the call (sleeps and requests return at once, the
    /// JavaScript is stopped).
    pub cancel: CancellationToken,
    /// Interrupts the call once this much time has passed
    /// (`setupTimeout`/`teardownTimeout`).
    pub timeout: Option<Duration>,
}

/// Which part of the life cycle a call is.
#[derive(Clone, Debug)]
pub enum CallKind {
    /// `setup()`: samples get `group: "::setup"` and no `scenario` tag.
    Setup,
    /// `teardown(data)`: samples get `group: "::teardown"`.
    Teardown,
    /// One iteration of a scenario.
    Iteration(IterationInfo),
}

/// The identifiers of one iteration (§2.6).
#[derive(Clone, Debug)]
pub struct IterationInfo {
    /// The scenario.
    pub scenario: Arc<ScenarioInfo>,
    /// `exec.vu.idInTest`.
    pub vu_id_in_test: u64,
    /// `__ITER`, `exec.vu.iterationInInstance`.
    pub vu_iteration_in_instance: u64,
    /// `exec.vu.iterationInScenario`.
    pub vu_iteration_in_scenario: u64,
    /// `exec.scenario.iterationInInstance`.
    pub iteration_in_instance: u64,
    /// `exec.scenario.iterationInTest`.
    pub iteration_in_test: u64,
}

/// What a scenario's iterations share.
#[derive(Debug)]
pub struct ScenarioInfo {
    /// Its name (`exec.scenario.name`, the `scenario` tag).
    pub name: Arc<str>,
    /// Its executor (`exec.scenario.executor`).
    pub executor: String,
    /// Run tags, the scenario's `tags` and `scenario`: the tags of
    /// everything its iterations emit (before `group`).
    pub tags: Arc<Tags>,
    /// When it started (`exec.scenario.startTime`), set by the first
    /// iteration that runs.
    pub started: OnceLock<SystemTime>,
    /// Its `env`, laid over `__ENV` while its iterations run.
    pub env: Vec<(String, String)>,
    /// [`ScenarioInfo::tags`] with `group: ""`: the tags of samples
    /// outside any group, made once.
    pub root_tags: Arc<Tags>,
    /// Where `exec.scenario.progress` comes from, set once the engine
    /// exists; unset, the progress is 0.
    pub progress: OnceLock<Arc<dyn ScenarioProgress>>,
}

impl ScenarioInfo {
    /// A scenario with its full tag set.
    pub fn new(name: impl Into<Arc<str>>, executor: impl Into<String>, tags: Tags) -> Self {
        let root_tags = Arc::new(tags.clone().with("group", ""));
        ScenarioInfo {
            root_tags,
            name: name.into(),
            executor: executor.into(),
            tags: Arc::new(tags),
            started: OnceLock::new(),
            env: Vec::new(),
            progress: OnceLock::new(),
        }
    }

    /// `exec.scenario.progress` now: read from [`ScenarioInfo::progress`],
    /// only when a script asks.
    pub fn current_progress(&self) -> f64 {
        self.progress.get().map_or(0.0, |p| p.progress())
    }

    /// Sets [`ScenarioInfo::env`].
    pub fn with_env(mut self, env: Vec<(String, String)>) -> Self {
        self.env = env;
        self
    }
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The function returned.
    Returned,
    /// The function threw. For an iteration this still counts as complete
    /// (the exception has been logged); for setup/teardown it fails the test.
    Threw(JsException),
    /// The cancellation token fired.
    Interrupted,
    /// The deadline passed.
    TimedOut(Duration),
    /// `exec.test.abort(reason)`.
    Aborted(Option<String>),
}

/// A call's outcome and, for a function that returned, its return value
/// as JSON (`None` for `undefined`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResult {
    /// How it ended.
    pub outcome: Outcome,
    /// The returned value, JSON-encoded (what `setup()` hands on).
    pub value: Option<String>,
}

/// A scenario's live progress, for `exec.scenario.progress`.
pub trait ScenarioProgress: Send + Sync + fmt::Debug {
    /// The scenario's progress now, in 0..=1.
    fn progress(&self) -> f64;
}

/// Live counters of the instance, for `exec.instance`.
pub trait InstanceInfo: Send + Sync + fmt::Debug {
    /// The counters now.
    fn snapshot(&self) -> Instance;
}

/// `exec.instance`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Instance {
    /// `iterationsCompleted`.
    pub iterations_completed: u64,
    /// `iterationsInterrupted`.
    pub iterations_interrupted: u64,
    /// `vusActive`.
    pub vus_active: u64,
    /// `vusInitialized`.
    pub vus_initialized: u64,
    /// `currentTestRunDuration`.
    pub current_test_run_duration: Duration,
}
