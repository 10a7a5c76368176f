//! The `Element` members that move through the tree or search it:
//! children, siblings, parents, `querySelector`, `matches`, `contains`...

use std::rc::Rc;

use ego_tree::NodeId;
use rquickjs::function::Opt;
use rquickjs::{Ctx, IntoJs, Object, Value};

use super::document::selector;
use super::element::{
    descendants, into_js, list, maybe, member, node_type, read, this, ElThis, Element,
};
use super::render;
use super::selection::{self, Selection};
use crate::js;

/// Adds the tree members to the element prototype.
pub(super) fn install<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    member!(ctx, proto, "hasChildNodes", |c, el| {
        el.doc
            .node(el.id)
            .is_some_and(|n| n.has_children())
            .into_js(&c)
    });
    member!(ctx, proto, "childNodes", |c, el| {
        let ids: Vec<NodeId> = el
            .doc
            .node(el.id)
            .map(|n| n.children().map(|c| c.id()).collect())
            .unwrap_or_default();
        Ok(list(&c, &el.doc, ids)?.into_value())
    });
    member!(ctx, proto, "children", |c, el| Ok(list(
        &c,
        &el.doc,
        el.doc.element_children(el.id)
    )?
    .into_value()));
    member!(ctx, proto, "childElementCount", |c, el| {
        (el.doc.element_children(el.id).len() as u32).into_js(&c)
    });
    member!(ctx, proto, "firstChild", |c, el| maybe(
        &c,
        &el.doc,
        el.doc
            .node(el.id)
            .and_then(|n| n.first_child())
            .map(|n| n.id())
    ));
    member!(ctx, proto, "lastChild", |c, el| maybe(
        &c,
        &el.doc,
        el.doc
            .node(el.id)
            .and_then(|n| n.last_child())
            .map(|n| n.id())
    ));
    member!(ctx, proto, "firstElementChild", |c, el| maybe(
        &c,
        &el.doc,
        el.doc.element_children(el.id).first().copied()
    ));
    member!(ctx, proto, "lastElementChild", |c, el| maybe(
        &c,
        &el.doc,
        el.doc.element_children(el.id).last().copied()
    ));
    member!(ctx, proto, "nextSibling", |c, el| maybe(
        &c,
        &el.doc,
        el.doc
            .node(el.id)
            .and_then(|n| n.next_sibling())
            .map(|n| n.id())
    ));
    member!(ctx, proto, "previousSibling", |c, el| maybe(
        &c,
        &el.doc,
        el.doc
            .node(el.id)
            .and_then(|n| n.prev_sibling())
            .map(|n| n.id())
    ));
    member!(ctx, proto, "nextElementSibling", |c, el| maybe(
        &c,
        &el.doc,
        el.doc.element_sibling(el.id, true)
    ));
    member!(ctx, proto, "previousElementSibling", |c, el| maybe(
        &c,
        &el.doc,
        el.doc.element_sibling(el.id, false)
    ));
    member!(ctx, proto, "parentNode", |c, el| maybe(
        &c,
        &el.doc,
        el.doc.node(el.id).and_then(|n| n.parent()).map(|n| n.id())
    ));
    member!(ctx, proto, "parentElement", |c, el| maybe(
        &c,
        &el.doc,
        el.doc.parent_element(el.id)
    ));
    member!(ctx, proto, "ownerDocument", |c, el| into_js(
        &c,
        &el.doc,
        el.doc.root()
    ));
    member!(ctx, proto, "selection", |c, el| {
        let selection = match &el.from {
            Some(from) => from.derive(vec![el.id]),
            None => Selection::document(el.doc.clone()).single(el.id),
        };
        selection::into_js(&c, selection)
    });
    member!(ctx, proto, "querySelector", |c, el, source| {
        let found = selector(&js::to_string(&source)?)
            .and_then(|s| el.doc.select(el.id, &s).first().copied());
        maybe(&c, &el.doc, found)
    });
    member!(ctx, proto, "querySelectorAll", |c, el, source| {
        let found = selector(&js::to_string(&source)?)
            .map(|s| el.doc.select(el.id, &s))
            .unwrap_or_default();
        Ok(list(&c, &el.doc, found)?.into_value())
    });
    member!(ctx, proto, "matches", |c, el, source| {
        let matched = selector(&js::to_string(&source)?).is_some_and(|s| el.doc.matches(el.id, &s));
        matched.into_js(&c)
    });
    member!(ctx, proto, "getElementsByClassName", |c, el, names| {
        let names = js::to_string(&names)?;
        let wanted: Vec<&str> = names.split_ascii_whitespace().collect();
        let found = descendants(&el, |e| {
            !wanted.is_empty() && wanted.iter().all(|w| e.classes().any(|c| c == *w))
        });
        Ok(list(&c, &el.doc, found)?.into_value())
    });
    member!(ctx, proto, "getElementsByTagName", |c, el, name| {
        let name = js::to_string(&name)?.to_ascii_lowercase();
        let found = descendants(&el, |e| name == "*" || e.name() == name);
        Ok(list(&c, &el.doc, found)?.into_value())
    });
    member!(ctx, proto, "contains", |c, el, other| {
        let inside = read(&other).is_some_and(|o| {
            Rc::ptr_eq(&o.doc, &el.doc) && (o.id == el.id || el.doc.contains(el.id, o.id))
        });
        inside.into_js(&c)
    });
    member!(ctx, proto, "isSameNode", |c, el, other| {
        read(&other)
            .is_some_and(|o| Rc::ptr_eq(&o.doc, &el.doc) && o.id == el.id)
            .into_js(&c)
    });
    member!(ctx, proto, "isEqualNode", |c, el, other| {
        let html = |e: &Element| {
            let mut out = String::new();
            if let Some(node) = e.doc.node(e.id) {
                render::node(&mut out, node);
            }
            (node_type(e), out)
        };
        read(&other)
            .is_some_and(|o| html(&o) == html(&el))
            .into_js(&c)
    });
    Ok(())
}
