//! Selection methods that narrow or widen a selection without moving:
//! `filter`, `not`, `is`, `has`, `eq`, `first`, `last`, `slice`, `add`,
//! `end`.

use std::collections::HashSet;

use ego_tree::NodeId;
use rquickjs::function::Opt;
use rquickjs::{Coerced, Ctx, Function, Object, Value};

use super::selection::{self, invalid_selector, push_unique, Arg, SelThis, Selection};
use crate::js;

/// Whether `callback(index, selection-of-node)` returns something truthy.
fn call_predicate<'js>(
    ctx: &Ctx<'js>,
    callback: &Function<'js>,
    from: &Selection,
    index: usize,
    id: NodeId,
) -> rquickjs::Result<bool> {
    let single = selection::into_js(ctx, from.single(id))?;
    let result: Value = callback.call((index as u32, single))?;
    Ok(result.get::<Coerced<bool>>()?.0)
}

/// For each node of `from`, whether `arg` matches it.
fn matches<'js>(ctx: &Ctx<'js>, from: &Selection, arg: &Arg<'js>) -> rquickjs::Result<Vec<bool>> {
    let mut out = Vec::with_capacity(from.nodes.len());
    for (index, &id) in from.nodes.iter().enumerate() {
        out.push(match arg {
            Arg::Selector(filter) => filter.matches(&from.doc, id),
            Arg::Selection(other) => other.nodes.contains(&id),
            Arg::Function(callback) => call_predicate(ctx, callback, from, index, id)?,
        });
    }
    Ok(out)
}

/// Reads the argument of `filter`/`is`, with k6's error naming `method`.
fn predicate<'js>(
    ctx: &Ctx<'js>,
    method: &str,
    value: Option<Value<'js>>,
) -> rquickjs::Result<Arg<'js>> {
    let value = value.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    Arg::read(&value)?.ok_or_else(|| {
        js::throw_go_error(
            ctx,
            &format!("the argument to {method}() must be a function, a selector or a selection"),
        )
    })
}

/// Keeps the nodes of `from` whose flag equals `keep`.
fn keep(from: &Selection, flags: &[bool], keep: bool) -> Vec<NodeId> {
    from.nodes
        .iter()
        .zip(flags)
        .filter(|(_, flag)| **flag == keep)
        .map(|(id, _)| *id)
        .collect()
}

/// An index argument as k6 reads it (`Number(x)`, NaN as 0).
fn index(value: Option<Value<'_>>) -> rquickjs::Result<i64> {
    let number = match value {
        Some(value) => js::to_number(&value)?,
        None => 0.0,
    };
    Ok(if number.is_nan() { 0 } else { number as i64 })
}

/// `index` counted from the end when negative, if it is in `0..len`.
pub(crate) fn position(index: i64, len: usize) -> Option<usize> {
    let index = if index < 0 { index + len as i64 } else { index };
    usize::try_from(index).ok().filter(|i| *i < len)
}

/// Adds the filtering methods to the selection prototype.
pub(super) fn install<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    install_matching(ctx, proto)?;
    install_positions(ctx, proto)?;
    install_widening(ctx, proto)
}

/// A method `()` answering the selection of the nodes `pick` keeps.
fn picker<'js>(
    ctx: &Ctx<'js>,
    proto: &Object<'js>,
    name: &str,
    pick: fn(&Selection) -> Vec<NodeId>,
) -> rquickjs::Result<()> {
    let method = move |ctx: Ctx<'js>, this: SelThis<'js>| {
        let from = selection::this(&this);
        let nodes = pick(&from);
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set(name, js::function(ctx, name, method)?)
}

/// `has(arg)`: the nodes with a descendant matching `arg`.
fn having<'js>(
    ctx: &Ctx<'js>,
    from: &Selection,
    arg: Option<Value<'js>>,
) -> rquickjs::Result<Vec<NodeId>> {
    let doc = &from.doc;
    Ok(match Arg::selector_or_selection(ctx, arg)? {
        Arg::Selector(filter) => match filter.selector() {
            Some(selector) => from
                .nodes
                .iter()
                .copied()
                .filter(|id| !doc.select(*id, selector).is_empty())
                .collect(),
            None => Vec::new(),
        },
        Arg::Selection(other) => from
            .nodes
            .iter()
            .copied()
            .filter(|id| other.nodes.iter().any(|o| doc.contains(*id, *o)))
            .collect(),
        Arg::Function(_) => Vec::new(),
    })
}

