//! Requests per second of ONE client on ONE current-thread runtime against a
//! local hyper server running on another thread. Not part of CI timing.
//!
//! `cargo run --release -p k6r-http --example bench -- [seconds] [concurrency]`
//! Concurrency > 1 uses `batch()` waves of that many requests.
//!
//! Measured on the 2-core dev machine (release, server on the other core,
//! `responseType: none`, 3 s runs): concurrency 1 ≈ 26,700 req/s,
//! batch waves of 10 ≈ 23,300 req/s, of 50 ≈ 20,100 req/s. The server is a
//! single-threaded hyper on the second core, so these are lower bounds for
//! the client; the waves are slower because each waits for its slowest
//! request and pays join_all and semaphore bookkeeping.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use k6r_http::{CancellationToken, Client, ClientOptions, Request, ResponseType};

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let conc: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || server(tx));
    let addr = rx.recv().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let client = Client::new(ClientOptions::default().with_batch(conc, conc));
        let url = format!("http://{addr}/");
        let cancel = CancellationToken::new();
        let end = Instant::now() + Duration::from_secs(secs);
        let t0 = Instant::now();
        let mut n = 0u64;
        let mut failed = 0u64;
        while Instant::now() < end {
            let reqs: Vec<Request> = (0..conc)
                .map(|_| Request::get(url.clone()).with_response_type(ResponseType::None))
                .collect();
            for o in client.batch(reqs, &cancel).await {
                n += 1;
                if o.done().map(|e| e.response.status != 200).unwrap_or(true) {
                    failed += 1;
                }
            }
        }
        let rate = n as f64 / t0.elapsed().as_secs_f64();
        println!("concurrency {conc}: {n} requests ({failed} failed) in {secs}s = {rate:.0} req/s");
    });
}

fn server(tx: std::sync::mpsc::Sender<std::net::SocketAddr>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        tx.send(listener.local_addr().unwrap()).unwrap();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
}
