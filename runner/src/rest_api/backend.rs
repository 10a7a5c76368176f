//! [`EngineBackend`]: the `k6r-rest` [`Backend`] of a `k6r-cli run`, over the
//! engine's externally-controlled [`ControlHandle`] and live [`Progress`].
//!
//! The run plugs in two providers — [`MetricsSource`] (the live metric
//! sinks, groups and checks, threshold taint) and [`SetupSource`] (setup
//! data, re-running setup/teardown) — and drives the run's phase through
//! the [`RunLink`] it gets back:
//!
//! ```text
//! let (backend, link) = EngineBackend::new(&plan, engine.first_control(),
//!                                          engine.progress(), paused, metrics, setup);
//! let (control, _task) = k6r_rest::spawn(backend);
//! tokio::spawn(k6r_rest::serve(listener, control, shutdown));
//! link.set_phase(ExecutionStatus::PausedBeforeRun); link.resumed().await;   // --paused
//! link.set_phase(ExecutionStatus::Started);
//! // Running (7) once the scenario takes commands: until then changes are staged.
//! spawn(async move { first_control.started().await; link.advance(ExecutionStatus::Running) });
//! engine.run(link.stop_token()).await;          // cancelled by {"stopped":true} → exit 103
//! link.set_phase(ExecutionStatus::Ended);
//! ```
//!
//! Semantics (issue 5): `vus` within `vus-max`; `vus-max` never below the
//! script's `maxVUs`; a `vus` change while paused is stored and applied on
//! resume (the engine keeps paused VUs paused); pause keeps VUs
//! allocated; `stopped:true` cancels the run's stop token. Changes that
//! arrive before the scenario takes commands (a `--paused` run, a
//! `startTime`) are validated here, staged, answered at once, and applied
//! when it starts.

use k6r_api::{ExecutionStatus, GroupResource, MetricResource, Status};
use k6r_core::options::ExecutorKind;
use k6r_core::plan::{TestPlan, Work};
use k6r_engine::{Configured, ControlError as EngineError, ControlHandle, Progress};
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use k6r_core::capacity::{ControlledMax, VuCapacity};
use k6r_core::scale::{self, Vus};
use k6r_rest::{Backend, BoxFuture, ControlError, SetupData, SetupError, StatusPatch};

/// The live metrics of a run.
pub trait MetricsSource: Send + 'static {
    /// Every observed metric (values formatted as k6 does: time in ms).
    fn metrics(&mut self) -> Vec<MetricResource>;
    /// The group tree, flattened depth-first from the root.
    fn groups(&mut self) -> Vec<GroupResource>;
    /// Every observed metric as a Prometheus family (`GET /metrics`).
    fn families(&mut self) -> Vec<k6r_prometheus::Family>;
    /// Whether a threshold failed at its last evaluation.
    fn tainted(&mut self) -> bool;
}

/// The setup data of a run and its setup/teardown functions.
pub trait SetupSource: Send + 'static {
    /// The current data.
    fn data(&mut self) -> SetupData;
    /// Replaces it (VUs that already started keep what they decoded).
    fn set_data(&mut self, data: SetupData);
    /// Runs `setup()` in a new VU and stores its data; without a
    /// `setup()`, yields the data as it is.
    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, String>>;
    /// Runs `teardown(data)` in a new VU (without one: nothing).
    fn run_teardown(&mut self) -> BoxFuture<Result<(), String>>;
}

/// The run's end of an [`EngineBackend`].
#[derive(Debug)]
pub struct RunLink {
    phase: watch::Sender<ExecutionStatus>,
    resume: Option<oneshot::Receiver<()>>,
    stop: CancellationToken,
}

impl RunLink {
    /// Moves the run to `phase` (the `status` number of the API).
    pub fn set_phase(&self, phase: ExecutionStatus) {
        self.phase.send_replace(phase);
    }

