//! `k6/html` and the HTML helpers of responses against the reference
//! `k6 run` (k6 v1.1.0): every Selection method and Element member on a
//! rich page prints the same lines, and `res.html()`, `res.clickLink()`
//! and `res.submitForm()` send the same requests to a server of the
//! test's own (127.0.0.1, port 0) that echoes them.

use std::path::Path;
use std::process::Command;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Html;
use axum::routing::get;
use axum::Router;

const PAGE: &str = include_str!("fixtures/html/page.html");
const SELECTION: &str = include_str!("fixtures/html/selection.js");
const ELEMENTS: &str = include_str!("fixtures/html/elements.js");
const SERVED: &str = include_str!("fixtures/html/served.html");
const RESPONSE: &str = include_str!("fixtures/html/response.js");

/// The console lines of `binary` running `script` in `dir`, without
/// their time field.
fn lines(binary: &str, dir: &Path, script: &str, env: &[String]) -> Vec<String> {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let mut args = vec!["run", "-q", "--no-summary", "-a", ""];
    for pair in env {
        args.extend(["-e", pair.as_str()]);
    }
    args.push("script.js");
    let out = Command::new(binary)
        .current_dir(dir)
        .args(&args)
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "{binary}: {out:?}");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|line| match line.split_once("\" ") {
            Some((time, rest)) if time.starts_with("time=") => rest.to_owned(),
            _ => line.to_owned(),
        })
        .collect()
}

#[test]
fn selection_methods_and_element_members_print_what_k6_prints() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("page.html"), PAGE).unwrap();
    let expected = lines("k6", dir.path(), SELECTION, &[]);
    assert!(expected.len() > 200, "k6 printed {} lines", expected.len());
    let got = lines(env!("CARGO_BIN_EXE_k6r-cli"), dir.path(), SELECTION, &[]);
    for (k6, k6r) in expected.iter().zip(&got) {
        assert_eq!(k6r, k6);
    }
    assert_eq!(got.len(), expected.len());
}

#[test]
fn element_types_have_k6s_own_members() {
    let dir = tempfile::tempdir().unwrap();
    let expected = lines("k6", dir.path(), ELEMENTS, &[]);
    assert!(expected.len() > 30, "k6 printed {expected:?}");
    let got = lines(env!("CARGO_BIN_EXE_k6r-cli"), dir.path(), ELEMENTS, &[]);
    assert_eq!(got, expected);
}

/// Echoes the method, the path and query, the content type and the body.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned()
    };
    format!(
        "{method} {uri} type={} x-test={} body={}",
        header("content-type"),
        header("x-test"),
        String::from_utf8_lossy(&body)
    )
}

#[test]
fn response_helpers_send_the_requests_k6_sends() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let app = Router::new()
        .route("/dir/page", get(|| async { Html(SERVED) }))
        .fallback(echo);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let env = [format!("BASE={base}")];
    let expected = lines("k6", dir.path(), RESPONSE, &env);
    assert!(expected.len() >= 14, "k6 printed {expected:?}");
    let got = lines(env!("CARGO_BIN_EXE_k6r-cli"), dir.path(), RESPONSE, &env);
    assert_eq!(got, expected);
}
