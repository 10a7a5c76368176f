//! Support for k6r's end-to-end tests: the real `k6r-coordinator`,
//! `k6r-agent` and `k6r-cli` binaries started as processes on 127.0.0.1
//! port 0, the demo target in-process, and a little HTTP for checks.
//!
//! The binaries are the ones cargo built beside the test executable
//! (`target/<profile>/`): `cargo nextest run --workspace` and
//! `cargo test --workspace` build every binary of the workspace first.
//!
//! # Layout
//! - `lib.rs`: [`bin`], [`Proc`], [`Cluster`], [`Target`], [`get`], [`request`].
//! - [`prometheus`]: [`Prometheus`](prometheus::Prometheus), a real
//!   Prometheus server and its query API.
//! - [`sse`]: [`Events`](sse::Events), a server-sent events reader (the
//!   coordinator's dashboard).
#![warn(missing_docs)]

pub mod prometheus;
pub mod sse;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use k6r_demo::in_process::InProcess;

/// How long a process may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The path of workspace binary `name`, built beside the test executable.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace's binaries first (cargo build --workspace --bins)",
        path.display()
    );
    path
}

/// A child process killed when dropped.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    /// What it printed on stderr, once it has ended (see [`Proc::stderr`]).
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Proc {
    /// Starts `command` with stdout piped, and waits for its
    /// `listening on ADDR` line.
    pub fn listening(mut command: Command) -> (Proc, SocketAddr) {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let mut proc = Proc {
            child,
            stderr: Some(drain(stderr)),
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => (proc, addr.parse().expect("a socket address")),
            Err(_) => {
                let _ = proc.child.kill();
                panic!(
                    "{command:?} printed no `listening on` line: {}",
                    proc.stderr()
                );
            }
        }
    }

    /// Starts `command` with stderr captured and stdout discarded.
    pub fn spawn(mut command: Command) -> Proc {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stderr = child.stderr.take().expect("piped stderr");
        Proc {
            child,
            stderr: Some(drain(stderr)),
        }
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process's id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has ended, without waiting (`None`: still running).
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Kills the process and returns what it wrote on stderr.
    pub fn stderr(&mut self) -> String {
        self.kill();
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// A coordinator and its agents, as processes.
#[derive(Debug)]
pub struct Cluster {
    /// The coordinator.
    pub coordinator: Proc,
    /// Its address.
    pub addr: SocketAddr,
    /// The agents, named `agent-1`, `agent-2`, ...
    pub agents: Vec<Proc>,
}

impl Cluster {
    /// Starts a coordinator waiting for `agents` agents (heartbeats every
    /// 500 ms, so a loss is seen within 1.5 s) and the agents, and waits
    /// until the coordinator is ready.
    pub fn start(agents: usize) -> Cluster {
        let mut cluster = Cluster::coordinator(Command::new(bin("k6r-coordinator")), agents);
        for n in 1..=agents {
            cluster.add_agent(&format!("agent-{n}"));
        }
        cluster.wait_ready();
        cluster
    }

    /// Starts `command` (the coordinator, or a program that runs it with
    /// the arguments that follow, such as `prlimit`) as a coordinator
    /// waiting for `agents` agents, with none started yet.
    pub fn coordinator(mut command: Command, agents: usize) -> Cluster {
        command.args([
            "--listen",
            "127.0.0.1:0",
            "--agents",
            &agents.to_string(),
            "--heartbeat-interval",
            "500ms",
        ]);
        let (coordinator, addr) = Proc::listening(command);
        Cluster {
            coordinator,
            addr,
            agents: Vec::new(),
        }
    }

    /// Starts one more agent named `name`.
    pub fn add_agent(&mut self, name: &str) {
        let mut command = Command::new(bin("k6r-agent"));
        command.args([
            "--coordinator",
            &self.url(),
            "--name",
            name,
            "--reconnect-max",
            "1s",
        ]);
        self.agents.push(Proc::spawn(command));
    }

    /// Waits (30 s at most) until `/readyz` answers 200.
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if matches!(get(self.addr, "/readyz"), Ok((200, _))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the coordinator at {} never became ready", self.addr);
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `k6r-cli run --coordinator URL --summary-export summary.json ARGS
    /// script.js` in `dir`, and the export (`null` when none was written).
    pub fn run_script(&self, dir: &std::path::Path, args: &[&str]) -> (Output, serde_json::Value) {
        let url = self.url();
        let mut all = vec![
            "run",
            "--coordinator",
            &url,
            "--summary-export",
            "summary.json",
        ];
        all.extend_from_slice(args);
        all.push("script.js");
        let out = cli(dir, &all);
        let export = std::fs::read_to_string(dir.join("summary.json"))
            .map(|s| serde_json::from_str(&s).expect("the export is JSON"))
            .unwrap_or(serde_json::Value::Null);
        (out, export)
    }

    /// The last run the coordinator knows, as `GET /v1/runs` lists it.
    pub fn last_run(&self) -> serde_json::Value {
        let (status, body) = get(self.addr, "/v1/runs").expect("GET /v1/runs");
        assert_eq!(status, 200, "{body}");
        let runs: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        runs.as_array()
            .and_then(|r| r.last())
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    }

    /// `GET /v1/runs/{id}` as JSON.
    pub fn run_view(&self, id: &str) -> serde_json::Value {
        let (status, body) = get(self.addr, &format!("/v1/runs/{id}")).expect("GET /v1/runs/{id}");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("a RunView")
    }
}

/// Sends `signal` (`TERM`, `INT`) to process `pid`, as `docker stop`,
/// `timeout` or ctrl-c would.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -s {signal} {pid}");
}

/// Bytes a process printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A finished process's exit code, stdout and stderr, for an assertion's
/// message.
pub fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// `k6r-cli ARGS...` run to its end in `dir`.
pub fn cli(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(bin("k6r-cli"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("k6r-cli runs")
}

/// `k6r-cli ARGS...` started in `dir`, stdout and stderr captured.
pub fn cli_spawn(dir: &std::path::Path, args: &[&str]) -> Child {
    Command::new(bin("k6r-cli"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("k6r-cli starts")
}

/// A plain `GET path` over HTTP/1.1: the status and the body.
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    request(addr, "GET", path, "")
}

/// `METHOD path` with `body` over HTTP/1.1: the status and the body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let answer = k6r_testkit::http::try_raw_blocking(addr, method, path, body.as_bytes())?;
    if answer.status == 0 {
        return Err(std::io::Error::other(format!("not HTTP: {}", answer.body)));
    }
    Ok((answer.status, answer.body))
}

/// The demo target, in-process on 127.0.0.1 port 0.
#[derive(Debug)]
pub struct Target {
    /// Its address.
    pub addr: SocketAddr,
    _server: InProcess,
}

impl Target {
    /// Starts it on a runtime of its own.
    pub fn start() -> Target {
        let server = InProcess::http().expect("the demo target starts");
        Target {
            addr: server.addr,
            _server: server,
        }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests it has served.
    pub fn requests(&self) -> u64 {
        let (_, body) = get(self.addr, "/stats").expect("GET /stats");
        let stats: serde_json::Value = serde_json::from_str(&body).expect("stats JSON");
        stats["requests"].as_u64().expect("a count")
    }
}
