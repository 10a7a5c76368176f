//! One connection's task: hyper serves it (HTTP/1.1 or HTTP/2, as the
//! client speaks), the app's responses count the requests in flight, and
//! the task moves the connection between waiting (in the table, under a
//! deadline) and busy, and closes it when evicted, late or drained.
//!
//! Closing for a deadline drops the connection (it has had no request in
//! flight for a while). Closing when evicted or drained is graceful: the
//! requests in flight finish, and a connection that just finished one
//! gets [`CLOSE_GRACE`] to flush it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutBody;
use tower_service::Service;

use crate::table::Place;
use crate::Limits;

/// How long a connection closed gracefully, with nothing in flight, has
/// to flush its last response before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// HTTP/2 keep-alive pings: a peer that stops answering is dropped.
const PING_EVERY: Duration = Duration::from_secs(20);

/// What one connection's task needs.
pub struct Connection {
    pub app: Router,
    pub limits: Limits,
    /// Its place in the table (it waits from its accept).
    pub place: Place,
    /// Cancelled when the table evicts it, or when the server stops (a
    /// child of the server's drain token).
    pub evict: CancellationToken,
    pub peer: SocketAddr,
}

impl Connection {
    /// Serves `stream` until it closes.
    pub async fn serve(self, stream: TcpStream) {
        let Connection {
            app,
            limits,
            mut place,
            evict,
            peer,
        } = self;
        let (in_flight, mut requests) = watch::channel(Requests::default());
        let service = AppService {
            app,
            body_timeout: limits.body,
            in_flight: Arc::new(in_flight),
        };
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(PING_EVERY)
            .keep_alive_timeout(PING_EVERY);
        let connection = builder.serve_connection_with_upgrades(
            TokioIo::new(stream),
            hyper::service::service_fn(move |request| service.call(request)),
        );
        tokio::pin!(connection);

        let deadline = tokio::time::sleep(limits.first_request);
        tokio::pin!(deadline);
        let grace = tokio::time::sleep(CLOSE_GRACE);
        tokio::pin!(grace);
        let mut busy = false;
        let mut seen = 0;
        let mut closing = false;
        loop {
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(%peer, "connection ended: {e}");
                    }
                    break;
                }
                changed = requests.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let now = *requests.borrow_and_update();
                    let now_busy = now.in_flight > 0;
                    // A request that came and went between two looks is a
                    // wait that ended too.
                    let missed = !busy && !now_busy && now.started != seen;
                    seen = now.started;
                    if now_busy == busy && !missed {
                        continue;
                    }
                    busy = now_busy;
                    if busy {
                        place.leave();
                    } else if closing {
                        grace.as_mut().reset(Instant::now() + CLOSE_GRACE);
                    } else {
                        place.wait(peer, &evict);
                        deadline.as_mut().reset(Instant::now() + limits.idle);
                    }
                }
                () = &mut deadline, if !busy && !closing => {
                    tracing::debug!(%peer, "closed a connection without a request in flight for too long");
                    break;
                }
                // Evicted, or the server drains (the parent of `evict`).
                () = evict.cancelled(), if !closing => {
                    closing = true;
                    place.leave();
                    connection.as_mut().graceful_shutdown();
                    grace.as_mut().reset(Instant::now() + CLOSE_GRACE);
                }
                () = &mut grace, if closing && !busy => break,
            }
        }
    }
}

/// The app, with request bodies under the read timeout and each request
/// counted in flight until its response body is done.
#[derive(Clone)]
struct AppService {
    app: Router,
    body_timeout: Duration,
    in_flight: Arc<watch::Sender<Requests>>,
}

impl AppService {
    fn call(
        &self,
        request: Request<Incoming>,
    ) -> impl std::future::Future<Output = Result<Response<Body>, Infallible>> + Send + 'static
    {
        let mut app = self.app.clone();
        let guard = InFlight::begin(&self.in_flight);
        let body_timeout = self.body_timeout;
        async move {
            let request = if crate::is_grpc(request.headers()) {
                request.map(Body::new)
            } else {
                request.map(|body| Body::new(TimeoutBody::new(body_timeout, body)))
            };
            let response = app.call(request).await?;
            Ok(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _counted = &guard;
                    frame
                }))
            }))
        }
    }
}

/// The requests of one connection so far.
#[derive(Debug, Clone, Copy, Default)]
struct Requests {
    /// Begun and not yet answered to the end.
    in_flight: usize,
    /// Begun in all.
    started: u64,
}

/// One request in flight, from its headers to the end of its response.
struct InFlight(Arc<watch::Sender<Requests>>);

impl InFlight {
    fn begin(count: &Arc<watch::Sender<Requests>>) -> Self {
        count.send_modify(|r| {
            r.in_flight += 1;
            r.started += 1;
        });
        Self(Arc::clone(count))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .send_modify(|r| r.in_flight = r.in_flight.saturating_sub(1));
    }
}
