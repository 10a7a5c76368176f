//! `new grpc.Stream(client, method, params)`: a streaming call (client,
//! server or bidirectional) whose events run the script's handlers on the
//! VU's event loop: `on('data' | 'error' | 'end', handler)`,
//! `write(message)` and `end()` (the client is done sending).
//!
//! The call is a pending operation of the VU ([`crate::pending`]): the
//! iteration waits for it to end, and its events come back as
//! completions, in order. As in k6, a handler gets the event's value and
//! `{ts}` (the time, in Unix seconds); `data` a message with only its set
//! fields, `error` `{code, details, message, error()}`, and `end` (which follows
//! an error too) `{}`. Writes go to the call through a channel; `end()`
//! drops its sender, which ends the request stream (for a method that
//! takes one request, its first write does), and a write after it is
//! dropped, as k6 drops it.
//!
//! The handlers live in JavaScript, in an object the stream object keeps
//! under a hidden symbol: Rust holds the stream object only while the
//! call runs (a JavaScript value held by a Rust closure of a JavaScript
//! function would be a cycle QuickJS's collector cannot see).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::future::{AbortHandle, Abortable};
use futures_util::stream::{self, StreamExt};
use k6r_core::metrics::{Builtin, Tags};
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use rquickjs::function::{Opt, This};
use rquickjs::{Array, Ctx, Object, Persistent, Symbol, Value};
use tokio::sync::mpsc;
use tonic::{Code, Status};

use super::call;
use super::client::{ClientState, STREAM_KEY};
use super::invoke::{call_params, error_object, target, NoTarget};
use super::{json, samples};
use crate::js;
use crate::log::Level;
use crate::pending::Completion;
use crate::state::VuState;
use k6r_http::transport::stream::IoMarks;

/// Where a stream object keeps its handlers.
const HANDLERS_KEY: &str = "k6r.grpc.handlers";

/// The events a script can handle.
const EVENTS: &[&str] = &["data", "error", "end"];

/// What happened on a stream.
enum Event {
    Data(DynamicMessage),
    Error(Status),
    /// The stream's own `timeout` ended it: `error` and `end`, and, as
    /// in k6, no `grpc_req_duration` sample.
    Expired,
    /// A failed write's error, heard again from the reading side: k6
    /// fires `error` a second time for it, with no `end`.
    ErrorAgain(Status),
    End,
}

/// The `Stream` constructor: opens the stream through the client's
/// hidden opener.
pub(super) fn class<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
    let make = move |ctx: Ctx<'js>,
                     client: Opt<Value<'js>>,
                     method: Opt<Value<'js>>,
                     params: Opt<Value<'js>>|
          -> rquickjs::Result<Value<'js>> {
        let key = Symbol::new_global(ctx.clone(), STREAM_KEY)?;
        let opener = match client.0.as_ref().and_then(Value::as_object) {
            Some(client) => client.get::<_, Value>(key)?.into_function(),
            None => None,
        };
        let Some(opener) = opener else {
            return Err(js::throw_go_error(
                &ctx,
                "invalid GRPC Stream's client: not a gRPC client",
            ));
        };
        let undefined = || Value::new_undefined(ctx.clone());
        opener.call((
            method.0.unwrap_or_else(undefined),
            params.0.unwrap_or_else(undefined),
        ))
    };
    let constructor = js::function(ctx, "Stream", make)?;
    constructor.set_constructor(true);
    constructor.set("prototype", Object::new(ctx.clone())?)?;
    Ok(constructor.into_value())
}

