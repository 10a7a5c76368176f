//! A real `redis-server` for a test: on 127.0.0.1, on a free port (bound
//! at port 0 to find one, tried again with another if the server can't
//! bind it), without persistence, answering `PING` before it is handed
//! out, and killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
}

/// How many ports are tried before giving up.
const ATTEMPTS: usize = 5;

impl RedisServer {
    /// Starts one; panics (failing the test) when `redis-server` is not
    /// installed or never answers.
    pub fn start() -> RedisServer {
        for _ in 0..ATTEMPTS {
            let port = free_port();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server runs (scripts/test installs it)");
            let mut server = RedisServer { child, port };
            if server.wait_ready() {
                return server;
            }
            // Dropped: killed (most likely another process took the port).
        }
        panic!("redis-server did not start on any of {ATTEMPTS} ports");
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends one command (inline) and returns the reply's first line.
    pub fn command(&self, words: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis-server");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut packed = format!("*{}\r\n", words.len());
        for word in words {
            packed.push_str(&format!("${}\r\n{word}\r\n", word.len()));
        }
        stream.write_all(packed.as_bytes()).expect("write");
        let mut line = String::new();
        BufReader::new(&mut stream)
            .read_line(&mut line)
            .expect("reply");
        line.trim_end().to_owned()
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let mut reply = [0u8; 7];
                if stream.write_all(b"PING\r\n").is_ok()
                    && stream.read_exact(&mut reply).is_ok()
                    && &reply == b"+PONG\r\n"
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
