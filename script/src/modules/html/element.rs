//! The `Element` of `selection.get(i)` and `each`: one node of the
//! document, with k6's DOM-like members (all methods, as in k6). Anchors
//! and areas get the URL members of [`anchor`](super::anchor), form
//! elements those of [`controls`](super::controls), on prototypes of
//! their own that inherit this one.

use std::rc::Rc;

use ego_tree::NodeId;
use rquickjs::class::{JsClass, Readable, Trace, Tracer};
use rquickjs::function::{Opt, This};
use rquickjs::{Array, Class, Constructor, Ctx, JsLifetime, Object, Value};
use scraper::Node;

use super::anchor;
use super::controls;
use super::document::{Document, XHTML};
use super::members;
use super::selection::Selection;
use super::tree;
use crate::js;

/// One node of a parsed document.
#[derive(Clone)]
pub(crate) struct Element {
    pub(crate) doc: Rc<Document>,
    pub(crate) id: NodeId,
    /// The selection `get()` took it from: what `selection().end()`
    /// returns, as in k6.
    pub(crate) from: Option<Rc<Selection>>,
}

pub(crate) type ElThis<'js> = This<Class<'js, Element>>;

/// Node `id` of `doc` as a JavaScript `Element`.
pub(crate) fn into_js<'js>(
    ctx: &Ctx<'js>,
    doc: &Rc<Document>,
    id: NodeId,
) -> rquickjs::Result<Value<'js>> {
    wrap(
        ctx,
        Element {
            doc: doc.clone(),
            id,
            from: None,
        },
    )
}

/// Node `id` of `from` as an `Element` that remembers `from`.
pub(crate) fn from_selection<'js>(
    ctx: &Ctx<'js>,
    from: &Rc<Selection>,
    id: NodeId,
) -> rquickjs::Result<Value<'js>> {
    let doc = from.doc.clone();
    wrap(
        ctx,
        Element {
            doc,
            id,
            from: Some(from.clone()),
        },
    )
}

fn wrap<'js>(ctx: &Ctx<'js>, element: Element) -> rquickjs::Result<Value<'js>> {
    let (doc, id) = (element.doc.clone(), element.id);
    let is_link = doc
        .element(id)
        .is_some_and(|e| matches!(e.value().name(), "a" | "area"));
    let tag = doc.element(id).map(|e| e.value().name().to_owned());
    let proto = if is_link {
        Some(anchor::prototype(ctx)?)
    } else {
        match &tag {
            Some(tag) => controls::prototype(ctx, tag)?,
            None => None,
        }
    };
    let proto = match proto {
        Some(proto) => proto,
        None => match Class::<Element>::prototype(ctx)? {
            Some(proto) => proto,
            None => Object::new(ctx.clone())?,
        },
    };
    let object = Class::instance_proto(element, proto.clone())?;
    members::copy(&object, &proto)?;
    Ok(object.into_value())
}

/// Node `id` as an `Element`, or undefined when there is none.
pub(super) fn maybe<'js>(
    ctx: &Ctx<'js>,
    doc: &Rc<Document>,
    id: Option<NodeId>,
) -> rquickjs::Result<Value<'js>> {
    match id {
        Some(id) => into_js(ctx, doc, id),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}

/// Nodes as an array of `Element`s.
pub(super) fn list<'js>(
    ctx: &Ctx<'js>,
    doc: &Rc<Document>,
    ids: impl IntoIterator<Item = NodeId>,
) -> rquickjs::Result<Array<'js>> {
    let out = Array::new(ctx.clone())?;
    for (i, id) in ids.into_iter().enumerate() {
        out.set(i, into_js(ctx, doc, id)?)?;
    }
    Ok(out)
}

/// The `Element` a JavaScript value is, if it is one.
pub(super) fn read(value: &Value<'_>) -> Option<Element> {
    let class = Class::<Element>::from_object(value.as_object()?)?;
    let element = class.borrow().clone();
    Some(element)
}

/// `name="value"` pairs of an element (none for other nodes).
fn attributes(el: &Element) -> Vec<(String, String)> {
    el.doc
        .element(el.id)
        .map(|e| {
            e.value()
                .attrs()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// `{owner_element, name, value}`, k6's attribute object.
fn attribute_node<'js>(
    ctx: &Ctx<'js>,
    el: &Element,
    name: &str,
    value: &str,
) -> rquickjs::Result<Object<'js>> {
    let node = Object::new(ctx.clone())?;
    node.set("owner_element", into_js(ctx, &el.doc, el.id)?)?;
    node.set("name", name)?;
    node.set("value", value)?;
    Ok(node)
}

fn string<'js>(ctx: &Ctx<'js>, value: Option<&str>) -> rquickjs::Result<Value<'js>> {
    match value {
        Some(value) => Ok(rquickjs::String::from_str(ctx.clone(), value)?.into_value()),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}

/// The element descendants of `el` for which `keep` holds.
pub(super) fn descendants(
    el: &Element,
    keep: impl Fn(&scraper::node::Element) -> bool,
) -> Vec<NodeId> {
    el.doc
        .node(el.id)
        .map(|n| {
            n.descendants()
                .skip(1)
                .filter(|d| d.value().as_element().is_some_and(&keep))
                .map(|d| d.id())
                .collect()
        })
        .unwrap_or_default()
}