    /// Moves the run to `phase` unless it is already there or further
    /// (for watchers racing the run's end).
    pub fn advance(&self, phase: ExecutionStatus) {
        self.phase.send_if_modified(|p| {
            let later = *p < phase;
            if later {
                *p = phase;
            }
            later
        });
    }

    /// The run's current phase.
    pub fn phase(&self) -> ExecutionStatus {
        *self.phase.borrow()
    }

    /// For a `--paused` run: resolves on `PATCH {"paused":false}` (or when
    /// the API is gone, or at once if the run was not started paused).
    pub async fn resumed(&mut self) {
        if let Some(resume) = self.resume.take() {
            tokio::select! {
                _ = resume => {}
                () = self.stop.cancelled() => {}
            }
        }
    }

    /// Cancelled by `PATCH {"stopped":true}`: pass it (or a child) to
    /// `Engine::run`, and exit 103 when it was cancelled.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Whether the API stopped the run.
    pub fn stopped(&self) -> bool {
        self.stop.is_cancelled()
    }
}

/// The externally-controlled scenario as last seen or staged here.
#[derive(Clone, Copy, Debug)]
struct External {
    vus: Vus,
    start_max: u64,
    /// The most max VUs this machine holds for it.
    most: ControlledMax,
    paused: bool,
    /// Changes made before the executor took commands, not yet applied.
    staged: bool,
}

/// A [`Backend`] over the engine; see the module docs.
pub struct EngineBackend<M, S> {
    control: Option<ControlHandle>,
    external: External,
    progress: Progress,
    /// The first executor that cannot pause after its start (k6 refuses
    /// a pause then).
    unpausable: Option<(ExecutorKind, String)>,
    phase: watch::Receiver<ExecutionStatus>,
    resume: Option<oneshot::Sender<()>>,
    stop: CancellationToken,
    metrics: M,
    setup: S,
    scenarios: super::Scenarios,
    /// The autopilot's report as it goes (`GET /v1/autopilot`).
    autopilot: Option<watch::Receiver<k6r_core::autopilot::Report>>,
}

impl<M: MetricsSource, S: SetupSource> EngineBackend<M, S> {
    /// A backend for `plan`. `control` is the engine's handle of the first
    /// externally-controlled scenario (`Engine::first_control`); `paused`
    /// is `--paused`.
    pub fn new(
        plan: &TestPlan,
        control: Option<ControlHandle>,
        progress: Progress,
        paused: bool,
        metrics: M,
        setup: S,
    ) -> (Self, RunLink) {
        let start = control.as_ref().and_then(|c| {
            plan.scenarios().iter().find_map(|s| match s.work {
                Work::ExternallyControlled { vus, max_vus, .. } if s.name == c.scenario() => {
                    Some(Vus { vus, max_vus })
                }
                _ => None,
            })
        });
        let start = start.unwrap_or(Vus { vus: 0, max_vus: 0 });
        let unpausable = plan
            .scenarios()
            .iter()
            .find(|s| s.kind != ExecutorKind::ExternallyControlled)
            .map(|s| (s.kind, s.name.clone()));
        let (phase_tx, phase) = watch::channel(ExecutionStatus::Created);
        let (resume_tx, resume_rx) = oneshot::channel();
        let stop = CancellationToken::new();
        let backend = EngineBackend {
            control,
            external: External {
                vus: start,
                start_max: start.max_vus,
                most: ControlledMax(k6r_core::capacity::MAX_VUS),
                paused: false,
                staged: false,
            },
            progress,
            unpausable,
            phase,
            resume: paused.then_some(resume_tx),
            stop: stop.clone(),
            metrics,
            setup,
            scenarios: super::Scenarios::default(),
            autopilot: None,
        };
        let link = RunLink {
            phase: phase_tx,
            resume: paused.then_some(resume_rx),
            stop,
        };
        (backend, link)
    }

