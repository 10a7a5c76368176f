//! The URL members of `<a>` and `<area>` elements (`href`, `host`,
//! `pathname`, ...), read from the `href` attribute as k6 does (a
//! relative href has only a path, a query and a fragment).

use rquickjs::function::This;
use rquickjs::object::Property;
use rquickjs::{Class, Ctx, IntoJs, Object, Symbol, Value};

use super::element::{self, Element};
use super::enumerated;
use super::members;
use crate::js;

const PROTO_KEY: &str = "k6r.html.anchor";

/// The parts of an href k6 exposes.
#[derive(Default)]
struct Parts {
    scheme: String,
    username: String,
    password: String,
    hostname: String,
    port: String,
    path: String,
    query: String,
    fragment: String,
}

fn parts(href: &str) -> Parts {
    if let Ok(url) = url::Url::parse(href) {
        return Parts {
            scheme: url.scheme().to_owned(),
            username: url.username().to_owned(),
            password: url.password().unwrap_or("").to_owned(),
            hostname: url.host_str().unwrap_or("").to_owned(),
            port: url.port().map(|p| p.to_string()).unwrap_or_default(),
            path: url.path().to_owned(),
            query: url.query().unwrap_or("").to_owned(),
            fragment: url.fragment().unwrap_or("").to_owned(),
        };
    }
    // Go's parser refuses a reference that starts with a colon.
    if href.starts_with(':') {
        return Parts::default();
    }
    let (rest, fragment) = href.split_once('#').unwrap_or((href, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Parts {
        path: path.to_owned(),
        query: query.to_owned(),
        fragment: fragment.to_owned(),
        ..Parts::default()
    }
}

fn host(parts: &Parts) -> String {
    match parts.port.as_str() {
        "" => parts.hostname.clone(),
        port => format!("{}:{port}", parts.hostname),
    }
}

fn prefixed(prefix: char, value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        format!("{prefix}{value}")
    }
}

/// What each URL member returns, from the element's `href`.
/// Reads one member from the parts of an href.
type Read = fn(&Parts) -> String;

const URL_MEMBERS: &[(&str, Read)] = &[
    ("hash", |p| prefixed('#', &p.fragment)),
    ("host", host),
    ("hostname", |p| p.hostname.clone()),
    ("origin", |p| match p.scheme.as_str() {
        "" => String::new(),
        scheme => format!("{scheme}://{}", host(p)),
    }),
    ("password", |p| p.password.clone()),
    ("pathname", |p| p.path.clone()),
    ("port", |p| p.port.clone()),
    ("protocol", |p| match p.scheme.as_str() {
        "" => ":".to_owned(),
        scheme => scheme.to_owned(),
    }),
    ("search", |p| prefixed('?', &p.query)),
    ("username", |p| p.username.clone()),
];

/// Members that are an attribute's value (`""` when absent).
const ATTRIBUTES: &[(&str, &str)] = &[
    ("accessKey", "accesskey"),
    ("download", "download"),
    ("href", "href"),
    ("hrefLang", "hreflang"),
    ("rel", "rel"),
    ("target", "target"),
    ("type", "type"),
];

fn attr(el: &Element, name: &str) -> String {
    el.doc.attr(el.id, name).unwrap_or("").to_owned()
}

/// The prototype of anchors: made once per context, kept on the element
/// prototype under a hidden key.
pub(crate) fn prototype<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let Some(base) = Class::<Element>::prototype(ctx)? else {
        return Object::new(ctx.clone());
    };
    let key = Symbol::new_global(ctx.clone(), PROTO_KEY)?;
    if let Some(proto) = base.get::<_, Value>(key.clone())?.into_object() {
        return Ok(proto);
    }
    let methods = Object::new(ctx.clone())?;
    for &(name, read) in URL_MEMBERS {
        let method =
            move |this: This<Class<'js, Element>>| read(&parts(&attr(&this.0.borrow(), "href")));
        methods.set(name, js::function(ctx, name, method)?)?;
    }
    for &(name, attribute) in ATTRIBUTES {
        let method = move |this: This<Class<'js, Element>>| attr(&this.0.borrow(), attribute);
        methods.set(name, js::function(ctx, name, method)?)?;
    }
    let rel_list = |ctx: Ctx<'js>, this: This<Class<'js, Element>>| {
        let rel = attr(&this.0.borrow(), "rel");
        rel.split_ascii_whitespace()
            .collect::<Vec<_>>()
            .into_js(&ctx)
    };
    methods.set("relList", js::function(ctx, "relList", rel_list)?)?;
    let policy = |ctx: Ctx<'js>, this: This<Class<'js, Element>>| {
        enumerated::referrer_policy(&ctx, &element::this(&this))
    };
    methods.set(
        "referrerPolicy",
        js::function(ctx, "referrerPolicy", policy)?,
    )?;
    let text = |this: This<Class<'js, Element>>| {
        let el = element::this(&this);
        el.doc.text(el.id)
    };
    methods.set("text", js::function(ctx, "text", text)?)?;
    let proto = members::sorted(ctx, &[&base, &methods])?;
    proto.set_prototype(Some(&base))?;
    base.prop(key, Property::from(proto.clone()))?;
    Ok(proto)
}
