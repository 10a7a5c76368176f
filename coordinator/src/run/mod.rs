//! Distributed runs: a submitted [`RunRequest`](k6r_api::RunRequest) is
//! validated ([`Submission`]), split over the agents ([`plan`]) and driven
//! by one run actor per run, which owns the run's state: the agents'
//! parts, the merged metrics ([`merge`]) and the outcome.
//!
//! ```text
//! REST /v1/runs ──▶ RunsHandle ──▶ manager task (one run at a time; the
//!                                   last one stays readable)
//!                                      │ spawns, keeps its command sender
//!                                      ▼
//! REST /v1/status… ─RunCommand──▶ run actor ◀── registry events (agents'
//!                                   │             messages, connections)
//!                                   └──send_to──▶ agents (Assign, Start…)
//! ```
//!
//! A run's actor lives on after the run is over, answering for its view
//! and metrics, until the next submission replaces it (its command
//! channel closes) or the coordinator shuts down.
//!
//! # Layout
//! - [`submit`]: [`Submission`], a validated request, and [`SubmitError`].
//! - [`plan`]: the segment sequence from the weights; lead and pinned
//!   scenarios.
//! - [`merge`]: [`Merged`](merge::Merged): deltas into one registry,
//!   thresholds on it.
//! - `manager`: the task holding the current run.
//! - `actor`: the run actor: its state, loop, agent events and failures.
//! - `fit`: whether each agent holds the VUs its part could need.
//! - `lifecycle`: assignment, setup, start, deadlines, teardown, outcome.
//! - `loss`: noticing lost agents and `--on-agent-loss`.
//! - `prometheus`: the run's families for `GET /metrics`.
//! - `sample`: the run as the dashboard samples it (a `k6r_dashboard::RunSample`).
//! - `autopilot`: `RunRequest.autopilot`, the run as the autopilot's
//!   plant (rates through the live changes, merged metrics, agents' CPU).
//! - `control`: live control (`PATCH /v1/status`) through the agents.
//! - [`steer`]: k6r's live scenario changes (`/v1/scenarios`) on every
//!   agent at one common instant.
//! - `setup`: `/v1/setup` through the agents (the data, setup() again).
//! - `view`: the [`RunView`] and k6's [`Status`] of a run.

mod actor;
mod autopilot;
mod control;
mod fit;
mod lifecycle;
mod loss;
mod manager;
pub mod merge;
pub mod plan;
mod prometheus;
mod sample;
mod setup;
pub mod steer;
pub mod submit;
mod view;

use std::time::Duration;

use k6r_api::scenarios::ScenarioResource;
use k6r_api::{GroupResource, MetricResource, RunView, Status};
use k6r_core::steer::{Change, ChangeError};
use k6r_rest::{ControlError, SetupError, StatusPatch};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{error::Error, registry::RegistryHandle};

pub use k6r_dashboard::RunSample;
pub use submit::{Submission, SubmitError};

/// How long agents get to load the archive and report READY.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(120);

/// How long the run waits for an agent to acknowledge a control change.
pub const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long aborted agents get to send their last delta and RunDone.
pub const ABORT_TIMEOUT: Duration = Duration::from_secs(15);

/// Added to `setupTimeout`/`teardownTimeout` for the round trip.
pub const LIFECYCLE_SLACK: Duration = Duration::from_secs(10);

/// How long a shut-down coordinator keeps serving the result of the run
/// its shutdown stopped when no one reads it (a following CLI polls every
/// second).
pub const RESULT_GRACE: Duration = Duration::from_secs(3);

/// How often the merged thresholds are evaluated (k6's tick).
pub use k6r_core::threshold::EVALUATION_PERIOD;

/// How often the coordinator samples the cluster's `vus` and `vus_max`
/// while the scenarios run, the first a second and a half after the common
/// start (k6: every second from a second after VU init; the cluster's
/// start comes a start delay after init, when no VU is up yet, and the
/// agents report their VUs every second from the start).
pub const VUS_SAMPLE_PERIOD: Duration = Duration::from_secs(1);

/// Settings the runs take from the coordinator's config.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Agents a run waits for unless its request says.
    pub agents: usize,
    /// How long a run waits for them.
    pub agents_timeout: Duration,
    /// From Start to the common start instant.
    pub start_delay: Duration,
    /// From a live scenario change to the instant the agents apply it.
    pub change_delay: Duration,
}

