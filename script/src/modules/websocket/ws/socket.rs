//! k6/ws's `Socket` and the loop that runs it: the script's handlers
//! (`on`) and the socket's timers (`setTimeout`, `setInterval`) run on
//! the VU's thread, one event at a time, until the socket is closed (by
//! the script, the server, a failure, or an exception in a handler).
//!
//! The socket's JavaScript object holds its methods, which hold the Rust
//! [`Socket`], which holds the handlers: a cycle QuickJS cannot see
//! through. `run` breaks it when the socket is done (handlers and timers
//! are dropped), so nothing outlives `connect`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use k6r_http::transport::stream::IoMarks;
use rquickjs::function::{Opt, Rest};
use rquickjs::object::Property;
use rquickjs::{Ctx, Exception, Function, IntoJs, Object, Persistent, Value};
use tokio_tungstenite::tungstenite::Message;

use super::super::close::{self, CLOSE_SENT};
use super::super::driver::{Command, Commands, Connection, Event};
use super::super::samples::Session;
use crate::binary;
use crate::js;
use crate::state::VuState;
use crate::wait;

type Callback = Persistent<Function<'static>>;

/// The Rust side of a `Socket`.
struct Socket {
    commands: Commands,
    session: Session,
    handlers: RefCell<Vec<(String, Callback)>>,
    timers: RefCell<Vec<Timer>>,
    /// The close sequence ran (`close()`, the server's close, a failure).
    closed: Cell<bool>,
    pings: RefCell<HashMap<Vec<u8>, Instant>>,
    next_ping: Cell<u64>,
}

struct Timer {
    id: u64,
    due: Instant,
    every: Option<Duration>,
    callback: Callback,
}

/// What the loop woke for.
enum Woke {
    Event(Option<Event>),
    Due,
}

/// Gives `setup` the socket, fires `open`, then runs the socket until it
/// is closed. An error is an exception (a handler's, or `setup`'s).
pub(super) fn run<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    setup: Function<'js>,
    connection: Connection,
    session: &Session,
    marks: &Arc<IoMarks>,
) -> rquickjs::Result<()> {
    let socket = Rc::new(Socket {
        commands: connection.commands,
        session: session.clone(),
        handlers: RefCell::default(),
        timers: RefCell::default(),
        closed: Cell::new(false),
        pings: RefCell::default(),
        next_ping: Cell::new(0),
    });
    let object = object(ctx, vu, &socket)?;
    let outcome = drive(ctx, vu, &socket, setup, object, connection.events, marks);
    if outcome.is_err() && vu.interrupt.stopped().is_none() {
        // As k6: the socket closes (its `close` handlers run) before the
        // exception ends the iteration.
        let pending = ctx.catch();
        let _ = socket.close(ctx, vu, close::GOING_AWAY);
        let _ = ctx.catch();
        socket.forget();
        return Err(ctx.throw(pending));
    }
    socket.forget();
    outcome
}

