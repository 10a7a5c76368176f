//! Helpers for the runner's tests: a target server and running a script
//! from source.
#![allow(dead_code)]

pub mod target;

use std::sync::{Arc, Mutex};

use k6r_core::metrics::Sample;
use k6r_core::options::Options;
use k6r_runner::{Config, RunResult, SampleSink};
use k6r_script::{Env, MemoryLog, Script};
use tokio_util::sync::CancellationToken;

/// Keeps every sample.
#[derive(Clone, Default)]
pub struct Samples(pub Arc<Mutex<Vec<Sample>>>);

impl SampleSink for Samples {
    fn add(&mut self, batch: &[Sample]) {
        self.0.lock().unwrap().extend_from_slice(batch);
    }
}

impl Samples {
    /// The samples of `metric`.
    pub fn of(&self, metric: &str) -> Vec<Sample> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|s| &*s.metric.name == metric)
            .cloned()
            .collect()
    }

    /// The sum of `metric`'s values.
    pub fn sum(&self, metric: &str) -> f64 {
        self.of(metric).iter().map(|s| s.value).sum()
    }
}

/// What a test run left behind.
pub struct Ran {
    pub result: RunResult,
    pub samples: Samples,
    pub log: Arc<MemoryLog>,
}

impl Ran {
    /// The log lines.
    pub fn lines(&self) -> Vec<String> {
        self.log.lines()
    }
}

/// Runs `source` (written to a temporary `script.js`) with `env` and
/// extra options layered on the script's, as `k6 run` would.
pub async fn run_source(source: &str, env: &[(&str, &str)], cli: Options) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.js");
    std::fs::write(&path, source).unwrap();
    let env: Env = env.iter().copied().collect();
    let inspection = k6r_script::inspect(&path, &env).expect("init context");
    let (mut options, _) = Options::from_json(&inspection.options).expect("options");
    options.apply(cli, "cli");
    options.unset_vus = 1;
    options.derive_scenarios().expect("scenarios");
    options
        .validate(Some(&inspection.exports))
        .expect("valid options");
    let samples = Samples::default();
    let log = Arc::new(MemoryLog::default());
    let config = Config::new(
        Script::from_path(&path).unwrap(),
        env,
        options,
        inspection.exports,
    )
    .with_workers(2)
    .with_script_config(k6r_script::Config::default().with_log(log.clone()))
    .with_sink(Box::new(samples.clone()));
    let result = k6r_runner::run(config, CancellationToken::new())
        .await
        .expect("run");
    Ran {
        result,
        samples,
        log,
    }
}
