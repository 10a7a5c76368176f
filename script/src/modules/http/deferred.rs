//! k6's response object as a Rust object: every key's JavaScript value
//! is made when a script first reads it.
//!
//! Making k6's sixteen keys for every response (and its six nested
//! objects) was most of a request's cost, though most scripts read
//! `status` and little else. A response is a [`Held`]: an exotic object
//! that keeps the Rust response and answers for its keys, in k6's order,
//! as own, enumerable, writable data properties. A key's value is made
//! on its first read and kept, so `res.headers === res.headers` and a
//! script's changes to it stay; writing or deleting a key works as on a
//! plain object, and so do keys the script adds.

use k6r_http::{Ocsp, RequestInfo, Response, ResponseBody, ResponseCookie, Timings};
use rquickjs::class::{
    ClassKind, JsCell, JsClass, PropertyDescriptor, PropertyName, Trace, Tracer, Writable,
};
use rquickjs::{Array, Atom, Class, Constructor, Ctx, Function, Object, Value};

/// k6's keys of a response, in k6's order.
pub(super) const KEYS: [&str; 16] = [
    "remote_ip",
    "remote_port",
    "url",
    "status",
    "status_text",
    "proto",
    "headers",
    "cookies",
    "body",
    "timings",
    "tls_version",
    "tls_cipher_suite",
    "ocsp",
    "error",
    "error_code",
    "request",
];

/// What a response object needs of its VU's context: the prototype (the
/// response methods), [`KEYS`] as atoms and `http.request`, which
/// `res.clickLink()` and `res.submitForm()` send through. One per
/// context; each response holds it.
pub(crate) struct Kit<'js> {
    pub(super) prototype: Object<'js>,
    pub(super) keys: Vec<Atom<'js>>,
    pub(super) request: Function<'js>,
}

/// A response object's Rust half.
pub(crate) struct Held<'js> {
    kit: Class<'js, Kit<'js>>,
    /// What is left of the response: a key's source is taken when its
    /// value is made.
    response: Box<Response>,
    /// Whether the response came over TLS (`ocsp` shows zeros without).
    tls: bool,
    /// Each key's value, once made or written.
    values: [Option<Value<'js>>; 16],
    /// The keys deleted, a bit each.
    deleted: u16,
    /// Keys the script added, on an object without a prototype.
    added: Option<Object<'js>>,
}

impl<'js> Held<'js> {
    pub(super) fn new(kit: Class<'js, Kit<'js>>, response: Box<Response>) -> Self {
        Held {
            kit,
            tls: !response.tls_version.is_empty(),
            response,
            values: Default::default(),
            deleted: 0,
            added: None,
        }
    }

    /// The index in [`KEYS`] of `atom`, if it is one of them.
    fn index(&self, atom: &Atom<'js>) -> Option<usize> {
        self.kit.borrow().keys.iter().position(|key| key == atom)
    }

    /// The index in [`KEYS`] of `atom`, if it is a key not deleted.
    fn key(&self, atom: &Atom<'js>) -> Option<usize> {
        self.index(atom)
            .filter(|index| self.deleted & (1 << index) == 0)
    }
}

/// The own property `atom` of `held`: a key not deleted, or a key the
/// script added.
fn own<'js>(
    ctx: &Ctx<'js>,
    held: &JsCell<'js, Held<'js>>,
    atom: Atom<'js>,
) -> rquickjs::Result<Option<Value<'js>>> {
    let key = held.borrow().key(&atom);
    if let Some(index) = key {
        return value(ctx, held, index).map(Some);
    }
    match added(held) {
        Some(added) if added.contains_key(atom.clone())? => added.get(atom).map(Some),
        _ => Ok(None),
    }
}

/// The responses' prototype, where what is not own is looked up.
fn prototype<'js>(held: &JsCell<'js, Held<'js>>) -> Object<'js> {
    held.borrow().kit.borrow().prototype.clone()
}

