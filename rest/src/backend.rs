//! The run's side of the API: the [`Backend`] trait the run implements,
//! and the one task that owns it.
//!
//! Handlers never touch the run's state. They validate a request, then
//! send a [`Request`] with a oneshot for the answer over a bounded channel
//! to the task started by [`spawn`], which owns the backend and applies
//! requests one at a time, in arrival order. A hundred concurrent PATCHes
//! are therefore applied one after the other, each answered with the
//! status right after it.
//!
//! `POST /v1/setup` and `POST /v1/teardown` run user code, which may take
//! long: the backend hands out a future for the work (which stores the
//! new setup data itself), and the task runs it on the side while status
//! requests keep being answered.

use std::future::Future;
use std::pin::Pin;

use k6r_api::scenarios::ScenarioResource;
use k6r_api::{GroupResource, MetricResource, Status};
use k6r_core::autopilot::Report;
use k6r_core::steer::{Change, ChangeError};
use k6r_prometheus::Family;
use serde_json::value::RawValue;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::error::{ControlError, Error, Result, SetupError};
use crate::patch::StatusPatch;

/// A boxed `Send` future with no borrows.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Raw JSON setup data (`None`: there is none).
pub type SetupData = Option<Box<RawValue>>;

/// How many requests may wait for the task before handlers wait too.
const QUEUE: usize = 64;

/// What the run provides to the API. Every method is called from the one
/// task that owns the backend, never concurrently.
///
/// How to add a new route backed by the run:
/// 1. add a method here (with a default if it is optional);
/// 2. add a [`Request`] variant and its arm in `BackendActor::handle`;
/// 3. add a [`Control`] method that sends it;
/// 4. add the handler under `routes/` and its line in `server::router`.
pub trait Backend: Send + 'static {
    /// The current status.
    fn status(&mut self) -> impl Future<Output = Status> + Send;

    /// Applies a PATCH (already decoded; numbers not yet range-checked)
    /// and returns the status after it.
    fn patch_status(
        &mut self,
        patch: StatusPatch,
    ) -> impl Future<Output = Result<Status, ControlError>> + Send;

    /// Every observed metric, as resources (id = the metric's name).
    fn metrics(&mut self) -> impl Future<Output = Vec<MetricResource>> + Send;

    /// The group tree flattened depth-first, root first.
    fn groups(&mut self) -> impl Future<Output = Vec<GroupResource>> + Send;

    /// The run's metrics (and the serving process's own) as Prometheus
    /// families, for `GET /metrics`.
    fn families(&mut self) -> impl Future<Output = Vec<Family>> + Send;

    /// The setup data.
    fn setup_data(&mut self) -> impl Future<Output = SetupData> + Send;

    /// Replaces the setup data (`None` clears it) where the run's VUs read
    /// it, and returns it; or says why not now.
    fn set_setup_data(
        &mut self,
        data: SetupData,
    ) -> impl Future<Output = Result<SetupData, SetupError>> + Send;

    /// Starts running `setup()` again; the future stores its data where
    /// the VUs read it and yields it. A script without `setup()` runs
    /// nothing and yields the data as it is (k6 answers it with 200).
    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, SetupError>>;

    /// Starts running `teardown(data)` now (a script without one: nothing).
    fn run_teardown(&mut self) -> BoxFuture<Result<(), SetupError>>;

    /// Every scenario now (k6r's `GET /v1/scenarios`), in plan order.
    /// The default has none.
    fn scenarios(&mut self) -> impl Future<Output = Vec<ScenarioResource>> + Send {
        async { Vec::new() }
    }

    /// Starts applying a live change of scenario `name` (validated by the
    /// scenario's executor); the future yields the scenario after it. It
    /// runs on the side, as setup does: a cluster's change waits for its
    /// common instant. The default knows no scenario.
    fn patch_scenario(
        &mut self,
        name: String,
        change: Change,
    ) -> BoxFuture<Result<ScenarioResource, ChangeError>> {
        let _ = change;
        Box::pin(async move { Err(ChangeError::NoScenario(name)) })
    }

    /// The autopilot's report so far (k6r's `GET /v1/autopilot`); the
    /// default: no autopilot steers the run.
    fn autopilot(&mut self) -> impl Future<Output = Option<Report>> + Send {
        async { None }
    }

    /// Resolves when the backend has work of its own to do (for example
    /// applying a change staged before its scenario started); the task
    /// then calls [`on_wake`](Self::on_wake). The default never resolves.
    fn wake(&mut self) -> BoxFuture<()> {
        Box::pin(std::future::pending())
    }

    /// Does the work [`wake`](Self::wake) announced.
    fn on_wake(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

type Reply<T> = oneshot::Sender<T>;

/// A request to the task that owns the backend.
#[derive(Debug)]
pub enum Request {
    /// `GET /v1/status`.
    Status(Reply<Status>),
    /// `PATCH /v1/status`.
    Patch(StatusPatch, Reply<Result<Status, ControlError>>),
    /// `GET /v1/metrics[/{id}]`.
    Metrics(Reply<Vec<MetricResource>>),
    /// `GET /v1/groups[/{id}]`.
    Groups(Reply<Vec<GroupResource>>),
    /// `GET /metrics`.
    Families(Reply<Vec<Family>>),
    /// `GET /v1/setup`.
    GetSetup(Reply<SetupData>),
    /// `PUT /v1/setup`.
    SetSetup(SetupData, Reply<Result<SetupData, SetupError>>),
    /// `POST /v1/setup`.
    RunSetup(Reply<Result<SetupData, SetupError>>),
    /// `POST /v1/teardown`.
    RunTeardown(Reply<Result<(), SetupError>>),
    /// `GET /v1/scenarios[/{name}]`.
    Scenarios(Reply<Vec<ScenarioResource>>),
    /// `PATCH /v1/scenarios/{name}`.
    PatchScenario(String, Change, Reply<Result<ScenarioResource, ChangeError>>),
    /// `GET /v1/autopilot`.
    Autopilot(Reply<Option<Report>>),
}

/// The handle the server (and anything else) talks to the run through.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Control {
    tx: mpsc::Sender<Request>,
}

