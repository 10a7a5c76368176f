//! k6's two WebSocket modules over one connection core: `k6/ws` (a
//! `connect` that holds the VU until the socket closes) and
//! `k6/experimental/websockets` (a browser-style `WebSocket` on the VU's
//! event loop, many at once).
//!
//! Both dial as k6r's HTTP requests do (the VU's `hosts` and TLS options,
//! bytes counted into `data_sent`/`data_received`), upgrade as k6's
//! gorilla/websocket does, and speak the protocol through tungstenite in
//! a task of the VU's runtime ([`driver`]); the script sees the
//! connection's events on the VU's thread, in the order they came. Both
//! emit k6's `ws_*` samples with k6's tags ([`samples`]).
//!
//! # Layout
//! - [`dial`]: the dial and the HTTP/1.1 upgrade (request, checks, the
//!   answer kept for the script).
//! - [`driver`]: the connection task, its commands and events.
//! - `close`: close codes and gorilla's texts for closed connections.
//! - `params`: the `params` both modules take (`headers`, `tags`, `jar`,
//!   `compression`).
//! - [`samples`]: the `ws_*` samples and their tags.
//! - `ws/`: `k6/ws`.
//! - `websockets/`: `k6/experimental/websockets` (with its `Blob`).

mod close;
pub(crate) mod dial;
pub(crate) mod driver;
mod params;
pub(crate) mod samples;
pub(crate) mod websockets;
pub(crate) mod ws;
