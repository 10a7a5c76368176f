//! The Rust side of an experimental `WebSocket`: `open` checks the
//! constructor's arguments (throwing k6's errors), starts the connection
//! as a pending operation of the VU, and returns the handle the glue's
//! object works through (`send`, `ping`, `close`, `drop` and the state's
//! getters). Each event of the connection becomes a completion that
//! updates the state, takes the samples and calls the object's
//! dispatcher on the VU's thread.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use k6r_http::transport::stream::IoMarks;
use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, IntoJs, Object, Persistent, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use url::Url;

use super::super::close;
use super::super::dial::Target;
use super::super::driver::{self, Command, Commands, Event};
use super::super::params::{self, Dialect, Params};
use super::super::samples::{Naming, Session};
use crate::binary;
use crate::js;
use crate::log::Level;
use crate::pending::Completion;
use crate::state::VuState;

/// `readyState`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum ReadyState {
    Connecting = 0,
    Open = 1,
    Closing = 2,
    Closed = 3,
}

/// A socket's state, shared by its handle's methods and its completions
/// (no JavaScript values: the handle's methods hold it).
struct Socket {
    url: Url,
    params: Params,
    commands: Commands,
    ready: Cell<ReadyState>,
    /// Bytes queued by `send` and not yet written (ping and close frames
    /// lower it too when written, as in k6).
    buffered: Cell<i64>,
    protocol: RefCell<String>,
    extensions: RefCell<Vec<String>>,
    session: RefCell<Session>,
    marks: RefCell<Option<Arc<IoMarks>>>,
    pings: RefCell<HashMap<Vec<u8>, Instant>>,
    next_ping: Cell<u64>,
}

/// `new WebSocket(url, protocols, params)`'s work: the handle of a new
/// connection whose events `dispatch` hears of.
pub(super) fn open<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    url: Option<Value<'js>>,
    protocols: Option<Value<'js>>,
    params: Option<Value<'js>>,
    dispatch: Option<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    vu.forbid_in_init(ctx, "using websockets in the init context is not supported")?;
    let (text, url) = checked_url(ctx, url)?;
    let params = params::read(ctx, vu, params.as_ref(), Dialect::WebSockets)?;
    let protocols = offered(&protocols)?;
    let Some(dispatch) = dispatch.as_ref().and_then(Value::as_function).cloned() else {
        return Err(js::throw_go_error(ctx, "the dispatcher is not a function"));
    };
    let client = vu.client();
    let options = client.options();
    let target = Target {
        cookies: params.cookies(vu, &url),
        url: url.clone(),
        headers: params.headers.clone(),
        protocols,
        hosts: options.hosts.clone(),
        tls: options.tls.clone(),
    };
    let connection = driver::connect(target, vu.interrupt.token());
    let session = Session::new(vu, &text, &params.tags, Naming::UrlAndName);
    let socket = Rc::new(Socket {
        url,
        params,
        commands: connection.commands,
        ready: Cell::new(ReadyState::Connecting),
        buffered: Cell::new(0),
        protocol: RefCell::default(),
        extensions: RefCell::default(),
        session: RefCell::new(session),
        marks: RefCell::new(None),
        pings: RefCell::default(),
        next_ping: Cell::new(0),
    });
    let dispatch = Persistent::save(ctx, dispatch);
    let events = Rc::clone(&socket);
    let operation = connection.events.map(move |event| {
        let socket = Rc::clone(&events);
        let dispatch = dispatch.clone();
        let completion: Completion = Box::new(move |ctx: &Ctx<'_>, vu: &VuState| {
            let dispatch = dispatch.restore(ctx)?;
            socket.handle(ctx, vu, &dispatch, event)
        });
        completion
    });
    vu.pending.borrow_mut().start(operation);
    handle(ctx, &socket, &text)
}

/// The URL, checked as k6 checks it: its text and parsed form.
fn checked_url<'js>(ctx: &Ctx<'js>, url: Option<Value<'js>>) -> rquickjs::Result<(String, Url)> {
    let Some(url) = url.filter(|u| !u.is_undefined()) else {
        return Err(js::throw_go_error(ctx, "WebSocket requires a url"));
    };
    let text = js::to_string(&url)?;
    let parsed = match Url::parse(&text) {
        Ok(parsed) => parsed,
        // Go parses a relative reference: its scheme is empty.
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let message = "WebSocket requires url with scheme ws or wss, but got \"\"";
            return Err(js::throw_go_error(ctx, message));
        }
        Err(error) => {
            let message = format!(
                "WebSocket requires valid url, but got {text:?} which resulted in parse {text:?}: {error}"
            );
            return Err(js::throw_go_error(ctx, &message));
        }
    };
    if !matches!(parsed.scheme(), "ws" | "wss") {
        let message = format!(
            "WebSocket requires url with scheme ws or wss, but got {:?}",
            parsed.scheme()
        );
        return Err(js::throw_go_error(ctx, &message));
    }
    if let Some(fragment) = parsed.fragment() {
        let message = format!("WebSocket requires no url fragment, but got {fragment:?}");
        return Err(js::throw_go_error(ctx, &message));
    }
    Ok((text, parsed))
}

