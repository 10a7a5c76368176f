//! A k6-like fake backend, a server on 127.0.0.1:0 in front of it, and a
//! raw HTTP/1.1 client for requests reqwest would tidy up (raw braces,
//! HEAD, huge or broken bodies).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use k6r_api::{
    Check, ExecutionStatus, Group, GroupResource, Metric, MetricResource, MetricType, Status,
    ValueType,
};
use k6r_core::scale::{self, Vus};
use k6r_rest::{Backend, BoxFuture, Control, ControlError, SetupData, SetupError, StatusPatch};
use serde_json::value::RawValue;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// What kind of test the fake pretends to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One externally-controlled scenario, running.
    External,
    /// Externally-controlled, started with `--paused`.
    PausedBeforeRun,
    /// A running constant-vus scenario named `cv`.
    ConstantVus,
}

/// The run state, with k6's rules.
pub struct Fake {
    pub kind: Kind,
    pub vus: Vus,
    pub start_max: u64,
    pub paused: bool,
    pub stopped: bool,
    pub setup: SetupData,
    pub setup_fails: bool,
    pub patches: Arc<AtomicU64>,
}

impl Fake {
    pub fn new(kind: Kind) -> Fake {
        Fake {
            kind,
            vus: Vus { vus: 2, max_vus: 5 },
            start_max: 5,
            paused: kind == Kind::PausedBeforeRun,
            stopped: false,
            setup: Some(RawValue::from_string(r#"{"hello":"world","n":1}"#.into()).unwrap()),
            setup_fails: false,
            patches: Arc::default(),
        }
    }

    fn snapshot(&self) -> Status {
        let status = match self.kind {
            Kind::PausedBeforeRun if self.paused => ExecutionStatus::PausedBeforeRun,
            _ => ExecutionStatus::Running,
        };
        let active = if self.paused || self.kind == Kind::PausedBeforeRun {
            0
        } else {
            self.vus.vus
        };
        Status {
            status,
            paused: Some(self.paused),
            vus: Some(active as i64),
            vus_max: Some(self.vus.max_vus as i64),
            stopped: self.stopped,
            running: status == ExecutionStatus::Running,
            tainted: false,
        }
    }
}

pub fn metric(kind: MetricType, contains: ValueType, sample: &[(&str, f64)]) -> Metric {
    Metric {
        kind: Some(kind),
        contains: Some(contains),
        tainted: None,
        sample: sample
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
    }
}

pub const ROOT: &str = "d41d8cd98f00b204e9800998ecf8427e";
pub const OUTER: &str = "c34b428ee7255085dfe7fef53d3394d5";

impl Backend for Fake {
    async fn status(&mut self) -> Status {
        self.snapshot()
    }

    async fn patch_status(&mut self, patch: StatusPatch) -> Result<Status, ControlError> {
        self.patches.fetch_add(1, Ordering::SeqCst);
        if patch.stopped {
            self.stopped = true;
            return Ok(self.snapshot());
        }
        if let Some(pause) = patch.paused {
            match (self.kind, pause, self.paused) {
                (Kind::ConstantVus, _, _) => {
                    return Err(ControlError::Pause(
                        "constant-vus executor 'cv' doesn't support pause and resume operations after its start".into(),
                    ))
                }
                (Kind::PausedBeforeRun, true, true) => {
                    return Err(ControlError::Pause("execution is already paused".into()))
                }
                (Kind::PausedBeforeRun, false, true) => {
                    self.paused = false;
                    self.kind = Kind::External;
                }
                (_, true, true) => {
                    return Err(ControlError::Pause("test execution was already paused".into()))
                }
                (_, false, false) => {
                    return Err(ControlError::Pause("test execution wasn't paused".into()))
                }
                (_, p, _) => self.paused = p,
            }
        }
        if patch.changes_vus() {
            if self.kind == Kind::ConstantVus {
                return Err(ControlError::NotExternallyControlled);
            }
            self.vus = scale::update(
                self.vus,
                self.start_max,
                k6r_core::capacity::ControlledMax(k6r_core::capacity::MAX_VUS),
                patch.vus,
                patch.vus_max,
            )?;
        }
        Ok(self.snapshot())
    }

    async fn metrics(&mut self) -> Vec<MetricResource> {
        vec![
            metric(
                MetricType::Trend,
                ValueType::Time,
                &[
                    ("avg", 0.96),
                    ("max", 3.68),
                    ("med", 0.65),
                    ("min", 0.35),
                    ("p(90)", 1.65),
                    ("p(95)", 3.5),
                ],
            )
            .into_resource("http_req_duration"),
            metric(MetricType::Gauge, ValueType::Default, &[("value", 2.0)]).into_resource("vus"),
            metric(MetricType::Rate, ValueType::Default, &[("rate", 1.0)])
                .into_resource("http_req_duration{expected_response:true}"),
        ]
    }

    async fn groups(&mut self) -> Vec<GroupResource> {
        vec![
            GroupResource::new(ROOT, Group::default(), vec![OUTER.into()], None),
            GroupResource::new(
                OUTER,
                Group {
                    path: "::outer".into(),
                    name: "outer".into(),
                    checks: Some(vec![Check {
                        id: "0e4d7a1c55d4c4e8a4d7c1d4c5b7e4f1".into(),
                        path: "::outer::ok".into(),
                        name: "ok".into(),
                        passes: 28,
                        fails: 0,
                    }]),
                },
                vec![],
                Some(ROOT.into()),
            ),
        ]
    }

    async fn families(&mut self) -> Vec<k6r_prometheus::Family> {
        vec![k6r_prometheus::Family::one(
            "k6_http_reqs",
            "k6 counter http_reqs",
            k6r_prometheus::Value::Counter(3.0),
        )]
    }

    async fn setup_data(&mut self) -> SetupData {
        self.setup.clone()
    }

    async fn set_setup_data(&mut self, data: SetupData) -> Result<SetupData, SetupError> {
        self.setup = data;
        Ok(self.setup.clone())
    }

    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, SetupError>> {
        let fails = self.setup_fails;
        if !fails {
            // The fake's setup() returns at once: stored now.
            self.setup = Some(RawValue::from_string(r#"{"again":true}"#.into()).unwrap());
        }
        let data = self.setup.clone();
        Box::pin(async move {
            if fails {
                Err(SetupError::Failed(
                    "Error: boom\n\tat setup (file:///s.js:3:9(3))".to_string(),
                ))
            } else {
                Ok(data)
            }
        })
    }

    fn run_teardown(&mut self) -> BoxFuture<Result<(), SetupError>> {
        let fails = self.setup_fails;
        Box::pin(async move {
            if fails {
                Err(SetupError::Failed("teardown failed".to_string()))
            } else {
                Ok(())
            }
        })
    }
}

/// A running server; dropping it shuts the server down.
pub struct Server {
    pub addr: SocketAddr,
    pub control: Control,
    pub patches: Arc<AtomicU64>,
    shutdown: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

pub async fn start(fake: Fake) -> Server {
    let patches = Arc::clone(&fake.patches);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (control, _task) = k6r_rest::spawn(fake);
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(k6r_rest::serve(listener, control.clone(), async move {
        stop.cancelled().await
    }));
    Server {
        addr,
        control,
        patches,
        shutdown,
    }
}

pub use k6r_testkit::http::raw;