fn node_name(el: &Element) -> String {
    match el.doc.node(el.id).map(|n| n.value()) {
        Some(Node::Element(e)) => e.name().to_owned(),
        Some(Node::Text(_)) => "#text".to_owned(),
        Some(Node::Comment(_)) => "#comment".to_owned(),
        Some(Node::Document | Node::Fragment) => "#document".to_owned(),
        Some(Node::Doctype(d)) => d.name().to_owned(),
        _ => String::new(),
    }
}

pub(super) fn node_type(el: &Element) -> u32 {
    match el.doc.node(el.id).map(|n| n.value()) {
        Some(Node::Element(_)) => 1,
        Some(Node::Text(_)) => 3,
        Some(Node::Comment(_)) => 8,
        Some(Node::Document | Node::Fragment) => 9,
        Some(Node::Doctype(_)) => 10,
        _ => 7,
    }
}

/// The `Element` `this` names.
pub(crate) fn this(this: &ElThis<'_>) -> Element {
    this.0.borrow().clone()
}

macro_rules! member {
    ($ctx:expr, $proto:expr, $name:literal, |$ctx_arg:ident, $el:ident $(, $arg:ident)*| $body:expr) => {{
        let method = |$ctx_arg: Ctx<'js>, this_: ElThis<'js> $(, $arg: Opt<Value<'js>>)*| -> rquickjs::Result<Value<'js>> {
            let $el = this(&this_);
            $( let $arg = $arg.0.unwrap_or_else(|| Value::new_undefined($ctx_arg.clone())); )*
            $body
        };
        $proto.set($name, js::function($ctx, $name, method)?)?;
    }};
}

pub(super) use member;

/// Adds the node members to the element prototype (those that move
/// through the tree come from [`tree`]).
fn install<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    use rquickjs::IntoJs;
    member!(ctx, proto, "nodeName", |c, el| node_name(&el).into_js(&c));
    member!(ctx, proto, "nodeType", |c, el| node_type(&el).into_js(&c));
    member!(
        ctx,
        proto,
        "nodeValue",
        |c, el| match el.doc.node(el.id).map(|n| n.value()) {
            Some(Node::Text(text)) => string(&c, Some(text)),
            Some(Node::Comment(_)) => string(&c, Some("")),
            _ => string(&c, None),
        }
    );
    member!(ctx, proto, "textContent", |c, el| el
        .doc
        .text(el.id)
        .into_js(&c));
    member!(ctx, proto, "innerHTML", |c, el| el
        .doc
        .inner_html(el.id)
        .into_js(&c));
    member!(ctx, proto, "toString", |c, _el| "[object html.Node]"
        .into_js(&c));
    member!(ctx, proto, "id", |c, el| el
        .doc
        .attr(el.id, "id")
        .unwrap_or("")
        .into_js(&c));
    member!(ctx, proto, "className", |c, el| string(
        &c,
        el.doc.attr(el.id, "class")
    ));
    member!(ctx, proto, "lang", |c, el| string(
        &c,
        el.doc.attr(el.id, "lang")
    ));
    member!(ctx, proto, "classList", |c, el| {
        let classes = el.doc.attr(el.id, "class").unwrap_or("");
        classes
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .into_js(&c)
    });
    member!(ctx, proto, "namespaceURI", |c, el| {
        let namespace = el.doc.element(el.id).map(|e| e.value().name.ns.to_string());
        namespace.unwrap_or_else(|| XHTML.to_owned()).into_js(&c)
    });
    member!(ctx, proto, "isDefaultNamespace", |c, el| {
        let namespace = el.doc.element(el.id).map(|e| e.value().name.ns.to_string());
        (namespace.as_deref().unwrap_or(XHTML) == XHTML).into_js(&c)
    });
    member!(ctx, proto, "attributes", |c, el| {
        let out = Object::new(c.clone())?;
        for (name, value) in attributes(&el) {
            out.set(name.as_str(), attribute_node(&c, &el, &name, &value)?)?;
        }
        Ok(out.into_value())
    });
    member!(ctx, proto, "hasAttributes", |c, el| (!attributes(&el)
        .is_empty())
    .into_js(&c));
    member!(ctx, proto, "getAttribute", |c, el, name| {
        string(&c, el.doc.attr(el.id, &js::to_string(&name)?))
    });
    member!(ctx, proto, "hasAttribute", |c, el, name| {
        el.doc
            .attr(el.id, &js::to_string(&name)?)
            .is_some()
            .into_js(&c)
    });
    member!(ctx, proto, "getAttributeNode", |c, el, name| {
        let name = js::to_string(&name)?;
        match el.doc.attr(el.id, &name) {
            Some(value) => Ok(attribute_node(&c, &el, &name, value)?.into_value()),
            None => string(&c, None),
        }
    });
    tree::install(ctx, proto)
}

// SAFETY: `Element` holds no JavaScript value, so it lives the same
// whatever the context lifetime is.
#[allow(unsafe_code)]
unsafe impl<'js> JsLifetime<'js> for Element {
    type Changed<'to> = Element;
}

impl<'js> Trace<'js> for Element {
    fn trace<'a>(&self, _tracer: Tracer<'a, 'js>) {}
}

impl<'js> JsClass<'js> for Element {
    const NAME: &'static str = "Element";
    type Mutable = Readable;

    fn prototype(ctx: &Ctx<'js>) -> rquickjs::Result<Option<Object<'js>>> {
        let methods = Object::new(ctx.clone())?;
        install(ctx, &methods)?;
        members::sorted(ctx, &[&methods]).map(Some)
    }

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }
}
