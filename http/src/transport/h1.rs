//! HTTP/1.1 on a connection the VU's own task drives: the request head
//! written straight from the hop, the answer parsed by httparse (hyper's
//! parser) as it arrives.
//!
//! hyper's HTTP/1 client runs every connection as a task of its own, fed
//! over a channel: each request crossed to that task and its answer came
//! back, two wake-ups and a cloned request per request. Here the task that
//! sends a request reads its answer, and the pool holds the bare stream.
//!
//! What goes on the wire is what hyper wrote: the request line in
//! origin-form, the hop's headers in order with lower-case names, `host`
//! when the hop has none, then `content-length` for a body whose length no
//! header gives (a `transfer-encoding` header makes the body chunked). An
//! answer is read as RFC 9112 frames it: no body for `HEAD`, 1xx, 204 and
//! 304; chunked; `content-length`; else until the server closes.
//! Informational answers (1xx but 101) are skipped. A server that answers
//! before the request is fully written is read at once, and its connection
//! is not reused.

use std::future::poll_fn;
use std::io::{self, Write as _};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::io::poll_read_buf;
use url::Position;

use super::raw::Io;
use super::stream::IoMarks;
use super::{HopRequest, HopTrace, Key, RawResponse};
use crate::failure::{ErrorKind, Failure};
use crate::tls::TlsInfo;

/// How much a read asks for at least (hyper's first buffer: 8 KiB).
const READ_CHUNK: usize = 8 * 1024;
/// The largest answer head read (hyper's limit: its buffer of 8 KiB plus
/// 100 header lines of 4 KiB).
const MAX_HEAD: usize = READ_CHUNK + 100 * 4096;
/// The most header lines an answer may have (hyper's default).
const MAX_HEADERS: usize = 100;
/// The header lines a first parse makes room for.
const FEW_HEADERS: usize = 24;
/// A body this long or shorter is copied after the head: one write.
const COPIED_BODY: usize = 8 * 1024;
/// The most bytes a body's length makes room for before any arrive.
const MAX_RESERVE: usize = 1 << 20;

/// An HTTP/1.1 connection, plain or over TLS.
pub(super) struct Http1Conn {
    stream: Box<dyn Io>,
    /// What was read and not yet taken. Kept with the connection: once
    /// the last answer's head and body (which share it) are dropped, the
    /// next answer is read into the same memory. Allocating it for every
    /// request, with mimalloc purging freed pages at once, made about
    /// half a page fault a request.
    buf: BytesMut,
    marks: Arc<IoMarks>,
    pub(super) remote: SocketAddr,
    pub(super) tls: Option<Arc<TlsInfo>>,
}

impl std::fmt::Debug for Http1Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http1Conn")
            .field("remote", &self.remote)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Http1Conn {
    /// HTTP/1.1 on `stream`, whose reads and writes `marks` records.
    pub(super) fn new<S>(
        stream: S,
        marks: Arc<IoMarks>,
        remote: SocketAddr,
        tls: Option<Arc<TlsInfo>>,
    ) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Http1Conn {
            stream: Box::new(stream),
            buf: BytesMut::new(),
            marks,
            remote,
            tls,
        }
    }

    /// Whether an idle connection can take a request: the server has
    /// neither closed it nor sent anything unasked. One read that must
    /// find nothing; it also clears the socket's stale readiness, so the
    /// read after the request waits for the answer instead of trying.
    pub(super) fn is_open(&mut self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        let mut byte = [0u8; 1];
        let mut probe = ReadBuf::new(&mut byte);
        Pin::new(&mut self.stream)
            .poll_read(&mut cx, &mut probe)
            .is_pending()
    }

    /// Sends `req` and reads its answer; `Ok` also says whether the
    /// connection can take another request. An error says whether nothing
    /// at all was read (a keep-alive connection the server had closed may
    /// then be retried).
    pub(super) async fn exchange(
        &mut self,
        req: &HopRequest,
        key: &Key,
        trace: &mut HopTrace,
    ) -> Result<(RawResponse, bool), (Failure, bool)> {
        self.marks.reset_times();
        trace.attach(&self.marks, true);
        let outgoing = Outgoing::of(req, key);
        // Empty: a connection with bytes left over is not reused.
        let buf = &mut self.buf;
        let answered_early = write(&mut self.stream, &outgoing.pieces(), buf)
            .await
            .map_err(|e| (e.failure(), trace.nothing_read()))?;
        let head = read_head(&mut self.stream, buf)
            .await
            .map_err(|e| (e.failure(), trace.nothing_read()))?;
        let framed = Framed::of(&head.headers);
        let framing = Framing::of(&req.method, &head, &framed).map_err(|e| (e.failure(), false))?;
        let answer_close = framed.close;
        let body = read_body(&mut self.stream, buf, framing, req.keep_body)
            .await
            .map_err(|e| (e.failure(), false))?;
        trace.done = Some(Instant::now());
        trace.claim_bytes();
        // After a 101 the connection speaks another protocol.
        let reusable = !answered_early
            && head.status != StatusCode::SWITCHING_PROTOCOLS
            && framing != Framing::Close
            && buf.is_empty()
            && head.version == Version::HTTP_11
            && !outgoing.close
            && !answer_close;
        Ok((
            RawResponse {
                status: head.status,
                version: head.version,
                headers: head.headers,
                body,
                tls: self.tls.clone(),
            },
            reusable,
        ))
    }
}

