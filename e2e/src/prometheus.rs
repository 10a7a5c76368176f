//! A real Prometheus server (Debian's `prometheus` package) on 127.0.0.1
//! port 0, with its remote-write receiver on, and its query API.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::get;

/// A running Prometheus, killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    /// Where its web API listens.
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `%XX` for every byte but ASCII letters and digits: a query-string value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Prometheus {
    /// Starts `prometheus` with `scrape_configs` (the YAML list under that
    /// key; empty for none), every interval 1 s, and waits (30 s at most)
    /// for its `Listening on` line.
    pub fn start(scrape_configs: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("prometheus.yml");
        let scrape = if scrape_configs.is_empty() {
            String::new()
        } else {
            format!("scrape_configs:\n{scrape_configs}")
        };
        std::fs::write(
            &config,
            format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n{scrape}"),
        )
        .expect("the config is written");
        let mut child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .args([
                "--web.listen-address=127.0.0.1:0",
                "--web.enable-remote-write-receiver",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("prometheus starts (Debian's prometheus package; scripts/test installs it)");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("msg=\"Listening on\"") {
                    let addr = line
                        .split("address=")
                        .nth(1)
                        .and_then(|a| a.split_whitespace().next())
                        .and_then(|a| a.parse::<SocketAddr>().ok());
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .ok()
            .flatten()
            .expect("prometheus says where it listens");
        let prometheus = Prometheus {
            child,
            addr,
            _dir: dir,
        };
        prometheus.wait_until(Duration::from_secs(30), || {
            matches!(get(prometheus.addr, "/-/ready"), Ok((200, _)))
        });
        prometheus
    }

    /// The remote-write receiver's URL.
    pub fn write_url(&self) -> String {
        format!("http://{}/api/v1/write", self.addr)
    }

    /// The first value of the instant query `expr`, if it has one.
    pub fn query(&self, expr: &str) -> Option<f64> {
        let (status, body) =
            get(self.addr, &format!("/api/v1/query?query={}", encode(expr))).ok()?;
        assert_eq!(status, 200, "{expr}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).expect("the API answers JSON");
        answer["data"]["result"][0]["value"][1]
            .as_str()?
            .parse()
            .ok()
    }

    /// Polls `expr` (every 200 ms, `timeout` at most) until `done` holds
    /// for its value; the last value.
    pub fn wait_for(&self, expr: &str, timeout: Duration, done: impl Fn(f64) -> bool) -> f64 {
        let mut last = None;
        self.wait_until(timeout, || {
            last = self.query(expr);
            last.is_some_and(&done)
        });
        last.unwrap_or_else(|| panic!("{expr} has no value"))
    }

    fn wait_until(&self, timeout: Duration, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "prometheus at {}: timed out",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
