//! `--token` on the control commands: sent as `Authorization: Bearer`,
//! to a fake API server on 127.0.0.1:0.

use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::routing::get;
use axum::Router;

type Seen = Arc<Mutex<Vec<Option<String>>>>;

async fn status(State(seen): State<Seen>, headers: HeaderMap) -> String {
    let auth = headers.get(header::AUTHORIZATION);
    seen.lock()
        .unwrap()
        .push(auth.map(|v| v.to_str().unwrap().to_owned()));
    serde_json::to_string(&k6r_api::Status::default().into_envelope()).unwrap()
}

#[test]
fn status_sends_the_token_as_a_bearer_header_and_none_without_it() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/status", get(status))
        .with_state(Arc::clone(&seen));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap().to_string();
    runtime.spawn(async move { axum::serve(listener, app).await });
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_k6r-cli"))
            .env_remove("K6R_TOKEN")
            .args(["status", "-a", &address])
            .args(args)
            .output()
            .expect("k6r-cli runs")
    };
    let with = cli(&["--token", "s3cret"]);
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let without = cli(&[]);
    assert!(without.status.success());
    assert_eq!(
        *seen.lock().unwrap(),
        [Some("Bearer s3cret".to_owned()), None]
    );
}