/// Opens a stream on `client`: `args` are the method and params.
pub(super) fn open<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    client: &Rc<RefCell<ClientState>>,
    args: Vec<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.forbid_in_init(
        ctx,
        "creating a stream in the init context is not supported",
    )?;
    let mut args = args.into_iter();
    let method = match args.next() {
        Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value)?,
        _ => String::new(),
    };
    let (connection, descriptor, path) = target(&client.borrow(), &method).map_err(|e| {
        let message = match &e {
            NoTarget::NotConnected => format!("invalid GRPC Stream's client: {}", e.message()),
            NoTarget::Method(message) => format!("invalid GRPC Stream's method: {message}"),
        };
        js::throw_go_error(ctx, &message)
    })?;
    let params = call_params(ctx, args.next().as_ref())?;
    let tags = Arc::new(samples::call_tags(
        &vu.tags(),
        &connection.address,
        &descriptor,
        &params.tags,
    ));

    let (sender, receiver) = mpsc::unbounded_channel::<DynamicMessage>();
    let (events, mut incoming) = mpsc::unbounded_channel::<Event>();
    let (abort, registration) = AbortHandle::new_pair();
    let ender = Ender {
        events: events.clone(),
        abort,
    };
    let object = stream_object(
        ctx,
        vu,
        Writer {
            sender,
            input: descriptor.input(),
            client_streaming: descriptor.is_client_streaming(),
            max_send: connection.max_send,
            ender,
        },
        tags.clone(),
    )?;
    samples::count(vu, Builtin::GrpcStreams, &tags);

    let marks = connection.marks.clone();
    let metadata = params.metadata;
    let timeout = params.timeout;
    let late = events.clone();
    let call = async move {
        let requests = tokio_stream::wrappers::UnboundedReceiverStream::new(receiver);
        let opened = call::open(&connection, &descriptor, &path, requests, metadata, timeout).await;
        let mut messages = match opened {
            Ok((_, messages)) => messages,
            Err(status) => {
                let _ = events.send(Event::Error(status));
                return;
            }
        };
        loop {
            let event = match messages.message().await {
                Ok(Some(message)) => Event::Data(message),
                Ok(None) => Event::End,
                // The server saw the deadline (the grpc-timeout sent)
                // before this side's timer did: the same end.
                Err(status) if timeout.is_some() && status.code() == Code::DeadlineExceeded => {
                    Event::Expired
                }
                Err(status) => Event::Error(status),
            };
            let last = !matches!(event, Event::Data(_));
            let _ = events.send(event);
            if last {
                return;
            }
        }
    };
    // The `timeout` param is the whole stream's deadline, as a Go
    // context's: past it the stream ends with DeadlineExceeded.
    let driver = Abortable::new(
        async move {
            match timeout {
                Some(timeout) => {
                    if tokio::time::timeout(timeout, call).await.is_err() {
                        let _ = late.send(Event::Expired);
                    }
                }
                None => call.await,
            }
        },
        registration,
    );
    let driven = stream::once(Box::pin(driver)).filter_map(|_| async { None::<Completion> });
    let target = Rc::new(Persistent::save(ctx, object.clone()));
    let started = Instant::now();
    // The first error or end is the stream's last event (a failed write
    // ends it while the call may still send one).
    let mut ended = false;
    let on_events = stream::poll_fn(move |cx| {
        if ended {
            // Only a failed write's second error follows the last event,
            // and it was queued with it.
            return std::task::Poll::Ready(match incoming.try_recv() {
                Ok(event @ Event::ErrorAgain(_)) => Some(event),
                _ => None,
            });
        }
        let event = std::task::ready!(incoming.poll_recv(cx));
        ended = !matches!(event, Some(Event::Data(_)));
        std::task::Poll::Ready(event)
    })
    .map(move |event| completion(target.clone(), tags.clone(), marks.clone(), started, event));
    vu.pending
        .borrow_mut()
        .start(stream::select(driven, on_events));
    Ok(object.into_value())
}

/// The completion running the handlers of `event` (and, after an error,
/// those of `end`).
fn completion(
    target: Rc<Persistent<Object<'static>>>,
    tags: Arc<Tags>,
    marks: Arc<IoMarks>,
    started: Instant,
    event: Event,
) -> Completion {
    Box::new(move |ctx: &Ctx<'_>, vu: &VuState| {
        vu.claim_bytes(&marks);
        let object = (*target).clone().restore(ctx)?;
        match event {
            Event::Data(message) => {
                samples::count(vu, Builtin::GrpcStreamsMsgsReceived, &tags);
                let message = json::from_message(ctx, &message, false)?;
                fire(ctx, &object, "data", message)
            }
            Event::Error(status) => {
                samples::record_call(vu, &tags, status.code() as i32, started.elapsed());
                fire(ctx, &object, "error", stream_error(ctx, &status)?)?;
                fire(ctx, &object, "end", Object::new(ctx.clone())?.into_value())
            }
            Event::Expired => {
                fire(
                    ctx,
                    &object,
                    "error",
                    stream_error(ctx, &call::deadline_exceeded())?,
                )?;
                fire(ctx, &object, "end", Object::new(ctx.clone())?.into_value())
            }
            Event::ErrorAgain(status) => fire(ctx, &object, "error", stream_error(ctx, &status)?),
            Event::End => {
                samples::record_call(vu, &tags, 0, started.elapsed());
                fire(ctx, &object, "end", Object::new(ctx.clone())?.into_value())
            }
        }
    })
}

/// The value of a stream's `error` event: k6's error object, a Go value
/// whose `error()` method prints it.
fn stream_error<'js>(ctx: &Ctx<'js>, status: &Status) -> rquickjs::Result<Value<'js>> {
    let error = error_object(ctx, status)?;
    error.set("code", super::status::value(ctx, status.code() as i32)?)?;
    let text = format!(
        "code: {}, message: {}",
        status.code() as i32,
        status.message()
    );
    error.set("error", js::function(ctx, "error", move || text.clone())?)?;
    Ok(error.into_value())
}