/// The value of key `index` of `held`, made on first read.
fn value<'js>(
    ctx: &Ctx<'js>,
    held: &JsCell<'js, Held<'js>>,
    index: usize,
) -> rquickjs::Result<Value<'js>> {
    if let Some(value) = held.borrow().values[index].clone() {
        return Ok(value);
    }
    // The source is taken out first: making the value allocates, an
    // allocation may run the GC, and the GC reads `held`, which must not
    // be borrowed mutably then.
    let source = {
        let mut held = held.borrow_mut();
        let tls = held.tls;
        take(&mut held.response, tls, index)
    };
    let value = source.into_value(ctx)?;
    held.borrow_mut().values[index] = Some(value.clone());
    Ok(value)
}

/// The Rust source of one key's value.
enum Source {
    Text(String),
    Number(f64),
    Headers(k6r_http::Headers),
    Cookies(std::collections::BTreeMap<String, Vec<ResponseCookie>>),
    Body(ResponseBody),
    Timings(Timings),
    Ocsp(Option<Ocsp>),
    Request(RequestInfo),
}

/// Key `index`'s source, taken out of `response`.
fn take(response: &mut Response, tls: bool, index: usize) -> Source {
    use std::mem::take;
    match KEYS[index] {
        "remote_ip" => Source::Text(take(&mut response.remote_ip)),
        "remote_port" => Source::Number(response.remote_port.into()),
        "url" => Source::Text(take(&mut response.url)),
        "status" => Source::Number(response.status.into()),
        "status_text" => Source::Text(take(&mut response.status_text)),
        "proto" => Source::Text(take(&mut response.proto)),
        "headers" => Source::Headers(take(&mut response.headers)),
        "cookies" => Source::Cookies(take(&mut response.cookies)),
        "body" => Source::Body(take(&mut response.body)),
        "timings" => Source::Timings(response.timings),
        "tls_version" => Source::Text(take(&mut response.tls_version)),
        "tls_cipher_suite" => Source::Text(take(&mut response.tls_cipher_suite)),
        "ocsp" => Source::Ocsp(tls.then(|| take(&mut response.ocsp))),
        "error" => Source::Text(take(&mut response.error)),
        "error_code" => Source::Number(response.error_code.into()),
        _ => Source::Request(take(&mut response.request)),
    }
}

impl Source {
    fn into_value<'js>(self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        match self {
            Source::Text(text) => Ok(rquickjs::String::from_str(ctx.clone(), &text)?.into_value()),
            Source::Number(n) => Ok(Value::new_number(ctx.clone(), n)),
            Source::Headers(headers) => {
                let object = Object::new(ctx.clone())?;
                for (name, value) in headers.canonical() {
                    object.set(name, value)?;
                }
                Ok(object.into_value())
            }
            Source::Cookies(cookies) => response_cookies(ctx, cookies),
            Source::Body(ResponseBody::None) => Ok(Value::new_null(ctx.clone())),
            Source::Body(ResponseBody::Text(text)) => {
                Ok(rquickjs::String::from_str(ctx.clone(), &text)?.into_value())
            }
            Source::Body(ResponseBody::Binary(bytes)) => crate::binary::array_buffer(ctx, bytes),
            Source::Timings(t) => timings(ctx, &t),
            Source::Ocsp(o) => ocsp(ctx, o.as_ref()),
            Source::Request(r) => request(ctx, r),
        }
    }
}

fn response_cookies<'js>(
    ctx: &Ctx<'js>,
    cookies: std::collections::BTreeMap<String, Vec<ResponseCookie>>,
) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    for (name, list) in cookies {
        let array = Array::new(ctx.clone())?;
        for (index, cookie) in list.into_iter().enumerate() {
            let entry = Object::new(ctx.clone())?;
            entry.set("name", cookie.name)?;
            entry.set("value", cookie.value)?;
            entry.set("domain", cookie.domain)?;
            entry.set("path", cookie.path)?;
            entry.set("http_only", cookie.http_only)?;
            entry.set("secure", cookie.secure)?;
            entry.set("max_age", cookie.max_age as f64)?;
            entry.set("expires", cookie.expires as f64)?;
            array.set(index, entry)?;
        }
        object.set(name, array)?;
    }
    Ok(object.into_value())
}

