//! The bytes a client's connection moves, for `data_sent` and
//! `data_received` (k6 counts gRPC's bytes on the wire as it counts
//! HTTP's): the channel dials through [`Connector`], whose TCP streams
//! count what they read and write (TLS, when on, is laid over them, so
//! the counts are of encrypted bytes, as k6's). A VU takes what was
//! counted so far into its call's totals after each call or event
//! ([`Counters::settle`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::state::VuState;

/// Bytes counted and not yet settled.
#[derive(Debug, Default)]
pub(super) struct Counters {
    sent: AtomicU64,
    received: AtomicU64,
}

impl Counters {
    /// Adds what was counted since the last time to the VU's call.
    pub(super) fn settle(&self, vu: &VuState) {
        let sent = self.sent.swap(0, Ordering::Relaxed);
        let received = self.received.swap(0, Ordering::Relaxed);
        if let Some(call) = vu.call.borrow_mut().as_mut() {
            call.data_sent += sent;
            call.data_received += received;
        }
    }
}

/// Dials TCP streams that count their bytes into `counters`.
#[derive(Clone, Debug)]
pub(super) struct Connector {
    pub counters: Arc<Counters>,
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<Counted>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let counters = self.counters.clone();
        Box::pin(async move {
            let host = uri.host().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri
                .port_u16()
                .unwrap_or(if uri.scheme_str() == Some("https") {
                    443
                } else {
                    80
                });
            let stream = TcpStream::connect((host, port)).await?;
            stream.set_nodelay(true)?;
            Ok(TokioIo::new(Counted { stream, counters }))
        })
    }
}

/// A TCP stream counting its bytes.
#[derive(Debug)]
pub(super) struct Counted {
    stream: TcpStream,
    counters: Arc<Counters>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        let read = buf.filled().len().saturating_sub(before) as u64;
        self.counters.received.fetch_add(read, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = &polled {
            self.counters
                .sent
                .fetch_add(*written as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
