//! k6's REST API inside a run (`k6r-cli run -a ADDR`, `--paused`): the
//! `k6r-rest` server over the engine's externally-controlled scenario,
//! the run's phase (`status` 1 → 4 → 5 → 6 → 7 → 8 → 9), a `--paused`
//! start, and `{"stopped":true}`.
//!
//! ```text
//! caller ── Live::new(listener, paused, metrics, tainted) ──▶ Config::with_live ─▶ run()
//!   │                                                        │ attach: Live::start (engine built)
//!   │ Handle: stopped()? shutdown()                          ├─ REST server task ─▶ k6r_rest actor
//!   ▼                                                        ├─ gate: wait for resume, Started, Setup
//! linger, exit 103                                           ├─ after setup: Running once the
//!                                                            │  scenario takes commands
//!                                                            └─ Teardown, Ended
//! ```
//!
//! `/v1/metrics` and `/v1/groups` read the run's [`Metrics`], the
//! registry the summary is printed from, under a short lock; `tainted`
//! comes from the thresholds loop's [`Tainted`]. `/v1/setup` reads and
//! writes the run's setup data, the data VUs decode at their first
//! iteration. Rates use the test-run duration of a [`Clock`]: from the
//! start (past `--paused`) to the end, paused time left out (k6).
//!
//! k6r's `/v1/scenarios` beside it ([`Scenarios`], `scenarios.rs`) reads
//! and changes every scenario through the engine's live-change handles.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k6r_api::{ExecutionStatus, GroupResource, MetricResource};
use k6r_core::plan::TestPlan;
use k6r_engine::{ControlHandle, Progress};
use k6r_rest::{BoxFuture, SetupData};
use serde_json::value::RawValue;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::Metrics;
use crate::remote::StageOutcome;
use crate::setup::SetupHandle;
use crate::thresholds::Tainted;

mod backend;
mod scenarios;

pub use backend::{EngineBackend, MetricsSource, RunLink, SetupSource};
pub use scenarios::Scenarios;

/// How long [`Handle::shutdown`] waits for in-flight API requests before
/// it cuts them.
const DRAIN: Duration = Duration::from_secs(2);

/// The REST API and `--paused` of one run; give it to
/// [`Config::with_live`](crate::Config::with_live).
pub struct Live {
    listener: Option<std::net::TcpListener>,
    /// A second listener serving the API with pages beside it.
    page: Option<(std::net::TcpListener, axum::Router)>,
    paused: bool,
    metrics: Metrics,
    tainted: Tainted,
    clock: Clock,
    lifetime: CancellationToken,
    /// Cuts the requests still in flight after the drain.
    cut: CancellationToken,
    stopped: CancellationToken,
    served: Option<oneshot::Sender<()>>,
    /// Once the run started it.
    serving: Option<Serving>,
    /// The autopilot's report as it goes (`GET /v1/autopilot`).
    autopilot: Option<tokio::sync::watch::Receiver<k6r_core::autopilot::Report>>,
}

/// The caller's side of a [`Live`]: whether the API stopped the run, and
/// the server's end.
#[derive(Debug)]
pub struct Handle {
    lifetime: CancellationToken,
    cut: CancellationToken,
    stopped: CancellationToken,
    served: oneshot::Receiver<()>,
    clock: Clock,
}

impl Live {
    /// Serves the API on `listener` (`None`: `-a ""`, no server) from the
    /// start of the run until [`Handle::shutdown`]; `paused` is
    /// `--paused`. The listener must be non-blocking. `/v1/metrics` reads
    /// `metrics` (the run's sink, which the caller registers with the run)
    /// and `tainted` (fed by the thresholds loop).
    pub fn new(
        listener: Option<std::net::TcpListener>,
        paused: bool,
        metrics: Metrics,
        tainted: Tainted,
    ) -> (Live, Handle) {
        let clock = Clock::default();
        let lifetime = CancellationToken::new();
        let cut = CancellationToken::new();
        let stopped = CancellationToken::new();
        let (served_tx, served) = oneshot::channel();
        let live = Live {
            listener,
            page: None,
            paused,
            metrics,
            tainted,
            clock: clock.clone(),
            lifetime: lifetime.clone(),
            cut: cut.clone(),
            stopped: stopped.clone(),
            served: Some(served_tx),
            serving: None,
            autopilot: None,
        };
        (
            live,
            Handle {
                lifetime,
                cut,
                stopped,
                served,
                clock,
            },
        )
    }