/// Why an exchange failed.
#[derive(Debug)]
enum Error {
    /// The socket failed.
    Io(io::Error),
    /// The server closed before the answer was complete.
    Eof,
    /// The answer is not HTTP/1.x.
    Malformed(String),
}

impl Error {
    /// As k6 reports it (and as hyper's errors were reported).
    fn failure(&self) -> Failure {
        match self {
            Error::Io(e) => Failure::from_error(e),
            Error::Eof => Failure::new(ErrorKind::Generic, "unexpected EOF"),
            Error::Malformed(what) => Failure::new(
                ErrorKind::Generic,
                format!("malformed HTTP response: {what}"),
            ),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// What one pass over a message's headers finds of those that frame it.
#[derive(Default)]
struct Framed<'h> {
    /// A `host` header is there.
    host: bool,
    /// A `connection` header says `close`.
    close: bool,
    /// How many `transfer-encoding` values there are, and the last.
    codings: usize,
    last_coding: Option<&'h HeaderValue>,
    /// Whether there is a `content-length`, and the length all its values
    /// agree on (`None` when they do not, or one is not a number).
    has_length: bool,
    length: Option<u64>,
}

impl<'h> Framed<'h> {
    fn of(headers: &'h HeaderMap) -> Self {
        let mut framed = Framed::default();
        for (name, value) in headers {
            if name == header::HOST {
                framed.host = true;
            } else if name == header::CONNECTION {
                framed.close |= value.as_bytes().eq_ignore_ascii_case(b"close");
            } else if name == header::TRANSFER_ENCODING {
                framed.codings += 1;
                framed.last_coding = Some(value);
            } else if name == header::CONTENT_LENGTH {
                framed.length = framed.agreed_length(value);
                framed.has_length = true;
            }
        }
        framed
    }

    /// The length so far and `value`'s, if they agree.
    fn agreed_length(&self, value: &HeaderValue) -> Option<u64> {
        let mut length = if self.has_length {
            Some(self.length?)
        } else {
            None
        };
        for part in value.as_bytes().split(|&b| b == b',') {
            let part = part.trim_ascii();
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let n: u64 = std::str::from_utf8(part).ok()?.parse().ok()?;
            if length.is_some_and(|l| l != n) {
                return None;
            }
            length = Some(n);
        }
        length
    }
}

/// A request as bytes: its head, then its body (as is or as one chunk).
struct Outgoing<'a> {
    head: Vec<u8>,
    body: &'a [u8],
    /// What follows the body (the last chunk when chunked).
    tail: &'static [u8],
    /// The request asks the server to close the connection.
    close: bool,
}

impl<'a> Outgoing<'a> {
    fn of(req: &'a HopRequest, key: &Key) -> Self {
        let body: &[u8] = &req.body;
        let framed = Framed::of(&req.headers);
        let mut head = Vec::with_capacity(
            256 + if body.len() <= COPIED_BODY {
                body.len()
            } else {
                0
            },
        );
        head.extend_from_slice(req.method.as_str().as_bytes());
        head.push(b' ');
        head.extend_from_slice(req.url[Position::BeforePath..Position::AfterQuery].as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        // hyper's rules: an empty body drops `transfer-encoding`; else a
        // `transfer-encoding` makes it chunked (ending in `chunked`), a
        // valid `content-length` is kept, and without either one is added.
        let chunked = !body.is_empty() && framed.codings > 0;
        let add_length = !body.is_empty() && !chunked && framed.length.is_none();
        let mut codings = 0;
        for (name, value) in &req.headers {
            if name == header::TRANSFER_ENCODING {
                if body.is_empty() {
                    continue;
                }
                codings += 1;
                line(&mut head, name.as_str().as_bytes(), value.as_bytes());
                if codings == framed.codings && !is_chunked(value.as_bytes()) {
                    head.truncate(head.len() - 2);
                    head.extend_from_slice(b", chunked\r\n");
                }
                continue;
            }
            if name == header::CONTENT_LENGTH && (chunked || add_length) {
                continue;
            }
            line(&mut head, name.as_str().as_bytes(), value.as_bytes());
        }
        if !framed.host {
            let _ = write!(head, "host: {}\r\n", key.authority(&req.url));
        }
        if add_length {
            let _ = write!(head, "content-length: {}\r\n", body.len());
        }
        head.extend_from_slice(b"\r\n");
        if chunked {
            let _ = write!(head, "{:x}\r\n", body.len());
        }
        let tail: &[u8] = if chunked { b"\r\n0\r\n\r\n" } else { b"" };
        let close = framed.close;
        if body.len() <= COPIED_BODY {
            head.extend_from_slice(body);
            head.extend_from_slice(tail);
            return Outgoing {
                head,
                body: &[],
                tail: b"",
                close,
            };
        }
        Outgoing {
            head,
            body,
            tail,
            close,
        }
    }

    fn pieces(&self) -> [&[u8]; 3] {
        [&self.head, self.body, self.tail]
    }
}

fn line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Whether a `transfer-encoding` value's last coding is `chunked`.
fn is_chunked(value: &[u8]) -> bool {
    value
        .rsplit(|&b| b == b',')
        .next()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// Reads at least one byte more into `buf` (`Ok(0)`: the server closed).
fn poll_read_more(
    stream: &mut Box<dyn Io>,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
) -> Poll<io::Result<usize>> {
    if buf.capacity() - buf.len() < READ_CHUNK / 4 {
        buf.reserve(READ_CHUNK);
    }
    poll_read_buf(Pin::new(stream), cx, buf)
}

async fn read_more(stream: &mut Box<dyn Io>, buf: &mut BytesMut) -> Result<(), Error> {
    match poll_fn(|cx| poll_read_more(stream, cx, buf)).await? {
        0 => Err(Error::Eof),
        _ => Ok(()),
    }
}

/// Writes `pieces` in order and flushes. Returns `true` when the server
/// began to answer (into `buf`) before the request was fully written: the
/// rest is then not sent.
async fn write(
    stream: &mut Box<dyn Io>,
    pieces: &[&[u8]; 3],
    buf: &mut BytesMut,
) -> Result<bool, Error> {
    let (mut piece, mut at) = (0, 0);
    let mut read_closed = false;
    poll_fn(|cx| {
        loop {
            while piece < pieces.len() && at == pieces[piece].len() {
                piece += 1;
                at = 0;
            }
            let Some(rest) = pieces.get(piece) else {
                match Pin::new(&mut *stream).poll_flush(cx) {
                    Poll::Ready(Ok(())) => return Poll::Ready(Ok(false)),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Io(e))),
                    Poll::Pending => break,
                }
            };
            match Pin::new(&mut *stream).poll_write(cx, &rest[at..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(Error::Io(io::ErrorKind::WriteZero.into())))
                }
                Poll::Ready(Ok(n)) => at += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Io(e))),
                Poll::Pending => break,
            }
        }
        // The socket takes no more for now: has the server answered?
        if read_closed {
            return Poll::Pending;
        }
        match poll_read_more(stream, cx, buf) {
            Poll::Ready(Ok(0)) => {
                // It closed its side: the write will end or fail.
                read_closed = true;
                Poll::Pending
            }
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(true)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(Error::Io(e))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// An answer's status line and headers.
#[derive(Debug)]
struct Head {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
}

/// Reads the final answer's head (informational answers skipped), leaving
/// what follows it in `buf`.
async fn read_head(stream: &mut Box<dyn Io>, buf: &mut BytesMut) -> Result<Head, Error> {
    loop {
        if !buf.is_empty() {
            if let Some(head) = parse_head(buf)? {
                if head.status.is_informational() && head.status != StatusCode::SWITCHING_PROTOCOLS
                {
                    continue;
                }
                return Ok(head);
            }
            if buf.len() >= MAX_HEAD {
                return Err(Error::Malformed("message head is too large".into()));
            }
        }
        read_more(stream, buf).await?;
    }
}

/// Where one header's name and value are in the head.
#[derive(Clone, Copy, Default)]
struct Span {
    name: (u32, u32),
    value: (u32, u32),
}

/// What one attempt at parsing a head found.
enum Parsed {
    Head(Head),
    Partial,
    TooManyHeaders,
}

/// Parses a head at the start of `buf` and splits it off; `None` while it
/// is incomplete. Header values share the head's bytes.
fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, Error> {
    // Most answers have a few headers: room for 100 only when needed.
    let parsed = match parse_head_in::<FEW_HEADERS>(buf)? {
        Parsed::TooManyHeaders => parse_head_in::<MAX_HEADERS>(buf)?,
        parsed => parsed,
    };
    match parsed {
        Parsed::Head(head) => Ok(Some(head)),
        Parsed::Partial => Ok(None),
        Parsed::TooManyHeaders => Err(Error::Malformed("message head is too large".into())),
    }
}

fn parse_head_in<const N: usize>(buf: &mut BytesMut) -> Result<Parsed, Error> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; N];
    let mut spans = [Span::default(); N];
    let mut answer = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut answer,
        buf,
        &mut slots,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => return Ok(Parsed::TooManyHeaders),
        Err(e) => return Err(Error::Malformed(e.to_string())),
    };
    let status = answer
        .code
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| Error::Malformed("invalid status code".into()))?;
    let version = match answer.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let base = buf.as_ptr() as usize;
    // A head is at most MAX_HEAD long: its offsets fit in u32.
    let at = |s: &[u8]| ((s.as_ptr() as usize - base) as u32, s.len() as u32);
    let count = answer.headers.len();
    for (span, h) in spans.iter_mut().zip(answer.headers.iter()) {
        *span = Span {
            name: at(h.name.as_bytes()),
            value: at(h.value),
        };
    }
    let head = buf.split_to(len).freeze();
    let range = |(start, n): (u32, u32)| start as usize..(start + n) as usize;
    let mut headers = HeaderMap::with_capacity(count);
    for span in &spans[..count] {
        let name = HeaderName::from_bytes(&head[range(span.name)])
            .map_err(|_| Error::Malformed("invalid header name".into()))?;
        let value = HeaderValue::from_maybe_shared(head.slice(range(span.value)))
            .map_err(|_| Error::Malformed("invalid header value".into()))?;
        headers.append(name, value);
    }
    Ok(Parsed::Head(Head {
        status,
        version,
        headers,
    }))
}

