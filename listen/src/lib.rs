//! The accept loop of every k6r HTTP port (the coordinator's gRPC and
//! REST port, a single run's REST API): [`serve`] an axum app so that
//! slow, idle or hostile clients cannot take the port down.
//!
//! A connection holds one open file. One that has no request in flight
//! (it has not finished sending its headers yet, or it sits idle between
//! requests) proves nothing and serves nobody: those are *waiting*, and
//! - each may wait [`Limits::first_request`] after it was accepted and
//!   [`Limits::idle`] after each later request before it is closed;
//! - at most [`Limits::max_waiting`] wait at once (by default half the
//!   open-file limit): the next one closes the one that has waited
//!   longest, and a warning says so (at most every 10 s, with a count).
//!
//! A connection with a request in flight is never closed for its count:
//! an agent's session (a gRPC stream that lasts while it is connected)
//! and a `/healthz` probe always get a place. A request body that sends
//! nothing for [`Limits::body`] fails (gRPC streams excepted: their
//! liveness is the protocol's, heartbeats and keep-alive pings).
//!
//! ```text
//! accept ──▶ connection task ──hyper (HTTP/1.1, HTTP/2)──▶ axum app
//!              │ waiting ⇄ busy (requests in flight)
//!              ▼
//!         table of waiting connections, oldest first (cap, eviction)
//! ```
//!
//! # Layout
//! - [`limits`]: [`Limits`], and the process's open-file limit
//!   ([`raise_file_limit`]).
//! - `table`: the waiting connections, the cap and its warning.
//! - `connection`: one connection's task: hyper, the deadlines, the
//!   in-flight count, the drain.
#![warn(missing_docs)]

mod connection;
pub mod limits;
mod table;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use limits::{file_limit, raise_file_limit, Limits};
use table::{Place, Table};

/// How long the accept loop pauses when accepting fails (out of files):
/// long enough not to spin, short enough that an agent gets in soon.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` within `limits` until `shutdown` resolves;
/// then stops accepting, lets requests in flight finish, and returns
/// when every connection has closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let table = Arc::new(Mutex::new(Table::new(limits.max_waiting)));
    let drain = CancellationToken::new();
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                // It takes its place here, in the order of accepts.
                let evict = drain.child_token();
                let mut place = Place::new(Arc::clone(&table));
                place.wait(peer, &evict);
                let connection = connection::Connection {
                    app: app.clone(),
                    limits,
                    place,
                    evict,
                    peer,
                };
                connections.spawn(connection.serve(stream));
            }
            Err(e) => accept_failed(&e, &table).await,
        }
    }
    drop(listener);
    drain.cancel();
    connections.close();
    connections.wait().await;
}

/// Accepting failed. Out of files (EMFILE, ENFILE), the connection that
/// has waited longest is closed, so the next agent or probe finds a file;
/// any other failure (a peer that reset before its accept) is only
/// logged. The loop pauses briefly either way.
async fn accept_failed(error: &io::Error, table: &Mutex<Table>) {
    let out_of_files = [rustix::io::Errno::MFILE, rustix::io::Errno::NFILE]
        .iter()
        .any(|e| error.raw_os_error() == Some(e.raw_os_error()));
    let closed: Option<SocketAddr> = out_of_files
        .then(|| table::lock(table).evict_oldest())
        .flatten();
    match closed {
        Some(peer) => tracing::warn!(
            "cannot accept a connection ({error}): closed the one that waited longest (from {peer}); raise the open-file limit (ulimit -n)"
        ),
        None if out_of_files => tracing::warn!(
            "cannot accept a connection ({error}); every open connection has a request in flight"
        ),
        None => tracing::debug!("cannot accept a connection: {error}"),
    }
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}

/// Whether a request is gRPC (`content-type: application/grpc[+proto]`).
pub fn is_grpc(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}