fn timings<'js>(ctx: &Ctx<'js>, t: &Timings) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    for (name, value) in [
        ("duration", t.duration),
        ("blocked", t.blocked),
        ("looking_up", t.looking_up),
        ("connecting", t.connecting),
        ("tls_handshaking", t.tls_handshaking),
        ("sending", t.sending),
        ("waiting", t.waiting),
        ("receiving", t.receiving),
    ] {
        object.set(name, value)?;
    }
    Ok(object.into_value())
}

/// `ocsp`: a TLS response's stapled facts, or k6's zeros and empty
/// strings without TLS.
fn ocsp<'js>(ctx: &Ctx<'js>, ocsp: Option<&Ocsp>) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    let (times, reason, status) = match ocsp {
        Some(o) => (
            [o.produced_at, o.this_update, o.next_update, o.revoked_at],
            o.revocation_reason,
            o.status,
        ),
        None => ([0; 4], "", ""),
    };
    for (name, time) in ["produced_at", "this_update", "next_update", "revoked_at"]
        .into_iter()
        .zip(times)
    {
        object.set(name, time as f64)?;
    }
    object.set("revocation_reason", reason)?;
    object.set("status", status)?;
    Ok(object.into_value())
}

fn request<'js>(ctx: &Ctx<'js>, request: RequestInfo) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("method", request.method)?;
    object.set("url", request.url)?;
    let headers = Object::new(ctx.clone())?;
    for (name, values) in request.headers {
        headers.set(name, values)?;
    }
    object.set("headers", headers)?;
    object.set("body", request.body)?;
    let cookies = Object::new(ctx.clone())?;
    for (name, list) in request.cookies {
        let array = Array::new(ctx.clone())?;
        for (index, cookie) in list.into_iter().enumerate() {
            let entry = Object::new(ctx.clone())?;
            entry.set("name", cookie.name)?;
            entry.set("value", cookie.value)?;
            entry.set("replace", cookie.replace)?;
            array.set(index, entry)?;
        }
        cookies.set(name, array)?;
    }
    object.set("cookies", cookies)?;
    Ok(object.into_value())
}

/// rquickjs 0.14 takes the value QuickJS lends an exotic setter as its
/// own, and frees it when dropped; QuickJS frees it too once the setter
/// returns. One reference is added here so that both frees are matched
/// (without it, a written value is freed while still in use).
fn balance_set_value(value: &Value<'_>) {
    #[allow(unsafe_code)]
    // SAFETY: `value` is a live value of its context; this takes one more
    // reference to it, which QuickJS's free after the setter releases.
    unsafe {
        rquickjs::qjs::JS_DupValue(value.ctx().as_raw().as_ptr(), value.as_raw());
    }
}

/// The keys the script added, if any (cloned out: using them may run
/// the GC, which reads `held`).
fn added<'js>(held: &JsCell<'js, Held<'js>>) -> Option<Object<'js>> {
    held.borrow().added.clone()
}

// SAFETY: a `Held` holds values of its context only, and moves with that
// context's lifetime.
#[allow(unsafe_code)]
unsafe impl<'js> rquickjs::JsLifetime<'js> for Held<'js> {
    type Changed<'to> = Held<'to>;
}

impl<'js> Trace<'js> for Held<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        self.kit.trace(tracer);
        for value in self.values.iter().flatten() {
            value.trace(tracer);
        }
        self.added.trace(tracer);
    }
}

