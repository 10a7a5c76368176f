//! A `k6r-cli run` child of the live-run tests, its output read as it
//! comes.

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test.
pub(crate) const K6R: &str = env!("CARGO_BIN_EXE_k6r-cli");

/// How long anything here may take.
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);

/// A `k6r-cli run` child, killed when dropped (a failed assertion does
/// not leave it running).
pub(crate) struct Run {
    pub(crate) child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    pub(crate) _dir: tempfile::TempDir,
}

impl Run {
    /// Runs `script` with `args` (and `env`) before it.
    pub(crate) fn spawn(script: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.js");
        std::fs::write(&path, script).unwrap();
        let mut child = Command::new(K6R)
            .arg("run")
            .args(args)
            .arg(&path)
            .env_remove("K6R_ADDRESS")
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        Run {
            child,
            stdout,
            stderr,
            _dir: dir,
        }
    }

    /// Runs `script` on `-a 127.0.0.1:0` and returns it with the address
    /// of its API.
    pub(crate) fn serve(script: &str, args: &[&str]) -> (Run, SocketAddr) {
        let mut all = vec!["-a", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut run = Run::spawn(script, &all, &[]);
        let addr = run.until_stderr("REST API listening", |line| {
            let value = line.split_once("address=")?.1;
            value.trim_matches('"').parse().ok()
        });
        (run, addr)
    }

    /// Polls stderr until a line containing `needle` gives `Some`.
    pub(crate) fn until_stderr<T>(&mut self, needle: &str, parse: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let found = self
                .stderr()
                .lines()
                .filter(|l| l.contains(needle))
                .find_map(&parse);
            if let Some(found) = found {
                return found;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("exited ({status}) without `{needle}`:\n{}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "no `{needle}`:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits for the exit code.
    pub(crate) fn wait(&mut self) -> i32 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "k6r-cli run did not exit:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGINT (Ctrl+C) to this child, by its pid.
    pub(crate) fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads a pipe to its end on a thread, so the child never blocks on it.
fn drain(pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        // Chunks, not lines: the linger message has no newline.
        let mut pipe = pipe;
        let mut buf = [0u8; 4096];
        let mut pending = Vec::new();
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            pending.extend_from_slice(&buf[..n]);
            // Keep a UTF-8 sequence split across reads for the next one.
            let valid = match std::str::from_utf8(&pending) {
                Ok(_) => pending.len(),
                Err(e) => e.valid_up_to(),
            };
            let text = String::from_utf8_lossy(&pending[..valid]).into_owned();
            sink.lock().unwrap().push_str(&text);
            pending.drain(..valid);
        }
    });
    text
}
