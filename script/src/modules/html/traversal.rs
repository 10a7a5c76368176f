//! Selection methods that move through the tree: `find`, `children`,
//! `contents`, `parent(s)`, `closest`, `next*`, `prev*`, `siblings`.
//! Each returns a new selection whose `end()` is the one it started from.

use std::collections::HashSet;

use ego_tree::NodeId;
use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::document::Document;
use super::selection::{self, optional_filter, push_unique, Arg, Filter, SelThis, Selection};
use crate::js;

/// The nodes `step` reaches from each node of `from`, without repeats.
fn gather(from: &Selection, step: impl Fn(&Document, NodeId) -> Vec<NodeId>) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for &id in &from.nodes {
        push_unique(&mut out, &mut seen, step(&from.doc, id));
    }
    out
}

/// Where a `...Until` walk stops: a selector or the nodes of a selection.
enum Until {
    Never,
    Selector(Filter),
    Nodes(HashSet<NodeId>),
}

impl Until {
    fn read(value: Option<Value<'_>>) -> rquickjs::Result<Self> {
        let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
            return Ok(Until::Never);
        };
        Ok(match Arg::read(&value)? {
            Some(Arg::Selection(other)) => Until::Nodes(other.nodes.into_iter().collect()),
            _ => Until::Selector(Filter::new(&js::to_string(&value)?)),
        })
    }

    fn stops_at(&self, doc: &Document, id: NodeId) -> bool {
        match self {
            Until::Never => false,
            Until::Selector(filter) => filter.matches(doc, id),
            Until::Nodes(nodes) => nodes.contains(&id),
        }
    }
}

/// Follows `next` from `id` while it finds nodes, stopping before `until`.
fn walk(
    doc: &Document,
    id: NodeId,
    until: &Until,
    next: impl Fn(&Document, NodeId) -> Option<NodeId>,
) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut current = id;
    while let Some(found) = next(doc, current) {
        if until.stops_at(doc, found) {
            break;
        }
        out.push(found);
        current = found;
    }
    out
}

fn next_sibling(doc: &Document, id: NodeId) -> Option<NodeId> {
    doc.element_sibling(id, true)
}

fn prev_sibling(doc: &Document, id: NodeId) -> Option<NodeId> {
    doc.element_sibling(id, false)
}

fn parent(doc: &Document, id: NodeId) -> Option<NodeId> {
    doc.parent_element(id)
}

/// A method `(filter?)` walking with `next` until it ends (`all`) or
/// for one step.
fn stepper<'js>(
    ctx: &Ctx<'js>,
    proto: &Object<'js>,
    name: &str,
    next: fn(&Document, NodeId) -> Option<NodeId>,
    all: bool,
) -> rquickjs::Result<()> {
    let method = move |ctx: Ctx<'js>, this: SelThis<'js>, filter: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let filter = optional_filter(filter.0)?;
        let nodes = gather(&from, |doc, id| match all {
            true => walk(doc, id, &Until::Never, next),
            false => next(doc, id).into_iter().collect(),
        });
        let nodes = from.filtered(nodes, filter.as_ref());
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set(name, js::function(ctx, name, method)?)
}

/// A method `(until?, filter?)` walking with `next` until `until`.
fn until<'js>(
    ctx: &Ctx<'js>,
    proto: &Object<'js>,
    name: &str,
    next: fn(&Document, NodeId) -> Option<NodeId>,
) -> rquickjs::Result<()> {
    let method =
        move |ctx: Ctx<'js>, this: SelThis<'js>, stop: Opt<Value<'js>>, filter: Opt<Value<'js>>| {
            let from = selection::this(&this);
            let stop = Until::read(stop.0)?;
            let filter = optional_filter(filter.0)?;
            let nodes = gather(&from, |doc, id| walk(doc, id, &stop, next));
            let nodes = from.filtered(nodes, filter.as_ref());
            selection::into_js(&ctx, from.derive(nodes))
        };
    proto.set(name, js::function(ctx, name, method)?)
}

/// Adds the traversal methods to the selection prototype.
pub(super) fn install<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    stepper(ctx, proto, "next", next_sibling, false)?;
    stepper(ctx, proto, "nextAll", next_sibling, true)?;
    stepper(ctx, proto, "prev", prev_sibling, false)?;
    stepper(ctx, proto, "prevAll", prev_sibling, true)?;
    stepper(ctx, proto, "parent", parent, false)?;
    stepper(ctx, proto, "parents", parent, true)?;
    until(ctx, proto, "nextUntil", next_sibling)?;
    until(ctx, proto, "prevUntil", prev_sibling)?;
    until(ctx, proto, "parentsUntil", parent)?;

    let find = |ctx: Ctx<'js>, this: SelThis<'js>, arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let nodes = match Arg::selector_or_selection(&ctx, arg.0)? {
            Arg::Selection(other) => other
                .nodes
                .into_iter()
                .filter(|id| from.nodes.iter().any(|a| from.doc.contains(*a, *id)))
                .collect(),
            Arg::Selector(filter) => match filter.selector() {
                Some(selector) => gather(&from, |doc, id| doc.select(id, selector)),
                None => Vec::new(),
            },
            Arg::Function(_) => Vec::new(),
        };
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("find", js::function(ctx, "find", find)?)?;

    let children = |ctx: Ctx<'js>, this: SelThis<'js>, filter: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let filter = optional_filter(filter.0)?;
        let nodes = gather(&from, |doc, id| doc.element_children(id));
        let nodes = from.filtered(nodes, filter.as_ref());
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("children", js::function(ctx, "children", children)?)?;

    // k6 ignores the argument of `contents`.
    let contents = |ctx: Ctx<'js>, this: SelThis<'js>| {
        let from = selection::this(&this);
        let nodes = gather(&from, |doc, id| {
            doc.node(id)
                .map(|n| n.children().map(|c| c.id()).collect())
                .unwrap_or_default()
        });
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("contents", js::function(ctx, "contents", contents)?)?;

    let siblings = |ctx: Ctx<'js>, this: SelThis<'js>, filter: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let filter = optional_filter(filter.0)?;
        let nodes = gather(&from, |doc, id| {
            let Some(parent) = doc.node(id).and_then(|n| n.parent()) else {
                return Vec::new();
            };
            parent
                .children()
                .filter(|c| c.value().is_element() && c.id() != id)
                .map(|c| c.id())
                .collect()
        });
        let nodes = from.filtered(nodes, filter.as_ref());
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("siblings", js::function(ctx, "siblings", siblings)?)?;

    let closest = |ctx: Ctx<'js>, this: SelThis<'js>, arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let arg = Arg::selector_or_selection(&ctx, arg.0)?;
        let nodes = gather(&from, |doc, id| {
            let Some(node) = doc.node(id) else {
                return Vec::new();
            };
            let mut candidates = std::iter::once(node).chain(node.ancestors());
            let found = match &arg {
                Arg::Selector(filter) => candidates.find(|n| filter.matches(doc, n.id())),
                Arg::Selection(other) => candidates.find(|n| other.nodes.contains(&n.id())),
                Arg::Function(_) => None,
            };
            found.map(|n| n.id()).into_iter().collect()
        });
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("closest", js::function(ctx, "closest", closest)?)
}
