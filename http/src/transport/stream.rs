//! A TCP stream that counts bytes and remembers when the current request
//! was last written and its response first read.
//!
//! HTTP/1.1 runs one request at a time on a connection, so the marks belong
//! to the request in flight; the pool resets them at each check-out.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Per-request counters of one connection. Times are stored as
/// nanoseconds after `base` plus one, so 0 means "not yet".
#[derive(Debug)]
pub struct IoMarks {
    base: Instant,
    written: AtomicU64,
    read: AtomicU64,
    last_write: AtomicU64,
    first_read: AtomicU64,
}

impl IoMarks {
    fn new() -> Self {
        IoMarks {
            base: Instant::now(),
            written: AtomicU64::new(0),
            read: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            first_read: AtomicU64::new(0),
        }
    }

    /// Starts a new request on this connection.
    pub fn reset(&self) {
        self.written.store(0, Ordering::Relaxed);
        self.read.store(0, Ordering::Relaxed);
        self.last_write.store(0, Ordering::Relaxed);
        self.first_read.store(0, Ordering::Relaxed);
    }

    /// Bytes written since the last reset.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Bytes read since the last reset.
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
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

/// The metered socket handed to hyper.
#[derive(Debug)]
pub struct MeteredStream {
    inner: TcpStream,
    marks: Arc<IoMarks>,
}

impl MeteredStream {
    /// Wraps a connected socket.
    pub fn new(inner: TcpStream) -> (Self, Arc<IoMarks>) {
        let marks = Arc::new(IoMarks::new());
        (
            MeteredStream {
                inner,
                marks: marks.clone(),
            },
            marks,
        )
    }

    fn wrote(&self, n: usize) {
        if n > 0 {
            self.marks.written.fetch_add(n as u64, Ordering::Relaxed);
            self.marks
                .last_write
                .store(self.marks.now(), Ordering::Relaxed);
        }
    }
}

impl AsyncRead for MeteredStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            let m = &self.marks;
            if m.first_read.load(Ordering::Relaxed) == 0 {
                m.first_read.store(m.now(), Ordering::Relaxed);
            }
            m.read.fetch_add(n as u64, Ordering::Relaxed);
        }
        res
    }
}

impl AsyncWrite for MeteredStream {
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