/// Why a run command could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A run is active.
    #[error("run {0} is in progress")]
    InProgress(String),
    /// No run with that id.
    #[error("no run {0}")]
    NotFound(String),
    /// The manager or run task is gone (shutdown).
    #[error(transparent)]
    Stopped(#[from] Error),
}

/// A request to a run's actor.
#[derive(Debug)]
pub enum RunCommand {
    /// Stop the run (`stopped: true`, `POST /v1/runs/{id}/stop`).
    Stop(oneshot::Sender<()>),
    /// Stop the run because the coordinator is shutting down (exit 105).
    Shutdown(oneshot::Sender<()>),
    /// k6's status of the run.
    Status(oneshot::Sender<Status>),
    /// A `PATCH /v1/status`, answered once the agents acknowledged it.
    Patch(StatusPatch, oneshot::Sender<Result<Status, ControlError>>),
    /// The merged metrics as `/v1/metrics` resources.
    Metrics(oneshot::Sender<Vec<MetricResource>>),
    /// The merged group tree as `/v1/groups` resources.
    Groups(oneshot::Sender<Vec<GroupResource>>),
    /// The run's metrics as Prometheus families (`GET /metrics`).
    Families(oneshot::Sender<Vec<k6r_prometheus::Family>>),
    /// The run for the dashboard's sampler.
    Sample(oneshot::Sender<RunSample>),
    /// `GET /v1/setup`: the run's setup data.
    SetupData(oneshot::Sender<Option<String>>),
    /// `PUT /v1/setup`, answered once the agents have the data.
    SetSetupData(Option<String>, oneshot::Sender<SetupAnswer>),
    /// `POST /v1/setup`: setup() again on the lead, its data to the others.
    RunSetup(oneshot::Sender<SetupAnswer>),
    /// k6r's `GET /v1/scenarios`.
    Scenarios(oneshot::Sender<Vec<ScenarioResource>>),
    /// k6r's `PATCH /v1/scenarios/{name}`, answered once every agent
    /// applied it at the common instant.
    ChangeScenario(
        String,
        Change,
        oneshot::Sender<Result<ScenarioResource, ChangeError>>,
    ),
    /// The merged sinks named and the agents' CPU, for the autopilot,
    /// and whether the scenario named is over.
    Reading(
        String,
        Vec<String>,
        oneshot::Sender<(k6r_core::autopilot::Reading, bool)>,
    ),
    /// The autopilot's report so far (`None`: no autopilot).
    Autopilot(oneshot::Sender<Option<k6r_core::autopilot::Report>>),
}

/// The answer to a PUT or POST of `/v1/setup`: the data now.
pub type SetupAnswer = Result<Option<String>, SetupError>;

/// The way to a run's actor.
#[derive(Clone, Debug)]
pub struct RunLink {
    tx: mpsc::Sender<RunCommand>,
}

impl RunLink {
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> RunCommand) -> Option<T> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(make(reply)).await.ok()?;
        rx.await.ok()
    }

    /// Stops the run; `false` when its actor is gone.
    pub async fn stop(&self) -> bool {
        self.ask(RunCommand::Stop).await.is_some()
    }

    /// Stops the run for the coordinator's shutdown; `false` when its
    /// actor is gone.
    async fn shutdown(&self) -> bool {
        self.ask(RunCommand::Shutdown).await.is_some()
    }

    /// k6's status of the run.
    pub async fn status(&self) -> Option<Status> {
        self.ask(RunCommand::Status).await
    }

    /// Applies a status change through the agents.
    pub async fn patch(&self, patch: StatusPatch) -> Option<Result<Status, ControlError>> {
        self.ask(|r| RunCommand::Patch(patch, r)).await
    }

    /// The merged metrics.
    pub async fn metrics(&self) -> Option<Vec<MetricResource>> {
        self.ask(RunCommand::Metrics).await
    }

    /// The merged group tree.
    pub async fn groups(&self) -> Option<Vec<GroupResource>> {
        self.ask(RunCommand::Groups).await
    }

    /// The run's metrics as Prometheus families.
    pub async fn families(&self) -> Option<Vec<k6r_prometheus::Family>> {
        self.ask(RunCommand::Families).await
    }

    /// The run for the dashboard.
    pub async fn sample(&self) -> Option<RunSample> {
        self.ask(RunCommand::Sample).await
    }

    /// The run's setup data.
    pub async fn setup_data(&self) -> Option<Option<String>> {
        self.ask(RunCommand::SetupData).await
    }

    /// Replaces the run's setup data on every agent.
    pub async fn set_setup_data(&self, data: Option<String>) -> Option<SetupAnswer> {
        self.ask(|r| RunCommand::SetSetupData(data, r)).await
    }

    /// Runs setup() again on the lead; its data goes to every agent.
    pub async fn run_setup(&self) -> Option<SetupAnswer> {
        self.ask(RunCommand::RunSetup).await
    }

    /// Every scenario of the run now.
    pub async fn scenarios(&self) -> Option<Vec<ScenarioResource>> {
        self.ask(RunCommand::Scenarios).await
    }

    /// The run now, as the autopilot reads it.
    pub async fn reading(
        &self,
        scenario: String,
        metrics: Vec<String>,
    ) -> Option<(k6r_core::autopilot::Reading, bool)> {
        self.ask(|r| RunCommand::Reading(scenario, metrics, r))
            .await
    }

    /// The autopilot's report so far.
    pub async fn autopilot(&self) -> Option<Option<k6r_core::autopilot::Report>> {
        self.ask(RunCommand::Autopilot).await
    }

    /// Applies a live change of one scenario on every agent.
    pub async fn change_scenario(
        &self,
        name: String,
        change: Change,
    ) -> Option<Result<ScenarioResource, ChangeError>> {
        self.ask(|r| RunCommand::ChangeScenario(name, change, r))
            .await
    }
}

