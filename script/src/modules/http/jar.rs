//! Cookie jars in JavaScript: `http.cookieJar()` (the VU's own jar) and
//! `new http.CookieJar()` (a jar of its own, used through the `jar`
//! request param), each with `set`, `cookiesForURL`, `delete` and `clear`.
//!
//! A jar object made by `new http.CookieJar()` carries, under a hidden symbol, its
//! index in the VU's registry of jars ([`State::jars`](super::State)),
//! which holds them weakly: the object's methods own the jar, so it lives
//! as long as the object and the registry never keeps one alive.

use std::rc::Rc;
use std::sync::{Arc, Weak};

use k6r_http::cookies::rfc1123_expires;
use k6r_http::target::jar_url;
use k6r_http::{CookieJar, CookieOptions, JarChoice};
use rquickjs::function::Opt;
use rquickjs::object::Property;
use rquickjs::{Ctx, Object, Symbol, Value};
use url::Url;

use crate::js;
use crate::state::VuState;

/// Where a jar object made by `new http.CookieJar()` keeps its index.
const JAR_KEY: &str = "k6r.cookieJar";

/// The jar a set of methods works on.
#[derive(Clone)]
enum Handle {
    /// The VU's own.
    Vu(Rc<k6r_http::Client>),
    /// One made by `new http.CookieJar()`.
    Own(Arc<CookieJar>),
}

impl Handle {
    fn jar(&self) -> &CookieJar {
        match self {
            Handle::Vu(client) => client.jar(),
            Handle::Own(jar) => jar,
        }
    }
}

/// `http.CookieJar`: one native constructor per VU (not a class with
/// its own module and natives, which every VU importing `k6/http` would
/// pay for); `new http.CookieJar()` returns a jar object, which, as in
/// k6, is not an `instanceof` it.
pub(crate) fn class<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Value<'js>> {
    let state = vu.clone();
    let make = move |ctx: Ctx<'js>| -> rquickjs::Result<Object<'js>> {
        let jar = Arc::new(CookieJar::new());
        let index = register(&state, &jar);
        let object = Object::new(ctx.clone())?;
        methods(&ctx, &object, Handle::Own(jar))?;
        let key = Symbol::new_global(ctx.clone(), JAR_KEY)?;
        object.prop(key, Property::from(index as f64))?;
        Ok(object)
    };
    let constructor = js::function(ctx, "CookieJar", make)?;
    constructor.set_constructor(true);
    // `jar instanceof http.CookieJar` needs a prototype object (false).
    constructor.set("prototype", Object::new(ctx.clone())?)?;
    Ok(constructor.into_value())
}

/// `http.cookieJar()`: an object over the VU's own jar.
pub(crate) fn vu_jar<'js>(ctx: &Ctx<'js>, vu: &VuState) -> rquickjs::Result<Value<'js>> {
    let jar = Object::new(ctx.clone())?;
    methods(ctx, &jar, Handle::Vu(vu.client()))?;
    Ok(jar.into_value())
}

/// The jar the `jar` param names: none for `null`/`false`, a jar of the
/// class for one of its objects, the VU's for anything else (as k6).
pub(crate) fn choice<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    value: &Value<'js>,
) -> rquickjs::Result<JarChoice> {
    if value.is_null() || value.as_bool() == Some(false) {
        return Ok(JarChoice::None);
    }
    let Some(object) = value.as_object() else {
        return Ok(JarChoice::Vu);
    };
    let key = Symbol::new_global(ctx.clone(), JAR_KEY)?;
    let index = object.get::<_, Value>(key)?.as_number();
    let jar = index.and_then(|index| {
        let jars = &vu.http.borrow().jars;
        jars.get(index as usize).and_then(Weak::upgrade)
    });
    Ok(jar.map(JarChoice::Custom).unwrap_or(JarChoice::Vu))
}

/// The jar of `value` if it is an object made by `new http.CookieJar()`
/// (the `jar` param of k6's WebSockets, which fall back to the VU's jar
/// for anything else).
pub(crate) fn custom<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    value: &Value<'js>,
) -> rquickjs::Result<Option<Arc<CookieJar>>> {
    match choice(ctx, vu, value)? {
        JarChoice::Custom(jar) => Ok(Some(jar)),
        JarChoice::Vu | JarChoice::None => Ok(None),
    }
}

/// Adds `jar` to the VU's registry, in the first free place.
fn register(vu: &VuState, jar: &Arc<CookieJar>) -> usize {
    let jars = &mut vu.http.borrow_mut().jars;
    let weak = Arc::downgrade(jar);
    match jars.iter().position(|slot| slot.strong_count() == 0) {
        Some(free) => {
            jars[free] = weak;
            free
        }
        None => {
            jars.push(weak);
            jars.len() - 1
        }
    }
}

