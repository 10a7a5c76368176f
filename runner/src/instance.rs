//! `exec.instance`: the engine's live counters and the run's clock;
//! `exec.scenario.progress`: a scenario's counters.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use k6r_engine::progress::ScenarioCounters;
use k6r_engine::Progress;
use k6r_script::{Instance, InstanceInfo, ScenarioProgress};

/// Reads the engine's [`Progress`] once the engine exists.
#[derive(Debug)]
pub(crate) struct Counters {
    pub progress: OnceLock<Progress>,
    pub start: Instant,
}

impl InstanceInfo for Counters {
    fn snapshot(&self) -> Instance {
        let mut instance = Instance {
            current_test_run_duration: self.start.elapsed(),
            ..Instance::default()
        };
        if let Some(progress) = self.progress.get() {
            let now = progress.snapshot();
            instance.iterations_completed = now.complete;
            instance.iterations_interrupted = now.interrupted;
            instance.vus_active = now.active_vus;
            instance.vus_initialized = now.initialized_vus;
        }
        instance
    }
}

/// A scenario's progress, read from the engine's counters.
#[derive(Debug)]
pub(crate) struct Scenario(pub Arc<ScenarioCounters>);

impl ScenarioProgress for Scenario {
    fn progress(&self) -> f64 {
        self.0.progress()
    }
}
