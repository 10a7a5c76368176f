//! A server-sent events reader over a plain HTTP/1.1 connection, for
//! `GET /v1/dashboard/events`: a thread reads the stream and hands each
//! event's `data` (parsed as JSON) to the test.
//!
//! The coordinator writes each event as one chunk of the chunked body, so
//! a `data:` line never spans chunks; the chunks' size lines are skipped
//! as any other line that is not `data: `.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

/// An open event stream.
#[derive(Debug)]
pub struct Events {
    /// The response's status line (`HTTP/1.1 200 OK`).
    pub status: String,
    rx: mpsc::Receiver<serde_json::Value>,
    stream: TcpStream,
}

impl Events {
    /// `GET path` on `addr` with an optional bearer token.
    pub fn open(addr: SocketAddr, path: &str, token: Option<&str>) -> Events {
        let mut stream = TcpStream::connect(addr).expect("connect");
        let auth = token
            .map(|t| format!("authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\n{auth}\r\n"
        )
        .expect("send the request");
        let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
        let mut status = String::new();
        reader.read_line(&mut status).expect("a status line");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if let Some(data) = line.strip_prefix("data: ") {
                    let value = serde_json::from_str(data).expect("an event's data is JSON");
                    if tx.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        Events {
            status: status.trim_end().to_owned(),
            rx,
            stream,
        }
    }

    /// The next event's data, or `None` when none came within `wait` or
    /// the stream ended.
    pub fn next(&self, wait: Duration) -> Option<serde_json::Value> {
        self.rx.recv_timeout(wait).ok()
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}
