//! A WebSocket's connection task: it dials, upgrades, then reads frames
//! and writes what the script queues, reporting each happening as an
//! [`Event`] on a channel the VU reads on its own thread.
//!
//! The task is spawned on the VU's runtime when the VU first polls the
//! event stream (only then is a runtime at hand), so it reads and writes
//! while the VU runs JavaScript or waits in something else, and it can
//! still write a close frame after the VU stopped listening (k6/ws's
//! `close()` does not wait for the answer). It ends when the connection
//! does, when the VU drops its end (a call that ended or was
//! interrupted: the connection is closed then), or when the VU's call is
//! cancelled.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::stream::{self, Stream, StreamExt};
use futures_util::SinkExt;
use k6r_http::transport::stream::IoMarks;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::close::{self, End};
use super::dial::{self, Answer, Failed, Target};

/// How long one write may take (k6's `writeWait`).
pub(crate) const WRITE_WAIT: Duration = Duration::from_secs(10);

/// What the script asks of the connection.
#[derive(Debug)]
pub(crate) enum Command {
    /// Writes a message (text, binary, ping or close), then reports
    /// [`Event::Written`].
    Write(Message),
    /// Writes a close frame with this code and ends at once, without
    /// waiting for the server's (k6/ws's `close()`).
    Abandon(u16),
    /// Ends at once, without a close frame (a listener threw).
    Drop,
}

/// What happened on the connection.
#[derive(Debug)]
pub(crate) enum Event {
    /// The upgrade succeeded.
    Opened(Box<Handshake>),
    /// The connection could not be opened; nothing follows.
    Failed(Box<Failed>, Duration),
    /// A text message.
    Text(String, SystemTime),
    /// A binary message.
    Binary(Vec<u8>, SystemTime),
    /// A ping from the server (already answered).
    Ping,
    /// A pong, with its payload and when it came.
    Pong(Vec<u8>, Instant),
    /// A [`Command::Write`] was written: the size of its payload.
    Written(usize),
    /// The connection ended; nothing follows.
    Closed(End),
}

/// What an accepted upgrade tells.
#[derive(Debug)]
pub(crate) struct Handshake {
    /// The server's answer.
    pub answer: Answer,
    /// How long dialling and upgrading took.
    pub connecting: Duration,
    /// The connection's byte counters.
    pub marks: Arc<IoMarks>,
}

/// Where a connection's commands go (a closed connection drops them).
///
/// Commands and events travel boxed: tokio's channels allocate their
/// first block of 32 slots up front, which for the values themselves
/// cost every open socket ~3 KB; for boxes, 512 bytes.
#[derive(Clone)]
pub(crate) struct Commands(UnboundedSender<Box<Command>>);

impl Commands {
    /// Queues `command` (dropped when the connection has ended).
    pub(crate) fn send(&self, command: Command) {
        let _ = self.0.send(Box::new(command));
    }
}

/// Where the connection task reports what happened.
struct Outbox(UnboundedSender<Box<Event>>);

impl Outbox {
    /// Reports `event`; an error when the VU let go of the connection.
    fn send(&self, event: Event) -> Result<(), ()> {
        self.0.send(Box::new(event)).map_err(|_| ())
    }

    /// Completes when the VU has let go of the connection.
    async fn closed(&self) {
        self.0.closed().await;
    }
}

/// The VU's end of a connection: commands go in, events come out.
pub(crate) struct Connection {
    /// Where commands go (a closed connection drops them).
    pub commands: Commands,
    /// The events, ending after [`Event::Failed`] or [`Event::Closed`].
    pub events: std::pin::Pin<Box<dyn Stream<Item = Event>>>,
}

/// A connection to `target`, started when its events are first polled;
/// it stops when `cancel` is cancelled.
pub(crate) fn connect(target: Target, cancel: Option<CancellationToken>) -> Connection {
    let (commands, inbox) = unbounded_channel();
    let events = stream::once(async move {
        let (outbox, mut events) = unbounded_channel::<Box<Event>>();
        tokio::spawn(run(
            target,
            inbox,
            Outbox(outbox),
            cancel.unwrap_or_default(),
        ));
        stream::poll_fn(move |cx| events.poll_recv(cx).map(|event| event.map(|e| *e)))
    })
    .flatten();
    Connection {
        commands: Commands(commands),
        events: Box::pin(events),
    }
}

