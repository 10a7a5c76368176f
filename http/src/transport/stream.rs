//! A socket wrapper that counts bytes and remembers when the current
//! request was last written and its response first read.
//!
//! Bytes are counted on the wire (below TLS, handshake included, as k6
//! counts them) and claimed by each request when it ends
//! ([`IoMarks::take_bytes`]), so an HTTP/2 connection's requests share
//! its bytes without loss. Times are marked where the request's own bytes
//! pass (above TLS): HTTP/1.1 runs one request at a time on a connection,
//! so the marks belong to the request in flight; the pool resets them at
//! each check-out.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Counters of one connection. Times are stored as nanoseconds after
/// `base` plus one, so 0 means "not yet".
#[derive(Debug)]
pub struct IoMarks {
    base: Instant,
    written: AtomicU64,
    read: AtomicU64,
    last_write: AtomicU64,
    first_read: AtomicU64,
}

impl IoMarks {
    /// Fresh marks of a new connection.
    pub fn new() -> Arc<Self> {
        Arc::new(IoMarks {
            base: Instant::now(),
            written: AtomicU64::new(0),
            read: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            first_read: AtomicU64::new(0),
        })
    }

    /// Starts a new request on this connection (times only).
    pub fn reset_times(&self) {
        self.last_write.store(0, Ordering::Relaxed);
        self.first_read.store(0, Ordering::Relaxed);
    }

    /// Bytes written and read since the last claim, as yet unclaimed.
    pub fn peek_bytes(&self) -> (u64, u64) {
        (
            self.written.load(Ordering::Relaxed),
            self.read.load(Ordering::Relaxed),
        )
    }

    /// Claims the bytes written and read since the last claim.
    pub fn take_bytes(&self) -> (u64, u64) {
        (
            self.written.swap(0, Ordering::Relaxed),
            self.read.swap(0, Ordering::Relaxed),
        )
    }

    /// When the last byte was written.
    pub fn last_write(&self) -> Option<Instant> {
        self.at(self.last_write.load(Ordering::Relaxed))
    }

    /// When the first byte was read.
    pub fn first_read(&self) -> Option<Instant> {
        self.at(self.first_read.load(Ordering::Relaxed))
    }

    fn at(&self, v: u64) -> Option<Instant> {
        (v != 0).then(|| self.base + Duration::from_nanos(v - 1))
    }

    fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64 + 1
    }
}

/// What a [`MeteredStream`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meter {
    /// Byte counts (the socket under TLS).
    Bytes,
    /// Write and read times (the plaintext above TLS).
    Times,
    /// Both (a plain-HTTP socket).
    Both,
}

/// A stream recording into shared [`IoMarks`].
#[derive(Debug)]
pub struct MeteredStream<S> {
    inner: S,
    marks: Arc<IoMarks>,
    meter: Meter,
}

impl<S> MeteredStream<S> {
    /// Wraps `inner`, recording what `meter` says into `marks`.
    pub fn new(inner: S, marks: Arc<IoMarks>, meter: Meter) -> Self {
        MeteredStream {
            inner,
            marks,
            meter,
        }
    }

    fn wrote(&self, n: usize) {
        if n == 0 {
            return;
        }
        if self.meter != Meter::Times {
            self.marks.written.fetch_add(n as u64, Ordering::Relaxed);
        }
        if self.meter != Meter::Bytes {
            self.marks
                .last_write
                .store(self.marks.now(), Ordering::Relaxed);
        }
    }

    fn read(&self, n: usize) {
        if n == 0 {
            return;
        }
        let m = &self.marks;
        if self.meter != Meter::Bytes && m.first_read.load(Ordering::Relaxed) == 0 {
            m.first_read.store(m.now(), Ordering::Relaxed);
        }
        if self.meter != Meter::Times {
            m.read.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for MeteredStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read(n);
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for MeteredStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = res {
            self.wrote(n);
        }
        res
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = res {
            self.wrote(n);
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
