//! k6's REST API inside a run (`k6r-cli run -a ADDR`, `--paused`): the
//! `k6r-rest` server over the engine's externally-controlled scenario,
//! the run's phase (`status` 1 → 4 → 5 → 6 → 7 → 8 → 9), a `--paused`
//! start, and `{"stopped":true}`.
//!
//! ```text
//! caller ── Live::new(listener, paused) ──▶ Config::live ──▶ run()
//!   │                                                        │ Live::start (engine built)
//!   │ Handle: stopped()? shutdown()                          ├─ REST server task ─▶ k6r_rest actor
//!   ▼                                                        ├─ gate: wait for resume, Started, Setup
//! linger, exit 103                                           ├─ after setup: Running once the
//!                                                            │  scenario takes commands
//!                                                            └─ Teardown, Ended
//! ```
//!
//! `/v1/metrics` and `/v1/groups` read a [`Registry`] of their own, fed by
//! a [`SampleSink`] registered with the run and read by the API under a
//! short lock. (The summary keeps its own registry for now; the two are
//! to become one, the summary's, once both exist on main.)

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use k6r_api::{ExecutionStatus, GroupResource, MetricResource};
use k6r_core::metrics::{Registry, Sample};
use k6r_core::plan::TestPlan;
use k6r_engine::{ControlHandle, Progress};
use k6r_rest::{BoxFuture, EngineBackend, MetricsSource, RunLink, SetupData, SetupSource};
use serde_json::value::RawValue;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::coroutine::Spec;
use crate::lifecycle::{self, Ended, Stage};
use crate::samples::SampleSink;
use crate::workers::Workers;

/// How long [`Handle::shutdown`] waits for in-flight API requests.
const DRAIN: Duration = Duration::from_secs(2);

/// The REST API and `--paused` of one run; give it to
/// [`Config::live`](crate::Config::live).
pub struct Live {
    listener: Option<std::net::TcpListener>,
    paused: bool,
    registry: Arc<Mutex<Registry>>,
    lifetime: CancellationToken,
    stopped: CancellationToken,
    served: Option<oneshot::Sender<()>>,
}

/// The caller's side of a [`Live`]: whether the API stopped the run, and
/// the server's end.
#[derive(Debug)]
pub struct Handle {
    lifetime: CancellationToken,
    stopped: CancellationToken,
    served: oneshot::Receiver<()>,
}

impl Live {
    /// Serves the API on `listener` (`None`: `-a ""`, no server) from the
    /// start of the run until [`Handle::shutdown`]; `paused` is
    /// `--paused`. The listener must be non-blocking.
    pub fn new(listener: Option<std::net::TcpListener>, paused: bool) -> (Live, Handle) {
        let lifetime = CancellationToken::new();
        let stopped = CancellationToken::new();
        let (served_tx, served) = oneshot::channel();
        let live = Live {
            listener,
            paused,
            registry: Arc::new(Mutex::new(Registry::new())),
            lifetime: lifetime.clone(),
            stopped: stopped.clone(),
            served: Some(served_tx),
        };
        (
            live,
            Handle {
                lifetime,
                stopped,
                served,
            },
        )
    }

    /// The sink that feeds `/v1/metrics` (registered by the run).
    pub(crate) fn sink(&self) -> Box<dyn SampleSink> {
        Box::new(LiveSink(Arc::clone(&self.registry)))
    }

    /// Starts the server over the engine's handles, before the VUs are
    /// initialised. Needs a Tokio runtime.
    pub(crate) fn start(mut self, parts: Parts<'_>) -> Serving {
        let Parts {
            plan,
            control,
            progress,
            workers,
            spec,
            timeouts,
        } = parts;
        let setup = LiveSetup {
            data: Arc::new(Mutex::new(None)),
            workers,
            spec,
            timeouts,
        };
        let data = Arc::clone(&setup.data);
        let metrics = LiveMetrics {
            registry: Arc::clone(&self.registry),
            start: Instant::now(),
        };
        let (backend, link) =
            EngineBackend::new(plan, control.clone(), progress, self.paused, metrics, setup);
        link.set_phase(ExecutionStatus::InitVus);
        let (api, _task) = k6r_rest::spawn(backend);
        let served = self.served.take();
        match self.listener.take().map(tokio::net::TcpListener::from_std) {
            Some(Ok(listener)) => {
                let lifetime = self.lifetime.clone();
                tokio::spawn(async move {
                    let shutdown = async move { lifetime.cancelled().await };
                    if let Err(e) = k6r_rest::serve(listener, api, shutdown).await {
                        tracing::error!(error = %e, "the REST API server failed");
                    }
                    drop(served);
                });
            }
            Some(Err(e)) => tracing::error!(error = %e, "the REST API listener is unusable"),
            None => {}
        }
        Serving {
            link: Arc::new(link),
            control,
            data,
            stopped: self.stopped.clone(),
            paused: self.paused,
            started: false,
        }
    }
}

impl Handle {
    /// Whether `{"stopped":true}` stopped the run (exit code 103).
    pub fn stopped(&self) -> bool {
        self.stopped.is_cancelled()
    }