/// How an answer's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body.
    Empty,
    /// `content-length` bytes.
    Length(u64),
    /// Chunked.
    Chunked,
    /// Until the server closes.
    Close,
}

impl Framing {
    fn of(method: &Method, head: &Head, framed: &Framed<'_>) -> Result<Framing, Error> {
        let status = head.status;
        if method == Method::HEAD
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
        {
            return Ok(Framing::Empty);
        }
        if let Some(last) = framed.last_coding {
            return Ok(if is_chunked(last.as_bytes()) {
                Framing::Chunked
            } else {
                Framing::Close
            });
        }
        match (framed.has_length, framed.length) {
            (false, _) => Ok(Framing::Close),
            (true, Some(0)) => Ok(Framing::Empty),
            (true, Some(n)) => Ok(Framing::Length(n)),
            (true, None) => Err(Error::Malformed("invalid content-length".into())),
        }
    }
}

/// A body as it is read: kept, or only counted (the socket counts bytes).
struct Kept {
    keep: bool,
    bytes: BytesMut,
}

impl Kept {
    fn new(keep: bool, expected: u64) -> Self {
        let room = if keep {
            expected.min(MAX_RESERVE as u64) as usize
        } else {
            0
        };
        Kept {
            keep,
            bytes: BytesMut::with_capacity(room),
        }
    }