fn drive<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    socket: &Rc<Socket>,
    setup: Function<'js>,
    object: Object<'js>,
    mut events: Pin<Box<dyn Stream<Item = Event>>>,
    marks: &Arc<IoMarks>,
) -> rquickjs::Result<()> {
    setup.call::<_, ()>((object,))?;
    socket.fire(ctx, "open", ())?;
    while !socket.closed.get() {
        let due = socket.next_due();
        let waited = wait::block(vu, async move {
            let timer = async {
                match due {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            let woke = tokio::select! {
                event = events.next() => Woke::Event(event),
                () = timer => Woke::Due,
            };
            (woke, events)
        });
        let Some((woke, back)) = waited else {
            // Interrupted: the connection closes as it is dropped.
            return Err(js::throw_go_error(ctx, "context canceled"));
        };
        events = back;
        vu.claim_bytes(marks);
        match woke {
            Woke::Due => socket.fire_timer(ctx)?,
            Woke::Event(None) => socket.close(ctx, vu, close::GOING_AWAY)?,
            Woke::Event(Some(event)) => socket.handle(ctx, vu, event)?,
        }
    }
    Ok(())
}

impl Socket {
    /// Runs the handlers of `event` with `args`, in the order they were
    /// added; the first exception ends the socket.
    fn fire<'js>(
        &self,
        ctx: &Ctx<'js>,
        event: &str,
        args: impl IntoArgs<'js>,
    ) -> rquickjs::Result<()> {
        let handlers: Vec<Callback> = self
            .handlers
            .borrow()
            .iter()
            .filter(|(name, _)| name == event)
            .map(|(_, handler)| handler.clone())
            .collect();
        for handler in handlers {
            let handler = handler.restore(ctx)?;
            handler.call::<_, ()>((Rest(args.values(ctx)?),))?;
        }
        Ok(())
    }

    fn fire_error(
        &self,
        ctx: &Ctx<'_>,
        message: &str,
        close: Option<(u16, &str)>,
    ) -> rquickjs::Result<()> {
        let error = error_value(ctx, message, close)?;
        self.fire(ctx, "error", vec![error])
    }

    fn handle<'js>(&self, ctx: &Ctx<'js>, vu: &VuState, event: Event) -> rquickjs::Result<()> {
        match event {
            Event::Text(text, at) => {
                self.session.received(vu, at);
                let text = text.into_js(ctx)?;
                self.fire(ctx, "message", vec![text])
            }
            Event::Binary(bytes, at) => {
                self.session.received(vu, at);
                let buffer = binary::array_buffer(ctx, bytes)?;
                self.fire(ctx, "binaryMessage", vec![buffer])
            }
            Event::Ping => self.fire(ctx, "ping", ()),
            Event::Pong(payload, at) => {
                if let Some(sent) = self.pings.borrow_mut().remove(&payload) {
                    self.session.ping(vu, at.saturating_duration_since(sent));
                }
                self.fire(ctx, "pong", ())
            }
            Event::Closed(end) => {
                if let Some(error) = &end.error {
                    self.fire_error(ctx, error, Some((end.code, &end.reason)))?;
                }
                self.close(ctx, vu, end.code)
            }
            Event::Written(_) | Event::Opened(_) | Event::Failed(..) => Ok(()),
        }
    }

    /// The close sequence, once: the close frame (the connection then
    /// ends without waiting for the server's), then the `close` handlers
    /// with `code`.
    fn close(&self, ctx: &Ctx<'_>, _vu: &VuState, code: u16) -> rquickjs::Result<()> {
        if self.closed.replace(true) {
            return Ok(());
        }
        self.commands.send(Command::Abandon(code));
        let code = code.into_js(ctx)?;
        self.fire(ctx, "close", vec![code])
    }

    /// Writes `message` unless the close frame went out (then the `error`
    /// handlers hear of it, as in k6).
    fn write(&self, ctx: &Ctx<'_>, message: Message) -> rquickjs::Result<bool> {
        if self.closed.get() {
            self.fire_error(ctx, CLOSE_SENT, None)?;
            return Ok(false);
        }
        self.commands.send(Command::Write(message));
        Ok(true)
    }

    fn next_due(&self) -> Option<Instant> {
        self.timers.borrow().iter().map(|t| t.due).min()
    }

    /// Runs the timer due first (the first set among equals).
    fn fire_timer(&self, ctx: &Ctx<'_>) -> rquickjs::Result<()> {
        let callback = {
            let mut timers = self.timers.borrow_mut();
            let Some(at) = timers
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| (t.due, t.id))
                .map(|(i, _)| i)
            else {
                return Ok(());
            };
            let callback = timers[at].callback.clone();
            match timers[at].every {
                Some(every) => timers[at].due = Instant::now() + every,
                None => {
                    timers.remove(at);
                }
            }
            callback
        };
        callback.restore(ctx)?.call::<_, ()>(())
    }

    /// Drops the handlers and timers (and so the cycle through them).
    fn forget(&self) {
        let handlers = std::mem::take(&mut *self.handlers.borrow_mut());
        let timers = std::mem::take(&mut *self.timers.borrow_mut());
        drop((handlers, timers));
    }
}

/// Arguments for handlers.
trait IntoArgs<'js> {
    fn values(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Vec<Value<'js>>>;
}

impl<'js> IntoArgs<'js> for () {
    fn values(&self, _: &Ctx<'js>) -> rquickjs::Result<Vec<Value<'js>>> {
        Ok(Vec::new())
    }
}

impl<'js> IntoArgs<'js> for Vec<Value<'js>> {
    fn values(&self, _: &Ctx<'js>) -> rquickjs::Result<Vec<Value<'js>>> {
        Ok(self.clone())
    }
}

/// What k6/ws gives its `error` handlers: Go's error value, an object
/// whose `error()` is the message (and whose string is too); a close
/// error also has its `code` and `text`.
fn error_value<'js>(
    ctx: &Ctx<'js>,
    message: &str,
    close: Option<(u16, &str)>,
) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    if let Some((code, text)) = close {
        object.set("code", code)?;
        object.set("text", text)?;
    }
    let text = message.to_owned();
    object.set("error", js::function(ctx, "error", move || text.clone())?)?;
    let text = message.to_owned();
    object.prop(
        "toString",
        Property::from(js::function(ctx, "toString", move || text.clone())?)
            .writable()
            .configurable(),
    )?;
    Ok(object.into_value())
}