/// The subprotocols offered: a string, or an array's items as strings.
fn offered(protocols: &Option<Value<'_>>) -> rquickjs::Result<Vec<String>> {
    let Some(value) = protocols
        .as_ref()
        .filter(|v| !v.is_undefined() && !v.is_null())
    else {
        return Ok(Vec::new());
    };
    if value.is_string() {
        return Ok(vec![js::to_string(value)?]);
    }
    match value.as_array() {
        Some(array) => js::array_items(array)?.iter().map(js::to_string).collect(),
        None => Ok(Vec::new()),
    }
}

/// The handle the glue's object works through.
fn handle<'js>(ctx: &Ctx<'js>, socket: &Rc<Socket>, url: &str) -> rquickjs::Result<Object<'js>> {
    let handle = Object::new(ctx.clone())?;
    handle.set("url", url)?;

    let s = Rc::clone(socket);
    let send = move |ctx: Ctx<'js>, data: Opt<Value<'js>>| -> rquickjs::Result<()> {
        s.assert_open(&ctx)?;
        let data = data.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        let message = message_of(&ctx, &data)?;
        let size = match &message {
            Message::Text(text) => text.len(),
            Message::Binary(bytes) => bytes.len(),
            _ => 0,
        };
        s.buffered.set(s.buffered.get() + size as i64);
        s.commands.send(Command::Write(message));
        Ok(())
    };
    handle.set("send", js::function(ctx, "send", send)?)?;

    let s = Rc::clone(socket);
    let ping = move |ctx: Ctx<'js>| -> rquickjs::Result<()> {
        s.assert_open(&ctx)?;
        let id = s.next_ping.get().to_string().into_bytes();
        s.next_ping.set(s.next_ping.get() + 1);
        s.pings.borrow_mut().insert(id.clone(), Instant::now());
        s.commands.send(Command::Write(Message::Ping(id.into())));
        Ok(())
    };
    handle.set("ping", js::function(ctx, "ping", ping)?)?;

    let s = Rc::clone(socket);
    let close = move |code: Opt<Value<'js>>, reason: Opt<Value<'js>>| -> rquickjs::Result<()> {
        if matches!(s.ready.get(), ReadyState::Closing | ReadyState::Closed) {
            return Ok(());
        }
        let code = match code.0 {
            Some(code) => js::to_number(&code)?,
            None => 0.0,
        };
        let code = if code.is_nan() {
            0.0
        } else {
            code.trunc().clamp(0.0, f64::from(u16::MAX))
        } as u16;
        let code = if code == 0 { close::NORMAL } else { code };
        let reason = match reason.0.filter(|r| !r.is_undefined()) {
            Some(reason) => js::to_string(&reason)?,
            None => String::new(),
        };
        s.ready.set(ReadyState::Closing);
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        s.commands.send(Command::Write(Message::Close(Some(frame))));
        Ok(())
    };
    handle.set("close", js::function(ctx, "close", close)?)?;

    let s = Rc::clone(socket);
    let drop_it = move || {
        s.ready.set(ReadyState::Closed);
        s.commands.send(Command::Drop);
    };
    handle.set("drop", js::function(ctx, "drop", drop_it)?)?;

    let s = Rc::clone(socket);
    handle.set(
        "readyState",
        js::function(ctx, "readyState", move || s.ready.get() as u8)?,
    )?;
    let s = Rc::clone(socket);
    handle.set(
        "bufferedAmount",
        js::function(ctx, "bufferedAmount", move || s.buffered.get() as f64)?,
    )?;
    let s = Rc::clone(socket);
    handle.set(
        "protocol",
        js::function(ctx, "protocol", move || s.protocol.borrow().clone())?,
    )?;
    let s = Rc::clone(socket);
    handle.set(
        "extensions",
        js::function(ctx, "extensions", move || s.extensions.borrow().clone())?,
    )?;
    Ok(handle)
}

