//! What the control commands print when the server refuses: the error's
//! detail (`title: detail` of k6's error shape, as k6's client prints it),
//! and for an answer in no known shape its status and text, never a JSON
//! decoder's complaint. Against a fake server on 127.0.0.1:0.

use std::process::Command;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

/// Every path answers `status` with `body` (`application/json` when
/// `json`).
fn serve(status: StatusCode, body: &'static str, json: bool) -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let answer = move || async move {
        let mut response: Response = (status, body).into_response();
        if json {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
        }
        response
    };
    let app = Router::new().fallback(any(answer));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap().to_string();
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, address)
}

/// `k6r-cli COMMAND -a ADDRESS`: exit code, stdout and the `msg` of its
/// error line.
fn control(command: &[&str], address: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_k6r-cli"))
        .args(command)
        .args(["-a", address])
        .env_remove("K6R_TOKEN")
        .output()
        .expect("k6r-cli runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let msg = stderr
        .lines()
        .rfind(|l| l.contains("level=error"))
        .and_then(|l| l.split_once("msg=\"").map(|(_, m)| m.to_owned()))
        .and_then(|m| m.rsplit_once('"').map(|(m, _)| m.to_owned()))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        msg,
    )
}

const COMMANDS: [&[&str]; 6] = [
    &["status"],
    &["stats"],
    &["pause"],
    &["resume"],
    &["scale", "--vus", "2"],
    &["stop"],
];

#[test]
fn k6s_error_shape_prints_title_and_detail() {
    let (_rt, address) = serve(
        StatusCode::UNAUTHORIZED,
        r#"{"errors":[{"status":"401","title":"Unauthorized","detail":"missing token: send `authorization: Bearer <token>`"}]}"#,
        true,
    );
    for command in COMMANDS {
        assert_eq!(
            control(command, &address),
            (
                Some(255),
                String::new(),
                "Unauthorized: missing token: send `authorization: Bearer <token>`".to_owned()
            ),
            "{command:?}"
        );
    }
}

#[test]
fn an_error_in_another_shape_prints_its_status_and_text() {
    for (status, body, json, want) in [
        // What a coordinator answered before it spoke k6's shape.
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"missing token"}"#,
            true,
            r#"401 Unauthorized: {\"error\":\"missing token\"}"#,
        ),
        // Go's mux for a path it does not know.
        (
            StatusCode::NOT_FOUND,
            "404 page not found\n",
            false,
            "404 Not Found: 404 page not found",
        ),
        // k6's 405: no body.
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "",
            false,
            "405 Method Not Allowed",
        ),
        // k6's shape with no error in it.
        (
            StatusCode::BAD_GATEWAY,
            r#"{"errors":[]}"#,
            true,
            r#"502 Bad Gateway: {\"errors\":[]}"#,
        ),
    ] {
        let (_rt, address) = serve(status, body, json);
        for command in COMMANDS {
            assert_eq!(
                control(command, &address),
                (Some(255), String::new(), want.to_owned()),
                "{status} {command:?}"
            );
        }
    }
}

#[test]
fn a_success_that_is_no_status_names_the_request() {
    // k6's catch-all `ok`, e.g. a wrong path in front of the API.
    let (_rt, address) = serve(StatusCode::OK, "ok", false);
    let (code, stdout, msg) = control(&["status"], &address);
    assert_eq!((code, stdout.as_str()), (Some(255), ""));
    assert_eq!(
        msg,
        format!("Get \\\"http://{address}/v1/status\\\": the answer (200 OK) is not k6's JSON: ok")
    );
}