/// The socket's JavaScript object, its methods in k6's (sorted) order.
fn object<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    socket: &Rc<Socket>,
) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;

    let (s, state) = (socket.clone(), vu.clone());
    let close = move |ctx: Ctx<'js>, code: Opt<Value<'js>>| -> rquickjs::Result<()> {
        let code = match code.0 {
            Some(code) => to_integer(&code)? as u16,
            None => close::GOING_AWAY,
        };
        s.close(&ctx, &state, code)
    };
    object.set("close", js::function(ctx, "close", close)?)?;

    let s = socket.clone();
    let on = move |ctx: Ctx<'js>,
                   event: Opt<Value<'js>>,
                   handler: Opt<Value<'js>>|
          -> rquickjs::Result<()> {
        let event = match event.0 {
            Some(event) => js::to_string(&event)?,
            None => "undefined".to_owned(),
        };
        if let Some(handler) = handler.0.as_ref().and_then(Value::as_function) {
            let handler = Persistent::save(&ctx, handler.clone());
            s.handlers.borrow_mut().push((event, handler));
        }
        Ok(())
    };
    object.set("on", js::function(ctx, "on", on)?)?;

    let s = socket.clone();
    let ping = move |ctx: Ctx<'js>| -> rquickjs::Result<()> {
        let id = s.next_ping.get().to_string().into_bytes();
        if s.write(&ctx, Message::Ping(id.clone().into()))? {
            s.pings.borrow_mut().insert(id, Instant::now());
            s.next_ping.set(s.next_ping.get() + 1);
        }
        Ok(())
    };
    object.set("ping", js::function(ctx, "ping", ping)?)?;

    let (s, state) = (socket.clone(), vu.clone());
    let send = move |ctx: Ctx<'js>, message: Opt<Value<'js>>| -> rquickjs::Result<()> {
        let text = match message.0 {
            Some(message) => js::to_string(&message)?,
            None => "undefined".to_owned(),
        };
        s.write(&ctx, Message::text(text))?;
        s.session.sent(&state);
        Ok(())
    };
    object.set("send", js::function(ctx, "send", send)?)?;

    let (s, state) = (socket.clone(), vu.clone());
    let send_binary = move |ctx: Ctx<'js>, message: Opt<Value<'js>>| -> rquickjs::Result<()> {
        let Some(message) = message.0 else {
            return Err(js::throw_go_error(
                &ctx,
                "missing argument, expected ArrayBuffer",
            ));
        };
        let buffer = message
            .as_object()
            .and_then(|o| o.as_array_buffer())
            .is_some();
        let bytes = match binary::view_bytes(&message)?.filter(|_| buffer) {
            Some(bytes) => bytes,
            None => {
                let received = if message.is_undefined() || message.is_null() {
                    js::to_string(&message)?
                } else {
                    constructor_name(&message)?
                };
                let text = format!("expected ArrayBuffer as argument, received: {received}");
                return Err(js::throw_go_error(&ctx, &text));
            }
        };
        s.write(&ctx, Message::binary(bytes))?;
        s.session.sent(&state);
        Ok(())
    };
    object.set("sendBinary", js::function(ctx, "sendBinary", send_binary)?)?;

    for (name, every) in [("setInterval", true), ("setTimeout", false)] {
        let s = socket.clone();
        let set = move |ctx: Ctx<'js>,
                        callback: Opt<Value<'js>>,
                        ms: Opt<Value<'js>>|
              -> rquickjs::Result<()> {
            let callback = callback
                .0
                .unwrap_or_else(|| Value::new_undefined(ctx.clone()));
            let Some(callback) = callback.as_function().cloned() else {
                let message = format!(
                    "could not convert function call parameter 0: could not convert {} to sobek.Callable",
                    js::to_string(&callback)?
                );
                return Err(Exception::throw_type(&ctx, &message));
            };
            let ms = match ms.0 {
                Some(ms) => js::to_number(&ms)?,
                None => 0.0,
            };
            if ms.is_nan() || ms <= 0.0 {
                let message = format!("{name} requires a >0 timeout parameter, received {ms:.2}");
                return Err(js::throw_go_error(&ctx, &message));
            }
            let period = Duration::from_secs_f64(ms.min(1e12) / 1e3);
            let mut timers = s.timers.borrow_mut();
            let id = timers.iter().map(|t| t.id).max().unwrap_or(0) + 1;
            timers.push(Timer {
                id,
                due: Instant::now() + period,
                every: every.then_some(period),
                callback: Persistent::save(&ctx, callback),
            });
            Ok(())
        };
        object.set(name, js::function(ctx, name, set)?)?;
    }
    Ok(object)
}

/// JavaScript's ToInteger, saturated into a close code's range.
fn to_integer(value: &Value<'_>) -> rquickjs::Result<f64> {
    let number = js::to_number(value)?;
    Ok(if number.is_nan() {
        0.0
    } else {
        number.trunc().clamp(0.0, f64::from(u16::MAX))
    })
}

/// `value.constructor.name`, as k6 names what it refuses.
fn constructor_name(value: &Value<'_>) -> rquickjs::Result<String> {
    let Some(object) = value.as_object() else {
        return Ok(match value.type_of() {
            rquickjs::Type::String => "String",
            rquickjs::Type::Int | rquickjs::Type::Float => "Number",
            rquickjs::Type::Bool => "Boolean",
            rquickjs::Type::Symbol => "Symbol",
            rquickjs::Type::BigInt => "BigInt",
            _ => "Object",
        }
        .to_owned());
    };
    let constructor: Value = object.get("constructor")?;
    match constructor.as_object() {
        Some(constructor) => js::to_string(&constructor.get::<_, Value>("name")?),
        None => Ok("undefined".to_owned()),
    }
}