/// A cheap, cloneable handle on the runs (one at a time).
#[derive(Clone, Debug)]
pub struct RunsHandle {
    tx: mpsc::Sender<manager::RunsCommand>,
}

impl RunsHandle {
    /// Starts the manager task; runs follow `registry` and end on
    /// `shutdown`.
    pub fn spawn(
        registry: RegistryHandle,
        settings: Settings,
        shutdown: CancellationToken,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(64);
        let task = tokio::spawn(manager::run(registry, settings, rx, shutdown));
        (Self { tx }, task)
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> manager::RunsCommand,
    ) -> Result<T, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| Error::RunsStopped)?;
        rx.await.map_err(|_| Error::RunsStopped)
    }

    /// Starts `submission` unless a run is active; its first view.
    pub async fn submit(&self, submission: Submission) -> Result<RunView, RunError> {
        self.ask(|reply| manager::RunsCommand::Submit {
            submission: Box::new(submission),
            reply,
        })
        .await?
    }

    /// The view of run `id` (the current or the last one).
    pub async fn view(&self, id: &str) -> Result<RunView, RunError> {
        self.ask(|reply| manager::RunsCommand::View {
            id: id.to_owned(),
            reply,
        })
        .await?
        .ok_or_else(|| RunError::NotFound(id.to_owned()))
    }

    /// The current (or last) run's view, if any.
    pub async fn list(&self) -> Result<Vec<RunView>, RunError> {
        Ok(self
            .ask(|reply| manager::RunsCommand::Current { reply })
            .await?
            .map(|(view, _)| view)
            .into_iter()
            .collect())
    }

    /// The current (or last) run's actor, if any.
    pub async fn current(&self) -> Option<RunLink> {
        self.ask(|reply| manager::RunsCommand::Current { reply })
            .await
            .ok()
            .flatten()
            .map(|(_, link)| link)
    }

    /// The current (or last) run's actor, without its view.
    pub async fn link(&self) -> Option<RunLink> {
        self.ask(|reply| manager::RunsCommand::Link { reply })
            .await
            .ok()
            .flatten()
    }

    /// Drains the runs for the coordinator's shutdown: refuses new
    /// submissions, stops the active run (exit 105, teardown and result as
    /// after a stop), and returns once it is finished and its result was
    /// read (`GET /v1/runs/{id}`) or [`RESULT_GRACE`] passed without a
    /// reader. Returns at once when no run is active.
    pub async fn drain(&self) -> Result<(), RunError> {
        let done = self
            .ask(|done| manager::RunsCommand::Drain { done })
            .await?;
        done.await
            .map_err(|_| RunError::Stopped(Error::RunsStopped))
    }

    /// Stops run `id`.
    pub async fn stop(&self, id: &str) -> Result<(), RunError> {
        let (view, link) = self
            .ask(|reply| manager::RunsCommand::Current { reply })
            .await?
            .filter(|(v, _)| v.id == id)
            .ok_or_else(|| RunError::NotFound(id.to_owned()))?;
        if !link.stop().await {
            return Err(RunError::NotFound(view.id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
