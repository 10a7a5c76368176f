//! A run's REST API over a real engine whose VUs sleep 10 ms an
//! iteration ([`serve`]), and its parts: the VU factory, the live
//! `vus`/`vus_max` gauges, setup data without a `setup()`, and the plan
//! of some options.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use k6r_api::{
    ExecutionStatus, Group, GroupResource, Metric, MetricResource, MetricType, ValueType,
};
use k6r_core::exit::ExitCode;
use k6r_core::options::{Options, Purpose};
use k6r_core::plan::TestPlan;
use k6r_engine::{
    Config, Engine, InitError, Iteration, NoopObserver, Outcome, Progress, Vu, VuFactory, VuId,
};
use k6r_rest::{BoxFuture, SetupData};
use k6r_runner::rest_api::{EngineBackend, MetricsSource, SetupSource};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// k6's id of the root group.
pub const ROOT_GROUP: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// A VU whose iteration sleeps 10 ms (or ends at once when interrupted).
#[derive(Debug)]
pub struct SleepVu;

impl Vu for SleepVu {
    async fn run_iteration(&mut self, iteration: Iteration) -> Outcome {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(10)) => Outcome::Completed,
            () = iteration.cancel.cancelled() => Outcome::Interrupted,
        }
    }
}

/// Makes [`SleepVu`]s.
#[derive(Debug)]
pub struct SleepFactory;

impl VuFactory for SleepFactory {
    type Vu = SleepVu;
    async fn init(&self, _id: VuId) -> Result<SleepVu, InitError> {
        Ok(SleepVu)
    }
}

/// `vus` and `vus_max` gauges from the live progress, and k6's root group.
#[derive(Debug)]
pub struct Gauges(pub Progress);

impl MetricsSource for Gauges {
    fn metrics(&mut self) -> Vec<MetricResource> {
        let gauge = |v: u64| Metric {
            kind: Some(MetricType::Gauge),
            contains: Some(ValueType::Default),
            tainted: None,
            sample: [("value".to_string(), v as f64)].into_iter().collect(),
        };
        vec![
            gauge(self.0.active_vus()).into_resource("vus"),
            gauge(self.0.initialized_vus()).into_resource("vus_max"),
        ]
    }
    fn groups(&mut self) -> Vec<GroupResource> {
        vec![GroupResource::new(
            ROOT_GROUP,
            Group::default(),
            vec![],
            None,
        )]
    }
    fn families(&mut self) -> Vec<k6r_prometheus::Family> {
        let gauge = |name: &str, v: u64| {
            k6r_prometheus::Family::one(name, name, k6r_prometheus::Value::Gauge(v as f64))
        };
        vec![
            gauge("k6_vus", self.0.active_vus()),
            gauge("k6_vus_max", self.0.initialized_vus()),
        ]
    }
    fn tainted(&mut self) -> bool {
        false
    }
}

/// Setup data of a script without `setup()`: what was put is what is read.
#[derive(Debug, Default)]
pub struct NoSetup(pub SetupData);

impl SetupSource for NoSetup {
    fn data(&mut self) -> SetupData {
        self.0.clone()
    }
    fn set_data(&mut self, data: SetupData) {
        self.0 = data;
    }
    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, String>> {
        // No setup(): the data as it is.
        let data = self.0.clone();
        Box::pin(async { Ok(data) })
    }
    fn run_teardown(&mut self) -> BoxFuture<Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// The plan of `options` (k6's JSON options), consolidated as
/// `k6 inspect` does (an unset `vus` stays 0).
pub fn plan(options: &serde_json::Value) -> TestPlan {
    let (mut options, _) = Options::from_json(options).expect("options");
    options
        .consolidate(Purpose::Inspect, None)
        .expect("consolidate");
    TestPlan::new(&options).expect("plan")
}

/// A run of sleeping VUs serving k6's REST API on 127.0.0.1.
#[derive(Debug)]
pub struct Served {
    /// The API's address.
    pub addr: SocketAddr,
    /// The run: its exit code (`Stopped` when stopped through the API).
    pub done: JoinHandle<i32>,
    /// Cancel to stop serving the API.
    pub shutdown: CancellationToken,
}

/// What `k6r-cli run -a` does with the API, minus the script: serves
/// `options`' plan over an engine of [`SleepVu`]s, `--paused` if asked.
/// Needs a Tokio runtime.
pub async fn serve(options: &serde_json::Value, paused: bool) -> Served {
    let plan = plan(options);
    let engine = Engine::new(
        plan.clone(),
        SleepFactory,
        Arc::new(NoopObserver),
        Config::default(),
    );
    let (backend, mut link) = EngineBackend::new(
        &plan,
        engine.first_control(),
        engine.progress(),
        paused,
        Gauges(engine.progress()),
        NoSetup::default(),
    );
    // Paused before the first request can arrive, as the run does it
    // before its address is announced.
    if paused {
        link.set_phase(ExecutionStatus::PausedBeforeRun);
    }
    let (control, _task) = k6r_rest::spawn(backend);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(k6r_rest::serve(listener, control, async move {
        stop.cancelled().await
    }));
    let done = tokio::spawn(async move {
        if paused {
            link.resumed().await;
        }
        let link = Arc::new(link);
        if !link.stopped() {
            // Running once the scenario takes commands (k6: once the
            // executors start), so a client that saw status 7 never
            // meets a staged change.
            link.set_phase(ExecutionStatus::Started);
            let (watcher, control) = (Arc::clone(&link), engine.first_control());
            tokio::spawn(async move {
                if let Some(c) = control {
                    c.started().await;
                }
                watcher.advance(ExecutionStatus::Running);
            });
            engine.run(link.stop_token()).await.expect("run");
        }
        link.set_phase(ExecutionStatus::Ended);
        if link.stopped() {
            ExitCode::Stopped.code()
        } else {
            ExitCode::Success.code()
        }
    });
    Served {
        addr,
        done,
        shutdown,
    }
}
