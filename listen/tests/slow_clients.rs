//! Slow, idle and stalled clients against a real listener on 127.0.0.1:
//! each is closed by the limit meant for it, and requests in flight and
//! new probes always get through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::{get, post};
use axum::Router;
use k6r_listen::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The longest any expected close or answer may take here.
const PATIENCE: Duration = Duration::from_secs(10);

const PROBE: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: k6r\r\n\r\n";
const HALF: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: k6r\r\n";

fn limits() -> Limits {
    Limits {
        first_request: Duration::from_secs(60),
        idle: Duration::from_secs(60),
        body: Duration::from_secs(60),
        max_waiting: 100,
    }
}

struct Server {
    addr: SocketAddr,
    /// Notified when `/slow` has its request.
    entered: Arc<Notify>,
    /// Lets `/slow` answer.
    release: Arc<Notify>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

async fn start(limits: Limits) -> Server {
    let release = Arc::new(Notify::new());
    let entered = Arc::new(Notify::new());
    let (gate, inside) = (Arc::clone(&release), Arc::clone(&entered));
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/echo", post(|body: Bytes| async move { body }))
        .route(
            "/slow",
            get(move || {
                let (gate, inside) = (Arc::clone(&gate), Arc::clone(&inside));
                async move {
                    inside.notify_one();
                    gate.notified().await;
                    "done"
                }
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(k6r_listen::serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        entered,
        release,
        stop: Some(stop),
        task,
    }
}

async fn connect(addr: SocketAddr, sent: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream
}

/// Reads until the server closes; the bytes it sent before.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut read = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut read))
        .await
        .expect("the server closes the connection")
        .unwrap_or_default();
    read
}

/// Reads one response's head and `body_len` bytes of body.
async fn response(stream: &mut TcpStream) -> String {
    let mut read = Vec::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(PATIENCE, async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before a whole response: {read:?}");
            read.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&read);
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text[..head_end]
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |n| n.trim().parse::<usize>().unwrap());
                if read.len() >= head_end + 4 + length {
                    return text.into_owned();
                }
            }
        }
    })
    .await
    .expect("a response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_when_its_first_request_is_late() {
    let limits = Limits {
        first_request: Duration::from_millis(300),
        ..limits()
    };
    let server = start(limits).await;
    let began = Instant::now();
    let mut half = connect(server.addr, HALF).await;
    assert!(
        until_closed(&mut half).await.is_empty(),
        "no answer to half a request"
    );
    assert!(
        began.elapsed() >= Duration::from_millis(250),
        "{:?}",
        began.elapsed()
    );

    // The HTTP/2 preface alone is no request either.
    let mut preface = connect(server.addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await;
    until_closed(&mut preface).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_cap_the_longest_waiting_go_and_a_probe_still_gets_through() {
    let limits = Limits {
        max_waiting: 4,
        ..limits()
    };
    let server = start(limits).await;
    let mut halves = Vec::new();
    for _ in 0..10 {
        halves.push(connect(server.addr, HALF).await);
    }
    for (n, half) in halves.iter_mut().take(6).enumerate() {
        assert!(
            until_closed(half).await.is_empty(),
            "connection {n} evicted"
        );
    }
    // The probe waits too until its request is in: it evicts the oldest
    // of the remaining four, then is answered.
    let mut probe = connect(server.addr, PROBE).await;
    assert!(response(&mut probe).await.starts_with("HTTP/1.1 200"));
    until_closed(&mut halves[6]).await;
    // The three newest were left open: the rest of their request is
    // answered.
    for half in &mut halves[7..] {
        half.write_all(b"\r\n").await.unwrap();
        assert!(response(half).await.starts_with("HTTP/1.1 200"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_time() {
    let limits = Limits {
        idle: Duration::from_millis(300),
        ..limits()
    };
    let server = start(limits).await;
    let mut client = connect(server.addr, PROBE).await;
    assert!(response(&mut client).await.ends_with("ok"));
    let answered = Instant::now();
    assert!(until_closed(&mut client).await.is_empty());
    assert!(
        answered.elapsed() >= Duration::from_millis(250),
        "{:?}",
        answered.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_coming_fails_after_the_body_time() {
    let limits = Limits {
        body: Duration::from_millis(300),
        ..limits()
    };
    let server = start(limits).await;
    let mut client = connect(
        server.addr,
        b"POST /echo HTTP/1.1\r\nhost: k6r\r\ncontent-length: 100\r\n\r\n0123456789",
    )
    .await;
    let answer = response(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");

    // A body that arrives is echoed.
    let mut whole = connect(
        server.addr,
        b"POST /echo HTTP/1.1\r\nhost: k6r\r\ncontent-length: 5\r\n\r\nhello",
    )
    .await;
    assert!(response(&mut whole).await.ends_with("hello"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_is_never_evicted_and_finishes_on_shutdown() {
    let limits = Limits {
        max_waiting: 1,
        ..limits()
    };
    let mut server = start(limits).await;
    let mut slow = connect(server.addr, b"GET /slow HTTP/1.1\r\nhost: k6r\r\n\r\n").await;
    tokio::time::timeout(PATIENCE, server.entered.notified())
        .await
        .expect("/slow has its request");
    let mut halves = Vec::new();
    for _ in 0..5 {
        halves.push(connect(server.addr, HALF).await);
    }
    for half in &mut halves[..4] {
        until_closed(half).await;
    }
    let _ = server.stop.take().unwrap().send(());
    server.release.notify_one();
    let answer = response(&mut slow).await;
    assert!(answer.ends_with("done"), "{answer}");
    tokio::time::timeout(PATIENCE, server.task)
        .await
        .expect("serve returns once every connection closed")
        .unwrap();
}