    /// Takes `n` bytes: what `buf` holds, then what is read.
    async fn read(
        &mut self,
        stream: &mut Box<dyn Io>,
        buf: &mut BytesMut,
        n: u64,
    ) -> Result<(), Error> {
        let mut left = n;
        loop {
            left -= self.take(buf, left);
            if left == 0 {
                return Ok(());
            }
            read_more(stream, buf).await?;
        }
    }

    /// Takes up to `n` bytes off the front of `buf`; how many it took.
    fn take(&mut self, buf: &mut BytesMut, n: u64) -> u64 {
        let n = n.min(buf.len() as u64) as usize;
        if !self.keep {
            buf.advance(n);
        } else if self.bytes.is_empty() && self.bytes.capacity() == 0 {
            self.bytes = buf.split_to(n);
        } else {
            self.bytes.extend_from_slice(&buf[..n]);
            buf.advance(n);
        }
        n as u64
    }
}

/// Reads the body `framing` delimits, leaving what follows it in `buf`.
async fn read_body(
    stream: &mut Box<dyn Io>,
    buf: &mut BytesMut,
    framing: Framing,
    keep: bool,
) -> Result<Bytes, Error> {
    match framing {
        Framing::Empty => Ok(Bytes::new()),
        Framing::Length(n) if buf.len() as u64 >= n => {
            let body = buf.split_to(n as usize);
            Ok(if keep { body.freeze() } else { Bytes::new() })
        }
        Framing::Length(n) => {
            let mut kept = Kept::new(keep, n);
            kept.read(stream, buf, n).await?;
            Ok(kept.bytes.freeze())
        }
        Framing::Close => {
            let mut kept = Kept::new(keep, 0);
            loop {
                kept.take(buf, u64::MAX);
                match read_more(stream, buf).await {
                    Ok(()) => {}
                    Err(Error::Eof) => return Ok(kept.bytes.freeze()),
                    Err(e) => return Err(e),
                }
            }
        }
        Framing::Chunked => read_chunks(stream, buf, keep).await,
    }
}