/// Starts the task that owns `backend`. It runs until every [`Control`]
/// is dropped and the work it started is done, then returns the backend.
pub fn spawn<B: Backend>(backend: B) -> (Control, tokio::task::JoinHandle<B>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let actor = BackendActor {
        backend,
        rx,
        jobs: JoinSet::new(),
    };
    (Control { tx }, tokio::spawn(actor.run()))
}

impl Control {
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(make(reply)).await.map_err(|_| Error::Gone)?;
        answer.await.map_err(|_| Error::Gone)
    }

    /// The current status.
    pub async fn status(&self) -> Result<Status> {
        self.ask(Request::Status).await
    }

    /// Applies a status change.
    pub async fn patch(&self, patch: StatusPatch) -> Result<Status> {
        Ok(self.ask(|r| Request::Patch(patch, r)).await??)
    }

    /// Every observed metric.
    pub async fn metrics(&self) -> Result<Vec<MetricResource>> {
        self.ask(Request::Metrics).await
    }

    /// The flattened group tree.
    pub async fn groups(&self) -> Result<Vec<GroupResource>> {
        self.ask(Request::Groups).await
    }

    /// The metrics as Prometheus families.
    pub async fn families(&self) -> Result<Vec<Family>> {
        self.ask(Request::Families).await
    }

    /// The setup data.
    pub async fn setup_data(&self) -> Result<SetupData> {
        self.ask(Request::GetSetup).await
    }

    /// Replaces the setup data and returns it.
    pub async fn set_setup_data(&self, data: SetupData) -> Result<SetupData> {
        self.ask(|r| Request::SetSetup(data, r))
            .await?
            .map_err(Error::SetSetup)
    }

    /// Runs `setup()` and returns the new data.
    pub async fn run_setup(&self) -> Result<SetupData> {
        self.ask(Request::RunSetup).await?.map_err(Error::Setup)
    }

    /// Every scenario now.
    pub async fn scenarios(&self) -> Result<Vec<ScenarioResource>> {
        self.ask(Request::Scenarios).await
    }

    /// Applies a live change of one scenario; the scenario after it.
    pub async fn patch_scenario(&self, name: String, change: Change) -> Result<ScenarioResource> {
        self.ask(|r| Request::PatchScenario(name, change, r))
            .await?
            .map_err(Error::Change)
    }

    /// The autopilot's report so far (`None`: no autopilot).
    pub async fn autopilot(&self) -> Result<Option<Report>> {
        self.ask(Request::Autopilot).await
    }

    /// Runs `teardown()`.
    pub async fn run_teardown(&self) -> Result<()> {
        self.ask(Request::RunTeardown)
            .await?
            .map_err(Error::Teardown)
    }
}

struct BackendActor<B: Backend> {
    backend: B,
    rx: mpsc::Receiver<Request>,
    /// Setup/teardown work running on the side; each answers its caller.
    jobs: JoinSet<()>,
}

impl<B: Backend> BackendActor<B> {
    async fn run(mut self) -> B {
        let mut open = true;
        while open || !self.jobs.is_empty() {
            let wake = self.backend.wake();
            tokio::select! {
                request = self.rx.recv(), if open => match request {
                    Some(request) => self.handle(request).await,
                    None => open = false,
                },
                Some(done) = self.jobs.join_next(), if !self.jobs.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "a setup/teardown task failed");
                    }
                }
                () = wake => self.backend.on_wake().await,
            }
        }
        self.backend
    }

    async fn handle(&mut self, request: Request) {
        // A dropped reply means the client went away: nothing to do.
        match request {
            Request::Status(reply) => {
                let _ = reply.send(self.backend.status().await);
            }
            Request::Patch(patch, reply) => {
                let _ = reply.send(self.backend.patch_status(patch).await);
            }
            Request::Metrics(reply) => {
                let _ = reply.send(self.backend.metrics().await);
            }
            Request::Groups(reply) => {
                let _ = reply.send(self.backend.groups().await);
            }
            Request::Families(reply) => {
                let _ = reply.send(self.backend.families().await);
            }
            Request::GetSetup(reply) => {
                let _ = reply.send(self.backend.setup_data().await);
            }
            Request::SetSetup(data, reply) => {
                let _ = reply.send(self.backend.set_setup_data(data).await);
            }
            Request::RunSetup(reply) => {
                let work = self.backend.run_setup();
                self.jobs.spawn(async move {
                    let _ = reply.send(work.await);
                });
            }
            Request::Scenarios(reply) => {
                let _ = reply.send(self.backend.scenarios().await);
            }
            Request::Autopilot(reply) => {
                let _ = reply.send(self.backend.autopilot().await);
            }
            Request::PatchScenario(name, change, reply) => {
                let work = self.backend.patch_scenario(name, change);
                self.jobs.spawn(async move {
                    let _ = reply.send(work.await);
                });
            }
            Request::RunTeardown(reply) => {
                let work = self.backend.run_teardown();
                self.jobs.spawn(async move {
                    let _ = reply.send(work.await);
                });
            }
        }
    }
}