    /// Serves `GET /v1/autopilot` from the autopilot's `report`.
    pub fn with_autopilot(
        mut self,
        report: tokio::sync::watch::Receiver<k6r_core::autopilot::Report>,
    ) -> Live {
        self.autopilot = Some(report);
        self
    }

    /// Also serves the API with `routes` beside it (the web dashboard,
    /// whose controls call the API on their own origin) on `listener`,
    /// for as long as the API; `routes` have no fallback of their own.
    /// The listener must be non-blocking.
    pub fn with_page(mut self, listener: std::net::TcpListener, routes: axum::Router) -> Live {
        self.page = Some((listener, routes));
        self
    }

    /// Starts the server over the engine's handles, before the VUs are
    /// initialised. Needs a Tokio runtime.
    pub(crate) fn start(&mut self, parts: Parts<'_>) -> &Serving {
        let Parts {
            plan,
            control,
            progress,
            setup,
            capacity,
            steering,
        } = parts;
        let metrics = LiveMetrics {
            metrics: self.metrics.clone(),
            tainted: self.tainted.clone(),
            clock: self.clock.clone(),
        };
        let (backend, link) =
            EngineBackend::new(plan, control.clone(), progress, self.paused, metrics, setup);
        let backend = backend
            .with_capacity(plan, capacity)
            .with_scenarios(Scenarios::new(steering))
            .with_autopilot(self.autopilot.take());
        link.set_phase(ExecutionStatus::InitVus);
        let (api, backend_task) = k6r_rest::spawn(backend);
        let served = self.served.take();
        let listener = self.listener.take().map(tokio::net::TcpListener::from_std);
        let page = self
            .page
            .take()
            .map(|(l, routes)| (tokio::net::TcpListener::from_std(l), routes));
        let (lifetime, cut) = (self.lifetime.clone(), self.cut.clone());
        // The servers and the backend's actor, owned by one task that the
        // caller's `Handle::shutdown` awaits (it holds `served`).
        tokio::spawn(async move {
            let mut backend_task = backend_task;
            let api_server = serve_api(listener, api.clone(), lifetime.clone());
            let page_server = serve_page(page, api, lifetime);
            tokio::select! {
                _ = async { tokio::join!(api_server, page_server) } => {}
                () = cut.cancelled() => {
                    tracing::warn!("REST API requests still in flight after the drain were cut");
                }
            }
            // The actor ends once the server's last handle to it is gone.
            tokio::select! {
                _ = &mut backend_task => {}
                () = cut.cancelled() => {
                    backend_task.abort();
                    let _ = backend_task.await;
                }
            }
            drop(served);
        });
        self.serving.insert(Serving {
            link: Arc::new(link),
            control,
            clock: self.clock.clone(),
            stopped: self.stopped.clone(),
            paused: self.paused,
            started: false,
            tasks: TaskTracker::new(),
            done: CancellationToken::new(),
        })
    }

    /// The run being served, once [`start`](Self::start)ed.
    pub(crate) fn serving_mut(&mut self) -> Option<&mut Serving> {
        self.serving.as_mut()
    }
}

/// k6's API on `listener` (if any) until `lifetime` ends.
async fn serve_api(
    listener: Option<std::io::Result<tokio::net::TcpListener>>,
    api: k6r_rest::Control,
    lifetime: CancellationToken,
) {
    let shutdown = async move { lifetime.cancelled().await };
    match listener {
        Some(Ok(listener)) => {
            if let Err(e) = k6r_rest::serve(listener, api, shutdown).await {
                tracing::error!(error = %e, "the REST API server failed");
            }
        }
        Some(Err(e)) => tracing::error!(error = %e, "the REST API listener is unusable"),
        None => {}
    }
}

/// The API with pages beside it on the page's listener (if any) until
/// `lifetime` ends.
async fn serve_page(
    page: Option<(std::io::Result<tokio::net::TcpListener>, axum::Router)>,
    api: k6r_rest::Control,
    lifetime: CancellationToken,
) {
    let shutdown = async move { lifetime.cancelled().await };
    match page {
        Some((Ok(listener), routes)) => {
            if let Err(e) = k6r_rest::serve_with(listener, api, routes, shutdown).await {
                tracing::error!(error = %e, "the web dashboard's server failed");
            }
        }
        Some((Err(e), _)) => {
            tracing::error!(error = %e, "the web dashboard's listener is unusable")
        }
        None => {}
    }
}