    /// Serves `/v1/scenarios` over these scenarios.
    pub fn with_scenarios(mut self, scenarios: super::Scenarios) -> Self {
        self.scenarios = scenarios;
        self
    }

    /// Serves `/v1/autopilot` from this report as it goes.
    pub fn with_autopilot(
        mut self,
        report: Option<watch::Receiver<k6r_core::autopilot::Report>>,
    ) -> Self {
        self.autopilot = report;
        self
    }

    /// Caps the externally-controlled scenario's max VUs at what
    /// `capacity` leaves beside `plan`'s other scenarios (default: k6r's
    /// most, [`k6r_core::capacity::MAX_VUS`]).
    pub fn with_capacity(mut self, plan: &TestPlan, capacity: VuCapacity) -> Self {
        self.external.most = ControlledMax::of(capacity, plan);
        self
    }

    /// The handle, if its executor takes commands now.
    fn live(&self) -> Option<&ControlHandle> {
        self.control.as_ref().filter(|c| c.is_started())
    }

    /// Applies what was staged before the executor took commands, once it
    /// takes them. Every read of the engine's view goes through here
    /// first: a status read between the start and the actor's wake-up
    /// would otherwise replace the staged values with the engine's.
    async fn apply_staged(&mut self) {
        let Some(c) = self.live().cloned() else {
            return;
        };
        if !std::mem::take(&mut self.external.staged) {
            return;
        }
        let Vus { vus, max_vus } = self.external.vus;
        if let Err(e) = c.update(Some(vus), Some(max_vus)).await {
            tracing::warn!(error = %e, "a staged vus/vus-max change was refused");
        }
        if self.external.paused {
            let _ = c.pause().await;
        }
    }

    /// Refreshes the view from the engine when it answers.
    async fn refresh(&mut self) {
        self.apply_staged().await;
        if let Some(c) = self.live() {
            if let Ok(s) = c.status().await {
                self.external.vus = Vus {
                    vus: s.vus,
                    max_vus: s.max_vus,
                };
                self.external.paused = s.paused;
            }
        }
    }

    async fn pause(&mut self, pause: bool) -> Result<(), ControlError> {
        if self.resume.is_some() {
            // --paused, before the start.
            if pause {
                return Err(ControlError::Pause("execution is already paused".into()));
            }
            if let Some(resume) = self.resume.take() {
                let _ = resume.send(());
            }
            return Ok(());
        }
        self.apply_staged().await;
        if let Some((kind, name)) = &self.unpausable {
            return Err(ControlError::Pause(format!(
                "{kind} executor '{name}' doesn't support pause and resume operations after its start"
            )));
        }
        if let Some(c) = self.live() {
            let result = if pause {
                c.pause().await
            } else {
                c.resume().await
            };
            return result
                .map(|_| ())
                .map_err(|e| ControlError::Pause(pause_message(&e)));
        }
        match (pause, self.external.paused) {
            (true, true) => Err(ControlError::Pause(
                "test execution was already paused".into(),
            )),
            (false, false) => Err(ControlError::Pause("test execution wasn't paused".into())),
            _ => {
                self.external.paused = pause;
                self.external.staged = true;
                Ok(())
            }
        }
    }

    async fn scale(&mut self, vus: Option<i64>, vus_max: Option<i64>) -> Result<(), ControlError> {
        if self.control.is_none() {
            return Err(ControlError::NotExternallyControlled);
        }
        self.refresh().await;
        let External {
            vus: now,
            start_max,
            most,
            ..
        } = self.external;
        let new = scale::update(now, start_max, most, vus, vus_max)?;
        if let Some(c) = self.live() {
            c.update(Some(new.vus), Some(new.max_vus))
                .await
                .map_err(|e| ControlError::ConfigUpdate(e.to_string()))?;
        } else {
            self.external.staged = true;
        }
        self.external.vus = new;
        Ok(())
    }
}

fn pause_message(e: &EngineError) -> String {
    e.to_string()
}

