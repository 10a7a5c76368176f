//! Fake VUs whose iterations sleep and honour the cancellation token, an
//! observer that records events, and plans built from options JSON.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k6r_core::options::Options;
use k6r_core::plan::TestPlan;
use k6r_engine::{
    Config, Engine, Event, InitError, Iteration, Observer, Outcome, Report, Vu, VuFactory, VuId,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub fn plan(value: serde_json::Value) -> TestPlan {
    let (mut options, _) = Options::from_json(&value).expect("options");
    options.derive_scenarios().expect("derive");
    options.validate(None).expect("valid");
    TestPlan::new(&options).expect("plan")
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One iteration start seen by a fake VU.
#[derive(Clone, Debug)]
pub struct Start {
    pub at: Duration,
    pub vu: VuId,
    pub iteration: Iteration,
}

/// Shared by the factory and its VUs.
#[derive(Default)]
pub struct Shared {
    pub origin: Mutex<Option<Instant>>,
    pub starts: Mutex<Vec<Start>>,
    pub inits: Mutex<Vec<(Duration, VuId)>>,
}

impl Shared {
    fn now(&self) -> Duration {
        let mut origin = self.origin.lock().unwrap();
        origin.get_or_insert_with(Instant::now).elapsed()
    }
}

#[derive(Clone)]
pub struct Fake {
    /// Iteration length per scenario; `default_iteration` otherwise.
    pub iterations: HashMap<String, Duration>,
    pub default_iteration: Duration,
    pub init_delay: Duration,
    /// Scenario whose first iteration aborts the test.
    pub abort_in: Option<String>,
    pub shared: Arc<Shared>,
}

impl Fake {
    pub fn new(iteration: Duration) -> Fake {
        Fake {
            iterations: HashMap::new(),
            default_iteration: iteration,
            init_delay: Duration::ZERO,
            abort_in: None,
            shared: Arc::default(),
        }
    }

    pub fn with(mut self, scenario: &str, iteration: Duration) -> Fake {
        self.iterations.insert(scenario.to_string(), iteration);
        self
    }

    pub fn starts(&self) -> Vec<Start> {
        self.shared.starts.lock().unwrap().clone()
    }

    pub fn starts_of(&self, scenario: &str) -> Vec<Start> {
        self.starts()
            .into_iter()
            .filter(|s| &*s.iteration.scenario == scenario)
            .collect()
    }
}

pub struct FakeVu {
    id: VuId,
    factory: Fake,
}

impl Vu for FakeVu {
    async fn run_iteration(&mut self, iteration: Iteration) -> Outcome {
        let length = self
            .factory
            .iterations
            .get(&*iteration.scenario)
            .copied()
            .unwrap_or(self.factory.default_iteration);
        let cancel: CancellationToken = iteration.cancel.clone();
        let abort = self.factory.abort_in.as_deref() == Some(&*iteration.scenario);
        self.factory.shared.starts.lock().unwrap().push(Start {
            at: self.factory.shared.now(),
            vu: self.id,
            iteration,
        });
        if abort {
            return Outcome::Aborted("stop here".into());
        }
        tokio::select! {
            _ = tokio::time::sleep(length) => Outcome::Completed,
            _ = cancel.cancelled() => Outcome::Interrupted,
        }
    }
}

impl VuFactory for Fake {
    type Vu = FakeVu;

    async fn init(&self, id: VuId) -> Result<FakeVu, InitError> {
        tokio::time::sleep(self.init_delay).await;
        let at = self.shared.now();
        self.shared.inits.lock().unwrap().push((at, id));
        Ok(FakeVu {
            id,
            factory: self.clone(),
        })
    }
}

/// Records every event with its time since the origin.
#[derive(Clone, Default)]
pub struct Recorder {
    pub origin: Arc<Shared>,
    pub events: Arc<Mutex<Vec<(Duration, Event)>>>,
}

impl Observer for Recorder {
    fn on_event(&self, event: Event) {
        let at = self.origin.now();
        self.events.lock().unwrap().push((at, event));
    }
}

impl Recorder {
    pub fn events(&self) -> Vec<(Duration, Event)> {
        self.events.lock().unwrap().clone()
    }

    /// `(scenario, count, vu)` of every dropped_iterations event.
    pub fn dropped(&self) -> Vec<(String, u64, Option<u64>)> {
        self.events()
            .into_iter()
            .filter_map(|(_, e)| match e {
                Event::DroppedIterations {
                    scenario,
                    count,
                    vu,
                } => Some((scenario.to_string(), count, vu.map(|v| v.local))),
                _ => None,
            })
            .collect()
    }

    /// The highest `vus_max` reported.
    pub fn max_initialized(&self) -> u64 {
        self.events()
            .into_iter()
            .filter_map(|(_, e)| match e {
                Event::Vus { initialized, .. } => Some(initialized),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}

/// An engine over `fake` with a recorder; the origin is now.
pub fn engine(options: serde_json::Value, fake: &Fake) -> (Engine<Fake>, Recorder) {
    engine_with(options, fake, Config::default())
}

pub fn engine_with(
    options: serde_json::Value,
    fake: &Fake,
    config: Config,
) -> (Engine<Fake>, Recorder) {
    *fake.shared.origin.lock().unwrap() = Some(Instant::now());
    let recorder = Recorder {
        origin: Arc::clone(&fake.shared),
        events: Arc::default(),
    };
    let engine = Engine::new(
        plan(options),
        fake.clone(),
        Arc::new(recorder.clone()),
        config,
    );
    (engine, recorder)
}

/// Runs to the end; returns the report, the recorder and the run's length.
pub async fn run(options: serde_json::Value, fake: &Fake) -> (Report, Recorder, Duration) {
    let (engine, recorder) = engine(options, fake);
    let started = Instant::now();
    let report = engine.run(CancellationToken::new()).await.expect("run");
    (report, recorder, started.elapsed())
}