impl Handle {
    /// Whether `{"stopped":true}` stopped the run (exit code 103).
    pub fn stopped(&self) -> bool {
        self.stopped.is_cancelled()
    }

    /// The test-run duration: from the start (past `--paused`) until now
    /// or the end, paused time left out; `None` if the run never started.
    pub fn test_run_duration(&self) -> Option<Duration> {
        self.clock.elapsed()
    }

    /// The run's test-run duration clock (for the thresholds loop).
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Stops the server, waits (briefly) for requests in flight, cuts
    /// those left, and waits for the server's task to end.
    pub async fn shutdown(mut self) {
        self.lifetime.cancel();
        if tokio::time::timeout(DRAIN, &mut self.served).await.is_err() {
            self.cut.cancel();
            let _ = self.served.await;
        }
    }
}

/// What [`Live::start`] needs from the run.
pub(crate) struct Parts<'a> {
    pub plan: &'a TestPlan,
    pub control: Option<ControlHandle>,
    pub progress: Progress,
    /// The setup data the VUs read, and setup/teardown on request.
    pub setup: SetupHandle,
    /// The VUs this machine holds (caps `vus-max` changes).
    pub capacity: k6r_core::capacity::VuCapacity,
    /// Every scenario's live-change handle, in plan order.
    pub steering: Vec<k6r_engine::Steer>,
}

/// A run being served; the run calls its hooks in order.
pub(crate) struct Serving {
    /// Unique until [`after_setup`](Self::after_setup) shares it (the
    /// `--paused` wait needs it alone).
    link: Arc<RunLink>,
    control: Option<ControlHandle>,
    clock: Clock,
    /// The caller's view of the API's stop, set at the end.
    stopped: CancellationToken,
    paused: bool,
    /// Past the `--paused` wait (teardown runs only then).
    started: bool,
    /// The tasks the hooks start; [`ended`](Self::ended) ends and awaits
    /// them.
    tasks: TaskTracker,
    /// Cancelled at the end.
    done: CancellationToken,
}

impl Serving {
    /// A token cancelled by `shutdown` or by the API's stop: the run's own
    /// shutdown from here on.
    pub fn stop_token(&self, shutdown: &CancellationToken) -> CancellationToken {
        let stop = shutdown.child_token();
        let (api, token, done) = (self.link.stop_token(), stop.clone(), self.done.clone());
        self.tasks.spawn(async move {
            tokio::select! {
                () = api.cancelled() => token.cancel(),
                () = token.cancelled() => {}
                () = done.cancelled() => {}
            }
        });
        stop
    }

    /// After the VUs are initialised, before `setup()`: waits out
    /// `--paused` (status 4); `false` when the run was stopped meanwhile.
    pub async fn before_setup(&mut self, shutdown: &CancellationToken, setup: bool) -> bool {
        if self.paused {
            if let Some(link) = Arc::get_mut(&mut self.link) {
                link.set_phase(ExecutionStatus::PausedBeforeRun);
                tokio::select! {
                    () = link.resumed() => {}
                    () = shutdown.cancelled() => {}
                }
            }
        }
        if shutdown.is_cancelled() || self.link.stopped() {
            return false;
        }
        self.started = true;
        self.clock.start(self.control.clone());
        let link = &self.link;
        link.set_phase(ExecutionStatus::Started);
        if setup {
            link.set_phase(ExecutionStatus::Setup);
        }
        true
    }

    /// After `setup()` (its data stored where VUs read it): Running (7)
    /// once the scenario takes commands, so that a client that saw 7
    /// never meets a change still staged.
    pub fn after_setup(&self) {
        let link = Arc::clone(&self.link);
        let (control, done) = (self.control.clone(), self.done.clone());
        self.tasks.spawn(async move {
            if let Some(c) = control {
                tokio::select! {
                    () = c.started() => {}
                    () = done.cancelled() => return,
                }
            }
            link.advance(ExecutionStatus::Running);
        });
    }

    /// Whether the run got past `--paused` (else k6 skips teardown).
    pub fn started(&self) -> bool {
        self.started
    }

    /// Before `teardown()`.
    pub fn teardown(&self) {
        self.link.set_phase(ExecutionStatus::Teardown);
    }

