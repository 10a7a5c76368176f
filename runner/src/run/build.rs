//! What a run builds before its VUs start: the samples' channel, the spec
//! every VU starts from, the scenarios' tags and `exec` information, the
//! engine and the run's stages.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use k6r_core::capacity::VuCapacity;
use k6r_core::metrics::Tags;
use k6r_core::options::Options;
use k6r_core::plan::TestPlan;
use k6r_engine::Engine;
use k6r_script::{scenario_tags, ScenarioInfo};
use tokio::task::JoinHandle;

use crate::config::{self, Config, ProgressFn};
use crate::coroutine::Spec;
use crate::director::{Director, Stages};
use crate::error::{Error, Result};
use crate::events::EventSamples;
use crate::instance;
use crate::samples::{self, Channel, Sinks};
use crate::setup::SetupHandle;
use crate::totals::Totals;
use crate::vu::{Factory, Shared};
use crate::workers::Workers;

/// A run built and not started.
pub(super) struct Built {
    pub plan: TestPlan,
    pub engine: Engine<Factory>,
    /// The engine's events as samples; the VU gauges.
    pub observer: Arc<EventSamples>,
    pub samples: Samples,
    pub stages: Stages,
    pub director: Box<dyn Director>,
    pub progress: Option<(ProgressFn, std::time::Duration)>,
    pub capacity: VuCapacity,
}

/// Where the run's samples go.
pub(super) struct Samples {
    pub channel: Channel,
    /// The task feeding the sinks; it returns them at the end.
    pub consumer: JoinHandle<Sinks>,
    /// The first sink: per-metric counts.
    pub totals: Totals,
}

/// Builds the run of `config`; refuses a plan this machine cannot hold
/// before any VU is made (growing VUs until the allocator fails would
/// wedge the machine).
pub(super) fn build(config: Config) -> Result<Built> {
    let plan = TestPlan::with_pinned(&config.options, &config.pinned)
        .map_err(|e| Error::Plan(e.to_string()))?;
    config.capacity.check(plan.max_possible_vus())?;
    let totals = Totals::default();
    let mut sinks = config.sinks;
    sinks.insert(0, Box::new(totals.clone()));
    let (channel, consumer) = samples::consume(sinks);
    let run_tags: Arc<Tags> = Arc::new(
        config
            .options
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
    );
    let counters = Arc::new(instance::Counters {
        progress: OnceLock::new(),
        start: Instant::now(),
    });
    let script_config = config
        .script_config
        .with_samples(Arc::new(channel.clone()))
        .with_tags((*run_tags).clone())
        .with_http(config::http_options(&config.options).map_err(Error::Plan)?)
        .with_options(serde_json::Value::Object(
            config.options.clone().with_print_defaults().to_test_json(),
        ))
        .with_instance(counters.clone())
        .with_throw(config.options.throw.unwrap_or(false));
    let spec = Arc::new(Spec {
        script: config.script,
        env: config.env,
        config: script_config,
    });
    let workers = Arc::new(Workers::start(config.workers)?);
    let scenarios = scenarios(&plan, &config.options, &run_tags);
    let shared = Arc::new(Shared {
        data: Default::default(),
        scenarios: scenarios
            .iter()
            .map(|s| (s.name.clone(), Arc::clone(&s.info)))
            .collect(),
        init_error: Default::default(),
    });
    let tagged: Vec<(String, Arc<Tags>)> =
        scenarios.into_iter().map(|s| (s.name, s.tags)).collect();
    let observer = Arc::new(EventSamples::new(channel.clone(), run_tags, &tagged));
    let factory = Factory {
        workers: Arc::clone(&workers),
        spec: Arc::clone(&spec),
        shared: Arc::clone(&shared),
    };
    let engine = engine(&plan, factory, &observer, &config.options, config.drain);
    counters_of(&engine, &counters, &shared);
    let stages = stages(&config.options, &config.exports, shared, workers, spec);
    Ok(Built {
        plan,
        engine,
        observer,
        samples: Samples {
            channel,
            consumer,
            totals,
        },
        stages,
        director: config.director,
        progress: config.progress.map(|p| (p, config.progress_every)),
        capacity: config.capacity,
    })
}

/// A scenario as its VUs and samples see it.
struct Scenario {
    name: String,
    /// The run's tags, the scenario's own and `scenario`.
    tags: Arc<Tags>,
    /// `exec.scenario`.
    info: Arc<ScenarioInfo>,
}

fn scenarios(plan: &TestPlan, options: &Options, run_tags: &Tags) -> Vec<Scenario> {
    let pairs = |map: Option<&BTreeMap<String, String>>| {
        map.map(|m| m.clone().into_iter().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    plan.scenarios()
        .iter()
        .map(|s| {
            let own = options.scenarios.as_ref().and_then(|all| all.get(&s.name));
            let own_tags = pairs(own.and_then(|o| o.tags.as_ref()));
            let env = pairs(own.and_then(|o| o.env.as_ref()));
            let tags = Arc::new(scenario_tags(run_tags, &s.name, &own_tags));
            let info = ScenarioInfo::new(s.name.as_str(), s.kind.to_string(), (*tags).clone())
                .with_env(env);
            Scenario {
                name: s.name.clone(),
                tags,
                info: Arc::new(info),
            }
        })
        .collect()
}

fn engine(
    plan: &TestPlan,
    factory: Factory,
    observer: &Arc<EventSamples>,
    options: &Options,
    drain: Option<tokio_util::sync::CancellationToken>,
) -> Engine<Factory> {
    let mut config = k6r_engine::Config::default();
    if let Some(min) = options.min_iteration_duration {
        config = config.with_min_iteration_duration(min.to_std());
    }
    let engine = Engine::new(plan.clone(), factory, observer.clone(), config);
    match drain {
        Some(drain) => engine.with_drain(drain),
        None => engine,
    }
}

/// Points `exec.instance` and each `exec.scenario` at the engine's
/// counters.
fn counters_of(engine: &Engine<Factory>, counters: &instance::Counters, shared: &Shared) {
    let progress = engine.progress();
    for (name, info) in &shared.scenarios {
        if let Some(scenario) = progress.counters(name) {
            let _ = info.progress.set(Arc::new(instance::Scenario(scenario)));
        }
    }
    let _ = counters.progress.set(progress);
}

fn stages(
    options: &Options,
    exports: &[String],
    shared: Arc<Shared>,
    workers: Arc<Workers>,
    spec: Arc<Spec>,
) -> Stages {
    let has = |name: &str| exports.iter().any(|e| e == name);
    let (setup, teardown) = (has("setup"), has("teardown"));
    let timeouts = (
        options.setup_timeout().to_std(),
        options.teardown_timeout().to_std(),
    );
    Stages {
        handle: SetupHandle::new(shared, workers, spec, (setup, teardown), timeouts),
        setup: setup && !options.no_setup.unwrap_or(false),
        teardown: teardown && !options.no_teardown.unwrap_or(false),
    }
}
