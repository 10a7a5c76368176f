//! [`run`]: one test run from setup to teardown, and its [`RunResult`].

use std::sync::{Arc, OnceLock, PoisonError};
use std::time::Instant;

use k6r_core::capacity::ControlledMax;
use k6r_core::exit::ExitCode;
use k6r_core::metrics::Tags;
use k6r_core::plan::TestPlan;
use k6r_engine::{AbortReason, Engine, Report};
use k6r_script::log::Level;
use k6r_script::{scenario_tags, ScenarioInfo};
use tokio_util::sync::CancellationToken;

use crate::config::{self, Config};
use crate::coroutine::Spec;
use crate::error::{Error, Result};
use crate::events::EventSamples;
use crate::lifecycle::{Ended, Stage};
use crate::remote::{Event as RemoteEvent, StageOutcome};
use crate::samples::{self, Sinks};
use crate::setup::SetupHandle;
use crate::totals::Totals;
use crate::vu::{Factory, Shared};
use crate::workers::Workers;
use crate::{instance, lifecycle, rest_api};

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// The plan ran to its end.
    Finished,
    /// The shutdown signal stopped it.
    Stopped,
    /// `exec.test.abort(reason)`.
    Aborted(Option<String>),
}

/// What a run produced.
pub struct RunResult {
    /// How it ended.
    pub end: End,
    /// What failed (init, setup, teardown), if anything did; it decides
    /// the exit code before [`RunResult::end`].
    pub error: Option<Error>,
    /// The engine's report, when the scenarios ran.
    pub report: Option<Report>,
    /// Per-metric counts.
    pub totals: Totals,
    /// The configured sinks, after the last sample.
    pub sinks: Sinks,
    /// `exec.test.fail()` was called.
    pub marked_failed: bool,
    /// What `setup()` returned, as JSON (`None`: no setup, or `undefined`);
    /// `handleSummary`'s `data.setup_data`.
    pub setup_data: Option<Arc<str>>,
}

impl RunResult {
    /// k6's exit code for this run (thresholds aside).
    pub fn exit_code(&self) -> i32 {
        if let Some(error) = &self.error {
            return error.exit_code();
        }
        match self.end {
            End::Finished if self.marked_failed => ExitCode::MarkedFailed.code(),
            End::Finished => ExitCode::Success.code(),
            End::Stopped => ExitCode::ExternalAbort.code(),
            End::Aborted(_) => ExitCode::ScriptAborted.code(),
        }
    }
}