    /// At the very end: from here on a stop no longer stops the run
    /// (and no longer means exit 103). Ends and awaits the hooks' tasks.
    pub async fn ended(&self) {
        self.done.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        self.clock.end();
        if self.link.stopped() {
            self.stopped.cancel();
        }
        self.link.set_phase(ExecutionStatus::Ended);
    }
}

/// The test-run duration as k6 counts it: from the start (past
/// `--paused`) to the end, without the externally-controlled scenario's
/// paused time. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<Mutex<ClockState>>);

#[derive(Debug, Default)]
struct ClockState {
    started: Option<Instant>,
    /// Whose paused time to leave out.
    pauses: Option<ControlHandle>,
    /// Frozen at the end.
    ended: Option<Duration>,
}

impl Clock {
    /// The duration so far (frozen once ended); `None` before the start.
    pub fn elapsed(&self) -> Option<Duration> {
        let s = self.lock();
        if s.ended.is_some() {
            return s.ended;
        }
        let paused = s.pauses.as_ref().map_or(Duration::ZERO, |c| c.paused_for());
        s.started
            .map(|start| start.elapsed().saturating_sub(paused))
    }

    /// Starts counting; `pauses` is the scenario whose pauses don't count.
    pub(crate) fn start(&self, pauses: Option<ControlHandle>) {
        let mut s = self.lock();
        s.started.get_or_insert_with(Instant::now);
        s.pauses = pauses;
    }

    /// Freezes the duration (if it started).
    pub(crate) fn end(&self) {
        let elapsed = self.elapsed();
        self.lock().ended = elapsed;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `/v1/metrics` and `/v1/groups` over the run's registry.
struct LiveMetrics {
    metrics: Metrics,
    tainted: Tainted,
    clock: Clock,
}

impl MetricsSource for LiveMetrics {
    fn metrics(&mut self) -> Vec<MetricResource> {
        let elapsed = self.clock.elapsed().unwrap_or_default();
        let tainted = &self.tainted;
        self.metrics.read(|registry| {
            k6r_rest::convert::metrics(registry, elapsed, &|name| tainted.of(name))
        })
    }

    fn groups(&mut self) -> Vec<GroupResource> {
        self.metrics
            .read(|registry| k6r_rest::convert::groups(registry.groups(), registry.checks()))
    }

    fn families(&mut self) -> Vec<k6r_prometheus::Family> {
        self.metrics.read(k6r_prometheus::families)
    }

    fn tainted(&mut self) -> bool {
        self.tainted.any()
    }
}

/// `/v1/setup` and `/v1/teardown` over the run's [`SetupHandle`]: the
/// data setup returned (or a PUT stored), and setup/teardown run again on
/// a new VU 0. A PUT before the scenarios start is what `default(data)`
/// receives; VUs that already ran an iteration keep what they decoded
/// (k6).
impl SetupSource for SetupHandle {
    fn data(&mut self) -> SetupData {
        let data = SetupHandle::data(self)?;
        RawValue::from_string(data.to_string()).ok()
    }

    fn set_data(&mut self, data: SetupData) {
        SetupHandle::set_data(self, data.map(|d| Arc::from(d.get())));
    }

    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, String>> {
        let work = SetupHandle::run_setup(self);
        Box::pin(async move {
            match work.await {
                StageOutcome::Returned(value) => {
                    Ok(value.and_then(|v| RawValue::from_string(v).ok()))
                }
                StageOutcome::Aborted(reason) => {
                    Err(reason.unwrap_or_else(|| "test aborted".into()))
                }
                StageOutcome::Interrupted => Err("setup() was interrupted".into()),
                StageOutcome::Failed { message, .. } => Err(message),
            }
        })
    }

    fn run_teardown(&mut self) -> BoxFuture<Result<(), String>> {
        let work = SetupHandle::run_teardown(self);
        Box::pin(async move {
            match work.await {
                StageOutcome::Failed { message, .. } => Err(message),
                _ => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Clock;

    #[tokio::test(start_paused = true)]
    async fn the_clock_runs_from_the_start_and_freezes_at_the_end() {
        let clock = Clock::default();
        assert_eq!(clock.elapsed(), None, "not started");
        tokio::time::sleep(Duration::from_secs(5)).await;
        clock.start(None);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(clock.elapsed(), Some(Duration::from_millis(1500)));
        clock.end();
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(clock.elapsed(), Some(Duration::from_millis(1500)));
    }
}