async fn run(
    target: Target,
    mut commands: UnboundedReceiver<Box<Command>>,
    events: Outbox,
    cancel: CancellationToken,
) {
    let started = Instant::now();
    // Boxed: the dial's state (TCP, TLS, the upgrade) is the largest this
    // task ever holds; inline, every open socket's task would keep room
    // for it as long as the connection lives.
    let dialling = Box::pin(tokio::time::timeout(
        dial::HANDSHAKE_TIMEOUT,
        dial::open(target),
    ));
    let opened = tokio::select! {
        opened = dialling => opened,
        () = cancel.cancelled() => return,
        () = events.closed() => return,
    };
    let connecting = started.elapsed();
    let opened = match opened {
        Ok(Ok(opened)) => opened,
        Ok(Err(failed)) => {
            let _ = events.send(Event::Failed(Box::new(failed), connecting));
            return;
        }
        Err(_) => {
            let failed = Failed {
                error: "i/o timeout".to_owned(),
                answer: None,
                marks: None,
            };
            let _ = events.send(Event::Failed(Box::new(failed), connecting));
            return;
        }
    };
    let mut socket = opened.socket;
    let handshake = Handshake {
        answer: opened.answer,
        connecting,
        marks: opened.marks,
    };
    if events.send(Event::Opened(Box::new(handshake))).is_err() {
        return;
    }
    let end = loop {
        tokio::select! {
            () = cancel.cancelled() => break None,
            command = commands.recv() => match command.map(|c| *c) {
                // The VU let go of the connection.
                None => break None,
                Some(Command::Write(message)) => {
                    let size = payload_size(&message);
                    match tokio::time::timeout(WRITE_WAIT, socket.send(message)).await {
                        Ok(Ok(())) => {
                            let _ = events.send(Event::Written(size));
                        }
                        Ok(Err(error)) => break Some(end_of(&error)),
                        Err(_) => break Some(End::broken()),
                    }
                }
                Some(Command::Drop) => return,
                Some(Command::Abandon(code)) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: "".into() };
                    let _ = tokio::time::timeout(WRITE_WAIT, socket.send(Message::Close(Some(frame)))).await;
                    return;
                }
            },
            read = socket.next() => match read {
                Some(Ok(Message::Text(text))) => {
                    let _ = events.send(Event::Text(text.as_str().to_owned(), SystemTime::now()));
                }
                Some(Ok(Message::Binary(bytes))) => {
                    let _ = events.send(Event::Binary(bytes.to_vec(), SystemTime::now()));
                }
                Some(Ok(Message::Ping(_))) => {
                    // The answer is queued by tungstenite: send it now.
                    let _ = tokio::time::timeout(WRITE_WAIT, socket.flush()).await;
                    let _ = events.send(Event::Ping);
                }
                Some(Ok(Message::Pong(payload))) => {
                    let _ = events.send(Event::Pong(payload.to_vec(), Instant::now()));
                }
                Some(Ok(Message::Close(frame))) => {
                    // The answering close frame is queued: send it.
                    let _ = tokio::time::timeout(WRITE_WAIT, socket.flush()).await;
                    break Some(match frame {
                        Some(frame) => End::by_peer(frame.code.into(), frame.reason.as_str()),
                        // gorilla's code for a close frame without one.
                        None => End::by_peer(1005, ""),
                    });
                }
                Some(Ok(Message::Frame(_))) => {}
                Some(Err(error)) => break Some(end_of(&error)),
                None => break Some(End::by_peer(close::NORMAL, "")),
            },
        }
    };
    match end {
        Some(end) => {
            let _ = events.send(Event::Closed(end));
        }
        // Interrupted or let go of: close politely, but briefly.
        None => {
            let frame = CloseFrame {
                code: CloseCode::from(close::GOING_AWAY),
                reason: "".into(),
            };
            let _ = tokio::time::timeout(
                Duration::from_millis(200),
                socket.send(Message::Close(Some(frame))),
            )
            .await;
        }
    }
}

/// The payload size of a message (what `bufferedAmount` counted).
fn payload_size(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) | Message::Ping(bytes) | Message::Pong(bytes) => bytes.len(),
        // The close frame's payload: its code and reason.
        Message::Close(Some(frame)) => 2 + frame.reason.len(),
        Message::Close(None) | Message::Frame(_) => 0,
    }
}

/// How a connection that failed with `error` ended, as k6 reports it.
fn end_of(error: &WsError) -> End {
    match error {
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => End::eof(),
        WsError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => End::eof(),
        WsError::ConnectionClosed | WsError::AlreadyClosed => End::by_peer(close::NORMAL, ""),
        _ => End::broken(),
    }
}
