//! A real nginx whose capacity is set by its configuration: `limit_req`
//! at a given rate (requests above it answered 503), serving a small
//! file, on 127.0.0.1 and a free port (tried again on another if nginx
//! can't bind it), killed when dropped. The autopilot's tests find its
//! knee. One process (`master_process off`): killing it leaves no worker
//! behind holding the port.

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis::free_port;

/// A running nginx, killed on drop.
#[derive(Debug)]
pub struct RateLimited {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

/// How many ports are tried before giving up.
const ATTEMPTS: usize = 5;

impl RateLimited {
    /// Starts one answering at most `rate` requests a second (a burst of
    /// a tenth of a second's worth beyond it, answered at once); panics
    /// (failing the test) when `nginx` is not installed or never answers.
    pub fn start(rate: u32) -> RateLimited {
        for _ in 0..ATTEMPTS {
            let dir = tempfile::tempdir().expect("a temporary folder");
            // nginx's worker drops root's rights: it must read the file.
            let open = std::fs::Permissions::from_mode(0o755);
            std::fs::set_permissions(dir.path(), open.clone()).expect("chmod");
            let www = dir.path().join("www");
            std::fs::create_dir(&www).expect("www");
            std::fs::set_permissions(&www, open).expect("chmod");
            std::fs::write(www.join("index.html"), "ok\n").expect("index.html");
            let port = free_port();
            let d = dir.path().display();
            let burst = (rate / 10).max(1);
            let conf = format!(
                "master_process off;\nworker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                 events {{ worker_connections 4096; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
                 \x20 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
                 \x20 limit_req_zone $binary_remote_addr zone=capacity:1m rate={rate}r/s;\n\
                 \x20 server {{\n    listen 127.0.0.1:{port};\n    location / {{\n\
                 \x20     limit_req zone=capacity burst={burst} nodelay;\n      root {d}/www;\n    }}\n  }}\n}}\n"
            );
            let path = dir.path().join("nginx.conf");
            std::fs::write(&path, conf).expect("nginx.conf");
            let child = Command::new("nginx")
                .arg("-c")
                .arg(&path)
                .arg("-p")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("nginx runs (scripts/test installs nginx-light)");
            let mut server = RateLimited {
                child,
                port,
                _dir: dir,
            };
            if server.wait_ready() {
                return server;
            }
        }
        panic!("nginx did not start on any of {ATTEMPTS} ports");
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Whether it accepts connections within 10 s (`false`: it exited).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// The README's worked example (`examples/autopilot.js`): a
/// constant-arrival-rate scenario `probe` from 50/s, against `TARGET`,
/// for `DURATION`.
pub const KNEE_SCRIPT: &str = include_str!("../../examples/autopilot.js");

/// The flags of a run of [`KNEE_SCRIPT`] that finds the knee of `target`
/// (its URL) with the SLOs [`knee_report`] expects, each window lasting
/// `window`, writing `report.json`.
pub fn knee_flags(target: &str, window: &str, duration: &str) -> Vec<String> {
    [
        "--autopilot",
        "probe",
        "--slo",
        "http_req_failed: rate<0.01",
        "--slo",
        "http_req_duration: p(95)<500",
        "--autopilot-window",
        window,
        "--autopilot-report",
        "report.json",
        "-e",
        &format!("TARGET={target}"),
        "-e",
        &format!("DURATION={duration}"),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Reads an autopilot's `--autopilot-report` file and checks what its
/// tests against a [`RateLimited`] nginx of `capacity` expect: a knee
/// within 10 % of it, limited by `http_req_failed: rate<0.01`, held.
/// Returns the report.
pub fn knee_report(path: &std::path::Path, capacity: f64) -> serde_json::Value {
    let text = std::fs::read(path).expect("the autopilot's report");
    let report: serde_json::Value = serde_json::from_slice(&text).expect("the report is JSON");
    let knee = report["knee_rate"].as_f64().expect("a knee");
    assert!(
        (capacity * 0.9..=capacity * 1.1).contains(&knee),
        "knee {knee}, not {capacity} ± 10 %: {report:#}"
    );
    assert_eq!(
        report["limiting"], "http_req_failed: rate<0.01",
        "{report:#}"
    );
    assert_eq!(report["phase"], "hold", "{report:#}");
    report
}

impl Drop for RateLimited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