impl<M: MetricsSource, S: SetupSource> Backend for EngineBackend<M, S> {
    async fn status(&mut self) -> Status {
        self.refresh().await;
        let phase = *self.phase.borrow();
        let snapshot = self.progress.snapshot();
        let paused = self.resume.is_some() || (self.control.is_some() && self.external.paused);
        let configured = self.control.as_ref().map(|c| Configured {
            scenario: c.scenario(),
            vus: if paused || !c.is_started() {
                0
            } else {
                self.external.vus.vus
            },
            // Before the executor takes commands k6 shows the VUs
            // initialised so far (a staged `vus-max` is not yet).
            max_vus: if c.is_started() {
                self.external.vus.max_vus
            } else {
                self.external.start_max
            },
        });
        let (vus, vus_max) = snapshot.status_vus(configured);
        Status {
            status: phase,
            paused: Some(paused),
            vus: Some(vus as i64),
            vus_max: Some(vus_max as i64),
            stopped: self.stop.is_cancelled(),
            running: phase.is_running(),
            tainted: self.metrics.tainted(),
        }
    }

    async fn patch_status(&mut self, patch: StatusPatch) -> Result<Status, ControlError> {
        if patch.stopped {
            // The answer is the status as the stop is requested (k6's
            // still says running): taken first, so the run ending in the
            // meantime cannot change it.
            let mut status = self.status().await;
            status.stopped = true;
            self.stop.cancel();
            if let Some(c) = self.live() {
                let _ = c.stop().await;
            }
            return Ok(status);
        } else {
            if let Some(pause) = patch.paused {
                self.pause(pause).await?;
            }
            if patch.changes_vus() {
                self.scale(patch.vus, patch.vus_max).await?;
            }
        }
        Ok(self.status().await)
    }

    async fn metrics(&mut self) -> Vec<MetricResource> {
        self.metrics.metrics()
    }

    async fn groups(&mut self) -> Vec<GroupResource> {
        self.metrics.groups()
    }

    async fn families(&mut self) -> Vec<k6r_prometheus::Family> {
        self.metrics.families()
    }

    async fn setup_data(&mut self) -> SetupData {
        self.setup.data()
    }

    async fn set_setup_data(&mut self, data: SetupData) -> Result<SetupData, SetupError> {
        self.setup.set_data(data);
        Ok(self.setup.data())
    }

    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, SetupError>> {
        let work = self.setup.run_setup();
        Box::pin(async move { work.await.map_err(SetupError::Failed) })
    }

    fn run_teardown(&mut self) -> BoxFuture<Result<(), SetupError>> {
        let work = self.setup.run_teardown();
        Box::pin(async move { work.await.map_err(SetupError::Failed) })
    }

    async fn scenarios(&mut self) -> Vec<k6r_api::scenarios::ScenarioResource> {
        self.scenarios.resources(&self.progress)
    }

    async fn autopilot(&mut self) -> Option<k6r_core::autopilot::Report> {
        self.autopilot
            .as_ref()
            .map(|report| report.borrow().clone())
    }

    fn patch_scenario(
        &mut self,
        name: String,
        change: k6r_core::steer::Change,
    ) -> BoxFuture<Result<k6r_api::scenarios::ScenarioResource, k6r_core::steer::ChangeError>> {
        self.scenarios.apply(name, change, self.progress.clone())
    }

    fn wake(&mut self) -> BoxFuture<()> {
        match &self.control {
            Some(c) if self.external.staged && !c.is_started() => {
                let c = c.clone();
                Box::pin(async move { c.started().await })
            }
            _ if self.external.staged => Box::pin(std::future::ready(())),
            _ => Box::pin(std::future::pending()),
        }
    }

    async fn on_wake(&mut self) {
        self.refresh().await;
        // The flag clears whatever happened, so a scenario that never
        // started cannot spin this.
        self.external.staged = false;
    }
}