/// Sets the four methods on `target`, in k6's (sorted) key order.
fn methods<'js>(ctx: &Ctx<'js>, target: &Object<'js>, handle: Handle) -> rquickjs::Result<()> {
    let jar = handle.clone();
    let clear = move |ctx: Ctx<'js>, url: Opt<Value<'js>>| -> rquickjs::Result<()> {
        if let Some(url) = parse(&ctx, url.0)? {
            jar.jar().clear_url(&url);
        }
        Ok(())
    };
    target.set("clear", js::function(ctx, "clear", clear)?)?;

    let jar = handle.clone();
    let cookies_for = move |ctx: Ctx<'js>, url: Opt<Value<'js>>| -> rquickjs::Result<Object<'js>> {
        let out = Object::new(ctx.clone())?;
        let Some(url) = parse(&ctx, url.0)? else {
            return Ok(out);
        };
        let mut by_name: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in jar.jar().cookies_for(&url) {
            match by_name.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => values.push(value),
                None => by_name.push((name, vec![value])),
            }
        }
        for (name, values) in by_name {
            out.set(name, values)?;
        }
        Ok(out)
    };
    target.set(
        "cookiesForURL",
        js::function(ctx, "cookiesForURL", cookies_for)?,
    )?;

    let jar = handle.clone();
    let delete = move |ctx: Ctx<'js>, url: Opt<Value<'js>>, name: Opt<Value<'js>>| {
        let name = name.0.filter(|name| !name.is_undefined());
        let (Some(url), Some(name)) = (url.0.filter(|url| !url.is_undefined()), name) else {
            return Err(js::throw_go_error(&ctx, "cookie: is null"));
        };
        if let Some(url) = parse(&ctx, Some(url))? {
            jar.jar().delete(&url, &js::to_string(&name)?);
        }
        Ok(())
    };
    target.set("delete", js::function(ctx, "delete", delete)?)?;

    let jar = handle;
    let set = move |ctx: Ctx<'js>,
                    url: Opt<Value<'js>>,
                    name: Opt<Value<'js>>,
                    value: Opt<Value<'js>>,
                    options: Opt<Value<'js>>|
          -> rquickjs::Result<bool> {
        let url = parse(&ctx, url.0)?;
        let name = text(name.0)?;
        let value = text(value.0)?;
        let options = cookie_options(&ctx, options.0)?;
        if let Some(url) = url {
            jar.jar().set_with(&url, &name, &value, &options);
        }
        Ok(true)
    };
    target.set("set", js::function(ctx, "set", set)?)
}

/// `String(value)`, or `""` for a missing or undefined one.
fn text(value: Option<Value<'_>>) -> rquickjs::Result<String> {
    match value {
        Some(value) if !value.is_undefined() => js::to_string(&value),
        _ => Ok(String::new()),
    }
}

/// A method's URL argument: `None` for a relative URL (it matches no
/// cookie), Go's parse error thrown for one Go rejects.
fn parse<'js>(ctx: &Ctx<'js>, url: Option<Value<'js>>) -> rquickjs::Result<Option<Url>> {
    let text = match url {
        Some(url) => js::to_string(&url)?,
        None => "undefined".to_owned(),
    };
    jar_url(&text).map_err(|message| js::throw_go_error(ctx, &message))
}

/// The options of `jar.set`: `domain`, `path`, `expires` (an RFC 1123
/// date), `max_age`, `secure`, `http_only`.
fn cookie_options<'js>(
    ctx: &Ctx<'js>,
    options: Option<Value<'js>>,
) -> rquickjs::Result<CookieOptions> {
    let mut out = CookieOptions::default();
    let Some(options) = options.and_then(Value::into_object) else {
        return Ok(out);
    };
    let string = |name: &str| -> rquickjs::Result<Option<String>> {
        let value: Value = options.get(name)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        js::to_string(&value).map(Some)
    };
    out.domain = string("domain")?;
    out.path = string("path")?;
    if let Some(expires) = string("expires")? {
        let Some(rewritten) = rfc1123_expires(&expires) else {
            return Err(js::throw_go_error(
                ctx,
                &format!(
                    "unable to parse \"expires\" date string \"{expires}\": parsing time \"{expires}\" as \"Mon, 02 Jan 2006 15:04:05 MST\": cannot parse \"{expires}\" as \"Mon\""
                ),
            ));
        };
        out.expires = Some(rewritten);
    }
    let max_age: Value = options.get("max_age")?;
    if !max_age.is_undefined() && !max_age.is_null() {
        let seconds = js::to_number(&max_age)?;
        out.max_age = if seconds.is_finite() {
            seconds as i64
        } else {
            0
        };
    }
    let flag = |name: &str| -> rquickjs::Result<bool> {
        let value: Value = options.get(name)?;
        Ok(value.as_bool() == Some(true))
    };
    out.secure = flag("secure")?;
    out.http_only = flag("http_only")?;
    Ok(out)
}
