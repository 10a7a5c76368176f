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
    install_children(ctx, proto)?;
    install_relatives(ctx, proto)?;
    install_search(ctx, proto)?;
    install_comparison(ctx, proto)
}

/// A member answering the node `find` reaches from the element, or
/// undefined when there is none.
fn node_member<'js>(
    ctx: &Ctx<'js>,
    proto: &Object<'js>,
    name: &str,
    find: fn(&Element) -> Option<NodeId>,
) -> rquickjs::Result<()> {
    let method = move |ctx: Ctx<'js>, this_: ElThis<'js>| {
        let el = this(&this_);
        maybe(&ctx, &el.doc, find(&el))
    };
    proto.set(name, js::function(ctx, name, method)?)
}

/// The members that read the element's children.
fn install_children<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
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
    node_member(ctx, proto, "firstChild", |el| {
        el.doc.node(el.id)?.first_child().map(|n| n.id())
    })?;
    node_member(ctx, proto, "lastChild", |el| {
        el.doc.node(el.id)?.last_child().map(|n| n.id())
    })?;
    node_member(ctx, proto, "firstElementChild", |el| {
        el.doc.element_children(el.id).first().copied()
    })?;
    node_member(ctx, proto, "lastElementChild", |el| {
        el.doc.element_children(el.id).last().copied()
    })
}

/// The members that reach the element's siblings, parents, document
/// and selection.
fn install_relatives<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    node_member(ctx, proto, "nextSibling", |el| {
        el.doc.node(el.id)?.next_sibling().map(|n| n.id())
    })?;
    node_member(ctx, proto, "previousSibling", |el| {
        el.doc.node(el.id)?.prev_sibling().map(|n| n.id())
    })?;
    node_member(ctx, proto, "nextElementSibling", |el| {
        el.doc.element_sibling(el.id, true)
    })?;
    node_member(ctx, proto, "previousElementSibling", |el| {
        el.doc.element_sibling(el.id, false)
    })?;
    node_member(ctx, proto, "parentNode", |el| {
        el.doc.node(el.id)?.parent().map(|n| n.id())
    })?;
    node_member(ctx, proto, "parentElement", |el| {
        el.doc.parent_element(el.id)
    })?;
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
    Ok(())
}

/// The members that search the element's descendants by selector,
/// class or tag, or test the element against a selector.
fn install_search<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
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
    Ok(())
}

/// The members that compare the element with another node.
fn install_comparison<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
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
