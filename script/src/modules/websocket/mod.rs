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
//! # Where k6r differs from k6 v1.1.0
//! - `compression: 'deflate'` is accepted (and checked as k6 checks it)
//!   but not negotiated: tungstenite has no permessage-deflate, so the
//!   extension is not offered and messages go uncompressed.
//! - A `ws.connect()` interrupted while it waits (the end of
//!   `gracefulStop`) ends the iteration, as k6r's requests do; k6 returns
//!   the dial's error and runs the rest of the iteration.
//! - A `Blob` can be sent (k6's check of one fails: `unsupported send
//!   type`), `Blob.slice()` with a negative start counts from the end (k6
//!   panics), `new Blob()` is an `instanceof Blob`, and a `WebSocket`'s
//!   `on*` properties read `null` until set (k6's read as a native
//!   function).
//! - `new WebSocket()` in init code throws k6/ws's init-context error (k6
//!   panics).
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
