//! A small HTTP/1.1 target on 127.0.0.1:0 for tests that run scripts:
//! keep-alive, on a thread of its own (so a busy test runtime can't
//! starve it). Shared by the runner's and the CLI's tests.
//!
//! Routes: `/` (200 `ok`), `/json` (a JSON body), `/status/N` (status N),
//! `/redirect` (302 to `/`), `/sleep/MS` (answers after MS ms); every
//! other path is 200 `ok`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A running target; stops when dropped.
pub struct Target {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl Target {
    /// Starts a target on its own thread.
    pub fn start() -> Target {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let (count, shutdown) = (Arc::clone(&requests), stop.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("target runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            if let Ok((stream, _)) = accepted {
                                tokio::spawn(serve(stream, Arc::clone(&count)));
                            }
                        }
                        _ = shutdown.cancelled() => break,
                    }
                }
            });
        });
        Target {
            addr,
            requests,
            stop,
        }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn serve(stream: TcpStream, count: Arc<AtomicU64>) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut line = String::new();
        match stream.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            match stream.read_line(&mut header).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        count.fetch_add(1, Ordering::SeqCst);
        let (status, extra, body) = route(&path).await;
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\ncontent-type: text/plain\r\n{extra}\r\n{body}",
            body.len()
        );
        if stream
            .get_mut()
            .write_all(response.as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

async fn route(path: &str) -> (String, String, String) {
    let ok = || ("200 OK".to_owned(), String::new(), "ok".to_owned());
    if path == "/json" {
        return (
            "200 OK".into(),
            String::new(),
            r#"{"a":{"b":[1,2]},"name":"k6r"}"#.into(),
        );
    }
    if path == "/redirect" {
        return ("302 Found".into(), "location: /\r\n".into(), String::new());
    }
    if let Some(status) = path.strip_prefix("/status/") {
        let status: u16 = status.parse().unwrap_or(200);
        return (format!("{status} Status"), String::new(), String::new());
    }
    if let Some(ms) = path.strip_prefix("/sleep/") {
        tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
        return ok();
    }
    ok()
}
