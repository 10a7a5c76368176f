//! A small hyper server on 127.0.0.1:0 for the integration tests.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Counters shared by the server's handlers.
#[derive(Default)]
pub struct Stats {
    /// Accepted TCP connections.
    pub connections: AtomicUsize,
    /// Requests currently being handled.
    pub in_flight: AtomicUsize,
    /// The most requests handled at once.
    pub max_in_flight: AtomicUsize,
    /// Signalled when `/gate` is hit.
    pub gate: Notify,
}

/// A running server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }
}

/// Starts the server on the current runtime.
pub async fn start() -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let s = stats.clone();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                break;
            };
            s.connections.fetch_add(1, Ordering::SeqCst);
            let s = s.clone();
            conns.spawn(async move {
                let svc = service_fn(move |req| handle(s.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    TestServer { addr, stats, task }
}

/// A port nobody listens on: bind, read the port, drop the listener.
pub async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

type Resp = hyper::Response<Full<Bytes>>;

fn resp(status: u16) -> hyper::http::response::Builder {
    hyper::Response::builder().status(status)
}

async fn handle(
    stats: Arc<Stats>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<Resp, Infallible> {
    let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let r = route(&stats, req).await;
    stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    Ok(r)
}

async fn route(stats: &Stats, req: hyper::Request<hyper::body::Incoming>) -> Resp {
    let path = req.uri().path().to_string();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let num = |i: usize| segs.get(i).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let ok = |b: String| hyper::Response::new(Full::new(Bytes::from(b)));
    match segs[0] {
        "echo" => {
            let method = req.method().to_string();
            let mut b = hyper::Response::builder().header("X-Method", &method);
            for (k, v) in req.headers() {
                b = b.header(format!("x-got-{}", k.as_str()), v.clone());
            }
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let text = format!("{method}\n{}", String::from_utf8_lossy(&body));
            b.body(Full::new(Bytes::from(text))).unwrap()
        }
        "status" => resp(num(1) as u16)
            .body(Full::new(Bytes::from(format!("status {}", num(1)))))
            .unwrap(),
        "redirect" => {
            let n = num(1);
            if n == 0 {
                ok("done".into())
            } else {
                resp(302)
                    .header("Location", format!("/redirect/{}", n - 1))
                    .body(Full::default())
                    .unwrap()
            }
        }
        "see-other" => resp(303)
            .header("Location", "/echo")
            .body(Full::default())
            .unwrap(),
        "temporary" => resp(307)
            .header("Location", "/echo")
            .body(Full::default())
            .unwrap(),
        "delay" => {
            tokio::time::sleep(Duration::from_millis(num(1))).await;
            ok("late".into())
        }
        "gate" => {
            stats.gate.notify_one();
            tokio::time::sleep(Duration::from_secs(10)).await;
            ok("never".into())
        }
        "setcookie" => resp(200)
            .header("Set-Cookie", "a=1; Path=/")
            .header("Set-Cookie", "b=2; Path=/other; HttpOnly")
            .body(Full::new(Bytes::from("set")))
            .unwrap(),
        "expired" => resp(200)
            .header("Set-Cookie", "a=gone; Path=/; Max-Age=0")
            .body(Full::default())
            .unwrap(),
        "cookies" | "other" => {
            let c = req
                .headers()
                .get("cookie")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            ok(c)
        }
        "bytes" => ok("x".repeat(num(1) as usize)),
        "binary" => hyper::Response::new(Full::new(Bytes::from_static(&[0, 159, 146, 150]))),
        "multi" => resp(200)
            .header("X-Multi", "one")
            .header("X-Multi", "two")
            .body(Full::new(Bytes::from("m")))
            .unwrap(),
        _ => ok("ok".into()),
    }
}