/// What `send(data)` sends: a string as text; an `ArrayBuffer`, or the
/// whole buffer under a view (as k6 sends it), as binary.
fn message_of<'js>(ctx: &Ctx<'js>, data: &Value<'js>) -> rquickjs::Result<Message> {
    if data.is_string() {
        return Ok(Message::text(js::to_string(data)?));
    }
    if let Some(object) = data.as_object() {
        if object.as_array_buffer().is_some() {
            return Ok(Message::binary(
                binary::view_bytes(data)?.unwrap_or_default(),
            ));
        }
        // k6 cannot send a DataView (its view check fails).
        if !binary::is_data_view(object) && binary::view_bytes(data)?.is_some() {
            let buffer: Value = object.get("buffer")?;
            return Ok(Message::binary(
                binary::view_bytes(&buffer)?.unwrap_or_default(),
            ));
        }
    }
    let go_type = match data.type_of() {
        rquickjs::Type::Int => "int64",
        rquickjs::Type::Float => {
            let n = js::to_number(data)?;
            if n.fract() == 0.0 && n.is_finite() {
                "int64"
            } else {
                "float64"
            }
        }
        rquickjs::Type::Bool => "bool",
        rquickjs::Type::Undefined | rquickjs::Type::Null | rquickjs::Type::Uninitialized => "<nil>",
        rquickjs::Type::Array => "[]interface {}",
        rquickjs::Type::Function | rquickjs::Type::Constructor => {
            "func(sobek.FunctionCall) sobek.Value"
        }
        _ => "map[string]interface {}",
    };
    Err(js::throw_go_error(
        ctx,
        &format!("unsupported send type {go_type}"),
    ))
}

impl Socket {
    fn assert_open(&self, ctx: &Ctx<'_>) -> rquickjs::Result<()> {
        match self.ready.get() {
            ReadyState::Open => Ok(()),
            _ => Err(js::throw_go_error(ctx, "InvalidStateError")),
        }
    }

    fn claim_bytes(&self, vu: &VuState) {
        if let Some(marks) = &*self.marks.borrow() {
            vu.claim_bytes(marks);
        }
    }

    /// One event of the connection, on the VU's thread.
    fn handle<'js>(
        &self,
        ctx: &Ctx<'js>,
        vu: &VuState,
        dispatch: &Function<'js>,
        event: Event,
    ) -> rquickjs::Result<()> {
        self.claim_bytes(vu);
        match event {
            Event::Opened(handshake) => {
                let answer = &handshake.answer;
                self.params
                    .store_cookies(vu, &self.url, &answer.set_cookies);
                let protocol = answer
                    .header("Sec-Websocket-Protocol")
                    .unwrap_or("")
                    .to_owned();
                let extensions = answer
                    .headers
                    .iter()
                    .filter(|(name, _)| name == "Sec-Websocket-Extensions")
                    .map(|(_, value)| value.clone())
                    .collect();
                *self.extensions.borrow_mut() = extensions;
                self.session.borrow_mut().answered(answer, &protocol);
                *self.protocol.borrow_mut() = protocol;
                self.session.borrow().connected(vu, handshake.connecting);
                *self.marks.borrow_mut() = Some(handshake.marks);
                self.claim_bytes(vu);
                if self.ready.get() != ReadyState::Connecting {
                    return Ok(());
                }
                self.ready.set(ReadyState::Open);
                dispatch.call(("open",))
            }
            Event::Failed(failed, connecting) => {
                let mut session = self.session.borrow_mut();
                if let Some(answer) = &failed.answer {
                    session.answered(
                        answer,
                        answer.header("Sec-Websocket-Protocol").unwrap_or(""),
                    );
                }
                session.connected(vu, connecting);
                drop(session);
                if let Some(marks) = &failed.marks {
                    vu.claim_bytes(marks);
                }
                self.ready.set(ReadyState::Closed);
                dispatch.call(("closed", failed.error.as_str()))
            }
            Event::Text(text, at) => {
                if self.ready.get() != ReadyState::Open {
                    return Ok(());
                }
                self.session.borrow().received(vu, at);
                dispatch.call(("message", text, millis(at)))
            }
            Event::Binary(bytes, at) => {
                if self.ready.get() != ReadyState::Open {
                    return Ok(());
                }
                self.session.borrow().received(vu, at);
                let buffer = binary::array_buffer(ctx, bytes)?;
                dispatch.call(("message", buffer, millis(at)))
            }
            Event::Ping => dispatch.call(("ping",)),
            Event::Pong(payload, at) => {
                match self.pings.borrow_mut().remove(&payload) {
                    Some(sent) => self
                        .session
                        .borrow()
                        .ping(vu, at.saturating_duration_since(sent)),
                    None => {
                        let id = String::from_utf8_lossy(&payload);
                        let message = format!("received pong for unknown ping ID {id}");
                        vu.log.log(Level::Warning, &message, &[]);
                    }
                }
                dispatch.call(("pong",))
            }
            Event::Written(size) => {
                self.buffered.set(self.buffered.get() - size as i64);
                self.session.borrow().sent(vu);
                Ok(())
            }
            Event::Closed(end) => {
                if self.ready.replace(ReadyState::Closed) == ReadyState::Closed {
                    return Ok(());
                }
                self.session.borrow().ended(vu, SystemTime::now());
                let error = match end.error {
                    Some(error) => error.into_js(ctx)?,
                    None => Value::new_undefined(ctx.clone()),
                };
                dispatch.call(("closed", error))
            }
        }
    }
}

/// Milliseconds since the Unix epoch (an event's `timestamp`).
fn millis(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}