/// A chunked body: chunks until the last, then the trailer (skipped).
async fn read_chunks(
    stream: &mut Box<dyn Io>,
    buf: &mut BytesMut,
    keep: bool,
) -> Result<Bytes, Error> {
    let mut kept = Kept::new(keep, 0);
    loop {
        let size = loop {
            match httparse::parse_chunk_size(buf) {
                Ok(httparse::Status::Complete((used, size))) => {
                    buf.advance(used);
                    break size;
                }
                Ok(httparse::Status::Partial) if buf.len() < READ_CHUNK => {
                    read_more(stream, buf).await?
                }
                _ => return Err(Error::Malformed("invalid chunk size".into())),
            }
        };
        if size == 0 {
            skip_trailer(stream, buf).await?;
            return Ok(kept.bytes.freeze());
        }
        kept.read(stream, buf, size).await?;
        while buf.len() < 2 {
            read_more(stream, buf).await?;
        }
        if &buf[..2] != b"\r\n" {
            return Err(Error::Malformed("invalid chunk end".into()));
        }
        buf.advance(2);
    }
}

/// Skips a chunked body's trailer fields up to and with the empty line.
async fn skip_trailer(stream: &mut Box<dyn Io>, buf: &mut BytesMut) -> Result<(), Error> {
    let mut skipped = 0;
    loop {
        match buf.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let empty = buf[..end].iter().all(|&b| b == b'\r');
                buf.advance(end + 1);
                if empty {
                    return Ok(());
                }
                skipped += end + 1;
            }
            None if skipped + buf.len() < MAX_HEAD => read_more(stream, buf).await?,
            None => return Err(Error::Malformed("trailer is too large".into())),
        }
    }
}

#[cfg(test)]
mod tests;