    /// Stops the server and waits (briefly) for requests in flight.
    pub async fn shutdown(self) {
        self.lifetime.cancel();
        let _ = tokio::time::timeout(DRAIN, self.served).await;
    }
}

/// What [`Live::start`] needs from the run.
pub(crate) struct Parts<'a> {
    pub plan: &'a TestPlan,
    pub control: Option<ControlHandle>,
    pub progress: Progress,
    pub workers: Arc<Workers>,
    pub spec: Arc<Spec>,
    /// `setupTimeout` and `teardownTimeout`.
    pub timeouts: (Duration, Duration),
}

/// A run being served; the run calls its hooks in order.
pub(crate) struct Serving {
    /// Unique until [`after_setup`](Self::after_setup) shares it (the
    /// `--paused` wait needs it alone).
    link: Arc<RunLink>,
    control: Option<ControlHandle>,
    data: Arc<Mutex<SetupData>>,
    /// The caller's view of the API's stop, set at the end.
    stopped: CancellationToken,
    paused: bool,
    /// Past the `--paused` wait (teardown runs only then).
    started: bool,
}

impl Serving {
    /// A token cancelled by `shutdown` or by the API's stop: the run's own
    /// shutdown from here on.
    pub fn stop_token(&self, shutdown: &CancellationToken) -> CancellationToken {
        let stop = shutdown.child_token();
        let (api, token) = (self.link.stop_token(), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = api.cancelled() => token.cancel(),
                () = token.cancelled() => {}
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
        let link = &self.link;
        link.set_phase(ExecutionStatus::Started);
        if setup {
            link.set_phase(ExecutionStatus::Setup);
        }
        true
    }

    /// After `setup()` returned `data`: Running (7) once the scenario
    /// takes commands, so that a client that saw 7 never meets a change
    /// still staged.
    pub fn after_setup(&self, data: Option<&str>) {
        let value = data.and_then(|d| RawValue::from_string(d.to_owned()).ok());
        *self.data.lock().unwrap_or_else(PoisonError::into_inner) = value;
        let link = Arc::clone(&self.link);
        let control = self.control.clone();
        tokio::spawn(async move {
            if let Some(c) = control {
                c.started().await;
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
    /// (and no longer means exit 103).
    pub fn ended(&self) {
        if self.link.stopped() {
            self.stopped.cancel();
        }
        self.link.set_phase(ExecutionStatus::Ended);
    }
}

/// Feeds the API's registry.
struct LiveSink(Arc<Mutex<Registry>>);

impl SampleSink for LiveSink {
    fn add(&mut self, batch: &[Sample]) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(batch);
    }
}

struct LiveMetrics {
    registry: Arc<Mutex<Registry>>,
    start: Instant,
}

impl MetricsSource for LiveMetrics {
    fn metrics(&mut self) -> Vec<MetricResource> {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        // No thresholds are evaluated here yet: `tainted` is null.
        k6r_rest::convert::metrics(&registry, self.start.elapsed(), &|_| None)
    }

    fn groups(&mut self) -> Vec<GroupResource> {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        k6r_rest::convert::groups(registry.groups(), registry.checks())
    }

    fn tainted(&mut self) -> bool {
        false
    }
}

/// `/v1/setup` and `/v1/teardown`: the data setup returned (or a PUT
/// stored), and setup/teardown run again on a new VU 0.
///
/// A PUT is what the API answers from then on; VUs keep the data of
/// the run's own `setup()`.
struct LiveSetup {
    data: Arc<Mutex<SetupData>>,
    workers: Arc<Workers>,
    spec: Arc<Spec>,
    timeouts: (Duration, Duration),
}

impl SetupSource for LiveSetup {
    fn data(&mut self) -> SetupData {
        self.data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_data(&mut self, data: SetupData) {
        *self.data.lock().unwrap_or_else(PoisonError::into_inner) = data;
    }

    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, String>> {
        let (workers, spec, timeout) = (
            Arc::clone(&self.workers),
            Arc::clone(&self.spec),
            self.timeouts.0,
        );
        Box::pin(async move {
            let ended = lifecycle::run(
                Stage::Setup,
                &workers,
                spec,
                None,
                timeout,
                CancellationToken::new(),
            )
            .await;
            match ended {
                Ok(Ended::Returned(value)) => Ok(value.and_then(|v| RawValue::from_string(v).ok())),
                Ok(Ended::Aborted(reason)) => Err(reason.unwrap_or_else(|| "test aborted".into())),
                Ok(Ended::Interrupted) => Err("setup() was interrupted".into()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn run_teardown(&mut self) -> BoxFuture<Result<(), String>> {
        let data = self.data().map(|d| Arc::<str>::from(d.get().to_owned()));
        let (workers, spec, timeout) = (
            Arc::clone(&self.workers),
            Arc::clone(&self.spec),
            self.timeouts.1,
        );
        Box::pin(async move {
            let ended = lifecycle::run(
                Stage::Teardown,
                &workers,
                spec,
                data,
                timeout,
                CancellationToken::new(),
            )
            .await;
            match ended {
                Ok(_) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}
