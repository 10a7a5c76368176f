//! `GET /ws/echo`: a WebSocket that echoes what it is sent (text as text,
//! binary as binary; pings are answered), after doing what its query asks:
//!
//! - `send=N`: sends `N` text messages (`message 1` … `message N`);
//! - `binary=N`: sends `N` binary messages (bytes `0..i` for the i-th);
//! - `ping=N`: sends `N` pings (payload `server ping i`);
//! - `headers=1`: sends one text message, the JSON object of the
//!   handshake request's headers (names in lower case);
//! - `cookie=NAME=VALUE`: sets that cookie in the handshake response;
//! - `close=CODE` (with `reason=TEXT`): then closes with that code;
//! - `abrupt=1`: then drops the connection without a close frame;
//! - `delay=MS`: waits that long before doing any of that.
//!
//! It picks the subprotocol `echo` or `chat` when the client offers one.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The subprotocols the echo picks from what a client offers.
pub const PROTOCOLS: [&str; 2] = ["echo", "chat"];

/// What a connection asks of the echo (see the module's docs).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Script {
    send: u32,
    binary: u32,
    ping: u32,
    headers: u8,
    cookie: Option<String>,
    close: Option<u16>,
    reason: Option<String>,
    abrupt: u8,
    delay: u64,
}

/// The most messages of each kind one connection sends.
const MOST: u32 = 10_000;

/// Upgrades, then runs `script` and echoes.
pub async fn echo(
    upgrade: WebSocketUpgrade,
    Query(script): Query<Script>,
    headers: HeaderMap,
) -> Response {
    let seen = headers_json(&headers);
    let cookie = script.cookie.clone();
    let mut response = upgrade
        .protocols(PROTOCOLS)
        .on_upgrade(move |socket| run(socket, script, seen))
        .into_response();
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn headers_json(headers: &HeaderMap) -> String {
    let map: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), serde_json::Value::String(value))
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

async fn run(mut socket: WebSocket, script: Script, headers: String) {
    if script.delay > 0 {
        tokio::time::sleep(Duration::from_millis(script.delay.min(10_000))).await;
    }
    if script.headers != 0 && socket.send(Message::text(headers)).await.is_err() {
        return;
    }
    for i in 1..=script.send.min(MOST) {
        if socket
            .send(Message::text(format!("message {i}")))
            .await
            .is_err()
        {
            return;
        }
    }
    for i in 1..=script.binary.min(MOST) {
        let bytes: Vec<u8> = (0..i).map(|b| b as u8).collect();
        if socket.send(Message::binary(bytes)).await.is_err() {
            return;
        }
    }
    for i in 1..=script.ping.min(MOST) {
        let payload = format!("server ping {i}");
        if socket.send(Message::Ping(payload.into())).await.is_err() {
            return;
        }
    }
    if script.abrupt != 0 {
        // Dropped without a close frame: the client sees the TCP end.
        drop(socket);
        return;
    }
    if let Some(code) = script.close {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(script.reason.unwrap_or_default()),
        };
        if socket.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        // Waits for the client's answering close frame (bounded).
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(message)) = socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
        return;
    }
    while let Some(Ok(message)) = socket.recv().await {
        let answer = match message {
            Message::Text(text) => Message::Text(text),
            Message::Binary(bytes) => Message::Binary(bytes),
            // Pings are answered by the library; pongs need nothing; a
            // close frame's answer is sent by the library as the loop
            // reads on (to the end of the stream).
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => continue,
        };
        if socket.send(answer).await.is_err() {
            break;
        }
    }
}