/// `filter`, `not`, `is` and `has`: the nodes by what they match.
fn install_matching<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    let filter = |ctx: Ctx<'js>, this: SelThis<'js>, arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let arg = predicate(&ctx, "filter", arg.0)?;
        let flags = matches(&ctx, &from, &arg)?;
        selection::into_js(&ctx, from.derive(keep(&from, &flags, true)))
    };
    proto.set("filter", js::function(ctx, "filter", filter)?)?;

    let not = |ctx: Ctx<'js>, this: SelThis<'js>, arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let value = arg.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        let Some(arg) = Arg::read(&value)? else {
            return Err(invalid_selector(&ctx, &value));
        };
        let flags = matches(&ctx, &from, &arg)?;
        selection::into_js(&ctx, from.derive(keep(&from, &flags, false)))
    };
    proto.set("not", js::function(ctx, "not", not)?)?;

    let is = |ctx: Ctx<'js>, this: SelThis<'js>, arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let arg = predicate(&ctx, "is", arg.0)?;
        Ok::<_, rquickjs::Error>(matches(&ctx, &from, &arg)?.into_iter().any(|m| m))
    };
    proto.set("is", js::function(ctx, "is", is)?)?;

    let has = |ctx: Ctx<'js>, this: SelThis<'js>, arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let nodes = having(&ctx, &from, arg.0)?;
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("has", js::function(ctx, "has", has)?)
}

/// `eq`, `first`, `last` and `slice`: the nodes by position.
fn install_positions<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    let eq = |ctx: Ctx<'js>, this: SelThis<'js>, at: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let nodes = position(index(at.0)?, from.nodes.len())
            .map(|i| vec![from.nodes[i]])
            .unwrap_or_default();
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("eq", js::function(ctx, "eq", eq)?)?;

    picker(ctx, proto, "first", |from| {
        from.nodes.first().copied().into_iter().collect()
    })?;
    picker(ctx, proto, "last", |from| {
        from.nodes.last().copied().into_iter().collect()
    })?;

    let slice =
        |ctx: Ctx<'js>, this: SelThis<'js>, start: Opt<Value<'js>>, end: Opt<Value<'js>>| {
            let from = selection::this(&this);
            let len = from.nodes.len() as i64;
            let bound =
                |value: i64| (if value < 0 { value + len } else { value }).clamp(0, len) as usize;
            let start = bound(index(start.0)?);
            let end = match end.0.filter(|v| !v.is_undefined()) {
                Some(end) => bound(index(Some(end))?),
                None => len as usize,
            };
            let nodes = from
                .nodes
                .get(start..end)
                .map(<[_]>::to_vec)
                .unwrap_or_default();
            selection::into_js(&ctx, from.derive(nodes))
        };
    proto.set("slice", js::function(ctx, "slice", slice)?)
}

/// `add` and `end`: a wider selection, or the one this came from.
fn install_widening<'js>(ctx: &Ctx<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    let add = |ctx: Ctx<'js>, this: SelThis<'js>, arg: Opt<Value<'js>>| {
        let from = selection::this(&this);
        let added = match Arg::selector_or_selection(&ctx, arg.0)? {
            Arg::Selector(filter) => match filter.selector() {
                Some(selector) => from.doc.select(from.doc.root(), selector),
                None => Vec::new(),
            },
            Arg::Selection(other) => other.nodes,
            Arg::Function(_) => Vec::new(),
        };
        let mut nodes = from.nodes.clone();
        let mut seen: HashSet<NodeId> = nodes.iter().copied().collect();
        push_unique(&mut nodes, &mut seen, added);
        selection::into_js(&ctx, from.derive(nodes))
    };
    proto.set("add", js::function(ctx, "add", add)?)?;

    let end =
        |ctx: Ctx<'js>, this: SelThis<'js>| selection::into_js(&ctx, selection::this(&this).end());
    proto.set("end", js::function(ctx, "end", end)?)
}