impl<'js> JsClass<'js> for Held<'js> {
    const NAME: &'static str = "Response";
    const KIND: ClassKind = ClassKind::Exotic;
    type Mutable = Writable;

    fn prototype(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Object<'js>>> {
        // Every response is made with the response methods' prototype.
        Ok(None)
    }

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }

    fn exotic_get_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
        _receiver: Value<'js>,
    ) -> rquickjs::Result<Value<'js>> {
        match own(ctx, this, atom.clone())? {
            Some(value) => Ok(value),
            None => prototype(this).get(atom),
        }
    }

    fn exotic_set_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
        _receiver: Value<'js>,
        value: Value<'js>,
    ) -> rquickjs::Result<bool> {
        balance_set_value(&value);
        let index = this.borrow().index(&atom);
        if let Some(index) = index {
            let mut held = this.borrow_mut();
            held.values[index] = Some(value);
            held.deleted &= !(1 << index);
            return Ok(true);
        }
        let added = match added(this) {
            Some(added) => added,
            None => {
                let added = Object::new(ctx.clone())?;
                added.set_prototype(None)?;
                this.borrow_mut().added = Some(added.clone());
                added
            }
        };
        added.set(atom, value)?;
        Ok(true)
    }

    fn exotic_delete_property(
        this: &JsCell<'js, Self>,
        _ctx: &Ctx<'js>,
        atom: Atom<'js>,
    ) -> rquickjs::Result<bool> {
        let key = this.borrow().key(&atom);
        if let Some(index) = key {
            let mut held = this.borrow_mut();
            held.deleted |= 1 << index;
            held.values[index] = None;
        } else if let Some(added) = added(this) {
            added.remove(atom)?;
        }
        Ok(true)
    }

    fn exotic_has_property(
        this: &JsCell<'js, Self>,
        _ctx: &Ctx<'js>,
        atom: Atom<'js>,
    ) -> rquickjs::Result<bool> {
        if this.borrow().key(&atom).is_some() {
            return Ok(true);
        }
        if let Some(added) = added(this) {
            if added.contains_key(atom.clone())? {
                return Ok(true);
            }
        }
        prototype(this).contains_key(atom)
    }

    fn exotic_get_own_property(
        this: &JsCell<'js, Self>,
        ctx: &Ctx<'js>,
        atom: Atom<'js>,
    ) -> rquickjs::Result<Option<PropertyDescriptor<'js>>> {
        Ok(own(ctx, this, atom)?
            .map(|value| PropertyDescriptor::new_value(value, true, true, true)))
    }

    fn exotic_get_own_property_names(
        this: &JsCell<'js, Self>,
        _ctx: &Ctx<'js>,
    ) -> rquickjs::Result<Vec<PropertyName<'js>>> {
        let mut names: Vec<PropertyName> = {
            let held = this.borrow();
            let kit = held.kit.borrow();
            kit.keys
                .iter()
                .enumerate()
                .filter(|(index, _)| held.deleted & (1 << index) == 0)
                .map(|(_, atom)| PropertyName {
                    atom: atom.clone(),
                    is_enumerable: true,
                })
                .collect()
        };
        if let Some(added) = added(this) {
            for atom in added.keys::<Atom>() {
                names.push(PropertyName {
                    atom: atom?,
                    is_enumerable: true,
                });
            }
        }
        Ok(names)
    }
}

// SAFETY: a `Kit` holds values of its context only, and moves with that
// context's lifetime.
#[allow(unsafe_code)]
unsafe impl<'js> rquickjs::JsLifetime<'js> for Kit<'js> {
    type Changed<'to> = Kit<'to>;
}

impl<'js> Trace<'js> for Kit<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        self.prototype.trace(tracer);
        self.request.trace(tracer);
        // An atom holds its context: untraced, the context would never be
        // freed.
        for key in &self.keys {
            key.trace(tracer);
        }
    }
}

impl<'js> JsClass<'js> for Kit<'js> {
    const NAME: &'static str = "ResponseKit";
    type Mutable = rquickjs::class::Readable;

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }
}