/// What the stream object's `write` needs: the call's request channel and
/// what a message must be.
struct Writer {
    sender: mpsc::UnboundedSender<DynamicMessage>,
    input: MessageDescriptor,
    client_streaming: bool,
    max_send: usize,
    ender: Ender,
}

/// Ends a stream from the script's side: stops the call and hands the
/// handlers its error.
struct Ender {
    events: mpsc::UnboundedSender<Event>,
    abort: AbortHandle,
}

impl Ender {
    fn fail(&self, status: Status) {
        self.abort.abort();
        let _ = self.events.send(Event::Error(status.clone()));
        let _ = self.events.send(Event::ErrorAgain(status));
    }
}

/// Calls the handlers of `event` on `object` with `value` and `{ts}`.
fn fire<'js>(
    ctx: &Ctx<'js>,
    object: &Object<'js>,
    event: &str,
    value: Value<'js>,
) -> rquickjs::Result<()> {
    let key = Symbol::new_global(ctx.clone(), HANDLERS_KEY)?;
    let handlers: Object = object.get(key)?;
    let list: Array = handlers.get(event)?;
    let meta = Object::new(ctx.clone())?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    meta.set("ts", now as f64)?;
    for handler in js::array_items(&list)? {
        if let Some(handler) = handler.as_function() {
            handler.call::<_, ()>((value.clone(), meta.clone()))?;
        }
    }
    Ok(())
}

/// The stream object: `on`, `write`, `end`.
fn stream_object<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    writer: Writer,
    tags: Arc<Tags>,
) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    let handlers = Object::new(ctx.clone())?;
    for event in EVENTS {
        handlers.set(*event, Array::new(ctx.clone())?)?;
    }
    let key = Symbol::new_global(ctx.clone(), HANDLERS_KEY)?;
    object.prop(key, rquickjs::object::Property::from(handlers))?;

    let state = vu.clone();
    let on = move |ctx: Ctx<'js>,
                   this: This<Value<'js>>,
                   event: Opt<Value<'js>>,
                   handler: Opt<Value<'js>>|
          -> rquickjs::Result<()> {
        let event = match event.0 {
            Some(value) => js::to_string(&value)?,
            None => String::new(),
        };
        if !EVENTS.contains(&event.as_str()) {
            state.log.log(
                Level::Warning,
                &format!("can't register {event} event handler: unknown GRPC stream's event type: {event}"),
                &[],
            );
            return Ok(());
        }
        let Some(handler) = handler.0.and_then(|h| h.into_function()) else {
            return Err(js::throw_go_error(
                &ctx,
                &format!("the handler of the {event:?} event must be a function"),
            ));
        };
        let key = Symbol::new_global(ctx.clone(), HANDLERS_KEY)?;
        let list = this
            .0
            .as_object()
            .map(|stream| stream.get::<_, Option<Object>>(key))
            .transpose()?
            .flatten()
            .map(|handlers| handlers.get::<_, Array>(event.as_str()))
            .transpose()?;
        if let Some(list) = list {
            list.set(list.len(), handler)?;
        }
        Ok(())
    };
    object.set("on", js::function(ctx, "on", on)?)?;

    let Writer {
        sender,
        input,
        client_streaming,
        max_send,
        ender,
    } = writer;
    let writer = Rc::new(RefCell::new(Some(sender)));
    let (sending, state) = (writer.clone(), vu.clone());
    let write = move |ctx: Ctx<'js>, message: Opt<Value<'js>>| -> rquickjs::Result<()> {
        let message = json::to_message(&ctx, &input, message.0.as_ref())
            .map_err(|e| js::throw_go_error(&ctx, &e))?;
        if sending.borrow().is_none() {
            return Ok(());
        }
        let size = message.encoded_len();
        if size > max_send {
            // gRPC-go refuses it before sending (maxSendSize), and k6
            // ends the stream with that error.
            sending.borrow_mut().take();
            ender.fail(call::too_large(size, max_send));
            return Ok(());
        }
        let sent = sending
            .borrow()
            .as_ref()
            .is_some_and(|sender| sender.send(message).is_ok());
        if sent {
            samples::count(&state, Builtin::GrpcStreamsMsgsSent, &tags);
            // A method that takes one request gets no more: the request
            // stream ends with it (the server waits for that end).
            if !client_streaming {
                sending.borrow_mut().take();
            }
        }
        Ok(())
    };
    object.set("write", js::function(ctx, "write", write)?)?;

    let end = move || {
        writer.borrow_mut().take();
    };
    object.set("end", js::function(ctx, "end", end)?)?;
    Ok(object)
}