/// Runs the test of `config` until its plan ends or `shutdown` fires
/// (then running iterations are interrupted, and teardown still runs).
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<RunResult> {
    let plan = TestPlan::with_pinned(&config.options, &config.pinned)
        .map_err(|e| Error::Plan(e.to_string()))?;
    // Before any VU is made: growing VUs until the allocator fails would
    // wedge the machine.
    config.capacity.check(plan.max_possible_vus())?;
    let mut remote = config.remote;
    let totals = Totals::default();
    let mut sinks: Sinks = config.sinks;
    sinks.insert(0, Box::new(totals.clone()));
    let (channel, consumer) = samples::consume(sinks);

    let run_tags: Tags = config
        .options
        .tags
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let run_tags = Arc::new(run_tags);
    let counters = Arc::new(instance::Counters {
        progress: OnceLock::new(),
        start: Instant::now(),
    });
    let http = config::http_options(&config.options).map_err(Error::Plan)?;
    let script_config = config
        .script_config
        .clone()
        .with_samples(Arc::new(channel.clone()))
        .with_tags((*run_tags).clone())
        .with_http(http)
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
    let has = |name: &str| config.exports.iter().any(|e| e == name);

    let mut result = RunResult {
        end: End::Finished,
        error: None,
        report: None,
        totals,
        sinks: Vec::new(),
        marked_failed: false,
        setup_data: None,
    };

    let scenarios: Vec<ScenarioParts> = plan
        .scenarios()
        .iter()
        .map(|s| {
            let own = config
                .options
                .scenarios
                .as_ref()
                .and_then(|all| all.get(&s.name));
            let pairs = |map: Option<&std::collections::BTreeMap<String, String>>| {
                map.map(|m| m.clone().into_iter().collect::<Vec<_>>())
                    .unwrap_or_default()
            };
            let own_tags = pairs(own.and_then(|o| o.tags.as_ref()));
            let env = pairs(own.and_then(|o| o.env.as_ref()));
            let tags = Arc::new(scenario_tags(&run_tags, &s.name, &own_tags));
            (s.name.clone(), tags, s.kind.to_string(), env)
        })
        .collect();
    let shared = Arc::new(Shared {
        data: Default::default(),
        scenarios: scenarios
            .iter()
            .map(|(name, tags, executor, env)| {
                let info = ScenarioInfo::new(name.as_str(), executor.as_str(), (**tags).clone())
                    .with_env(env.clone());
                (name.clone(), Arc::new(info))
            })
            .collect(),
        init_error: Default::default(),
    });
    let factory = Factory {
        workers: Arc::clone(&workers),
        spec: Arc::clone(&spec),
        shared: Arc::clone(&shared),
    };
    let tagged: Vec<(String, Arc<Tags>)> =
        scenarios.into_iter().map(|(n, t, _, _)| (n, t)).collect();
    let observer = Arc::new(EventSamples::new(
        channel.clone(),
        Arc::clone(&run_tags),
        &tagged,
    ));
    let mut engine_config = k6r_engine::Config::default();
    if let Some(min) = config.options.min_iteration_duration {
        engine_config = engine_config.with_min_iteration_duration(min.to_std());
    }
    let mut engine = Engine::new(plan.clone(), factory, observer.clone(), engine_config);
    if let Some(drain) = config.drain {
        engine = engine.with_drain(drain);
    }
    let progress = engine.progress();
    let _ = counters.progress.set(progress.clone());
    for (name, info) in &shared.scenarios {
        if let Some(scenario) = progress.counters(name) {
            let _ = info.progress.set(Arc::new(instance::Scenario(scenario)));
        }
    }
    let controls: Vec<_> = plan
        .scenarios()
        .iter()
        .filter_map(|s| engine.control(&s.name))
        .collect();
    let setup_handle = SetupHandle::new(
        Arc::clone(&shared),
        Arc::clone(&workers),
        Arc::clone(&spec),
        (has("setup"), has("teardown")),
        (
            config.options.setup_timeout().to_std(),
            config.options.teardown_timeout().to_std(),
        ),
    );
    let mut live = config.live.map(|live| {
        live.start(rest_api::Parts {
            plan: &plan,
            control: engine.first_control(),
            progress: engine.progress(),
            setup: setup_handle.clone(),
            capacity: config.capacity,
        })
    });
    // From here on `{"stopped":true}` stops the run as a signal would.
    let shutdown = match &live {
        Some(live) => live.stop_token(&shutdown),
        None => shutdown,
    };
    let ticking = CancellationToken::new();
    // k6 samples the VU gauges from the start of VU initialisation (which
    // `run_after` begins with) to the end of teardown.
    let gauges_ticking = CancellationToken::new();
    let gauges = tokio::spawn(Arc::clone(&observer).tick_vus(gauges_ticking.clone()));
    let reporter = config.progress.clone().map(|report| {
        let progress = engine.progress();
        let stop = ticking.clone();
        let start = tokio::time::Instant::now();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(
                start + std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(1),
            );
            loop {
                tokio::select! {
                    _ = ticks.tick() => report(&progress.snapshot(), start.elapsed()),
                    _ = stop.cancelled() => break,
                }
            }
            report(&progress.snapshot(), start.elapsed());
        })
    });

    // setup() runs once the planned VUs are initialised and before any
    // scenario starts (§2.1); `None` when it did not run at all.
    let mut setup: Option<Result<Ended>> = None;
    let wants_setup = has("setup") && !config.options.no_setup.unwrap_or(false);
    // The engine opens the gate once the planned VUs are initialised.
    let gate = async {
        if let Some(remote) = &mut remote {
            // The driver stores the data through the handle.
            remote.event(RemoteEvent::Ready {
                progress,
                controls,
                setup: setup_handle,
                controlled_max: ControlledMax::of(config.capacity, &plan),
            });
            let timeout = config.options.setup_timeout().to_std();
            return remote.gate(&workers, &spec, timeout, &shutdown).await;
        }
        if let Some(live) = &mut live {
            if !live.before_setup(&shutdown, wants_setup).await {
                return false;
            }
        }
        if !wants_setup {
            // No setup(): the data stays what a `PUT /v1/setup` stored, if any.
            if let Some(live) = &live {
                live.after_setup();
            }
            return true;
        }
        let ended = lifecycle::run(
            Stage::Setup,
            &workers,
            Arc::clone(&spec),
            None,
            config.options.setup_timeout().to_std(),
            shutdown.child_token(),
        )
        .await;
        let proceed = matches!(ended, Ok(Ended::Returned(_)));
        if let Ok(Ended::Returned(value)) = &ended {
            shared.data.set(value.as_deref().map(Arc::from));
            if let Some(live) = &live {
                live.after_setup();
            }
        }
        setup = Some(ended);
        proceed
    };
    let outcome = engine.run_after(shutdown.child_token(), gate).await;
    ticking.cancel();
    if let Some(reporter) = reporter {
        let _ = reporter.await;
    }
    // Whether the test got past init (teardown runs only then).
    let mut initialised = true;
    match setup {
        Some(Ok(Ended::Aborted(reason))) => result.end = End::Aborted(reason),
        Some(Ok(Ended::Interrupted)) => result.end = End::Stopped,
        Some(Err(error)) => result.error = Some(error),
        Some(Ok(Ended::Returned(_))) | None => {}
    }
    match outcome {
        Ok(report) => {
            if result.error.is_none() && result.end == End::Finished {
                result.end = match &report.aborted {
                    Some(AbortReason::Script(reason)) => {
                        End::Aborted(Some(reason.clone()).filter(|r| !r.is_empty()))
                    }
                    Some(AbortReason::VuInit(init)) => {
                        result.error =
                            Some(take_init_error(&shared).unwrap_or(Error::Plan(init.to_string())));
                        End::Finished
                    }
                    None if report.stopped => End::Stopped,
                    None => End::Finished,
                };
            }
            result.report = Some(report);
        }
        Err(error) => {
            initialised = false;
            result.error = Some(take_init_error(&shared).unwrap_or(Error::Plan(error.to_string())));
        }
    }

    let setup_failed = matches!(
        result.error,
        Some(Error::Exception { .. } | Error::Timeout { .. })
    );
    let wants_teardown = has("teardown") && !config.options.no_teardown.unwrap_or(false);
    let started = live.as_ref().is_none_or(|live| live.started());
    if let Some(remote) = &mut remote {
        // An agent's samples after its scenarios end are not read: the
        // coordinator samples the cluster's gauges itself.
        gauges_ticking.cancel();
        if initialised {
            // The driver reads the metrics when told the scenarios ended:
            // every sample of theirs must be in the sinks by then.
            channel.flush().await;
            let aborted = match &result.end {
                End::Aborted(reason) => Some(reason.clone().unwrap_or_default()),
                _ => None,
            };
            if let Some((data, reply)) = remote.after(aborted).await {
                let outcome = if wants_teardown {
                    teardown(&mut result, &workers, &spec, data, &config.options).await
                } else {
                    StageOutcome::Returned(None)
                };
                let _ = reply.send(outcome);
            }
        }
    } else if wants_teardown && initialised && !setup_failed && started {
        if let Some(live) = &live {
            live.teardown();
        }
        let data = shared.data.get();
        teardown(&mut result, &workers, &spec, data, &config.options).await;
    }
    gauges_ticking.cancel();
    let _ = gauges.await;

    let finished_none = result
        .report
        .as_ref()
        .is_some_and(|report| report.counters.complete == 0);
    // k6 warns only when the run itself ended without an error: not after
    // an abort (`exec.test.abort()`) or a stop (REST, signal, abortOnFail).
    if finished_none && result.error.is_none() && result.end == End::Finished {
        spec.config.log.log(
            Level::Warning,
            "No script iterations fully finished, consider making the test duration longer",
            &[],
        );
    }
    result.setup_data = shared.data.get();
    result.marked_failed = spec
        .config
        .failed
        .load(std::sync::atomic::Ordering::Relaxed);
    channel.finish();
    drop(channel);
    result.sinks = consumer.await.unwrap_or_default();
    result.sinks.remove(0);
    if let Some(live) = &live {
        live.ended();
    }
    Ok(result)
}

/// Runs `teardown(data)` on a new VU 0 and records its outcome in
/// `result`.
async fn teardown(
    result: &mut RunResult,
    workers: &Workers,
    spec: &Arc<Spec>,
    data: Option<Arc<str>>,
    options: &k6r_core::options::Options,
) -> StageOutcome {
    let ended = lifecycle::run(
        Stage::Teardown,
        workers,
        Arc::clone(spec),
        data,
        options.teardown_timeout().to_std(),
        CancellationToken::new(),
    )
    .await;
    match ended {
        Ok(Ended::Aborted(reason)) => {
            if result.end == End::Finished {
                result.end = End::Aborted(reason.clone());
            }
            StageOutcome::Aborted(reason)
        }
        Ok(ended) => Ok(ended).into(),
        Err(error) => {
            let outcome = StageOutcome::failed(&error);
            result.error.get_or_insert(error);
            outcome
        }
    }
}

/// A scenario's name, full tags, executor and `env`.
type ScenarioParts = (String, Arc<Tags>, String, Vec<(String, String)>);

fn take_init_error(shared: &Shared) -> Option<Error> {
    shared
        .init_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}
