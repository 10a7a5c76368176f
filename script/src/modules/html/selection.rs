//! The `Selection` class: an `Rc` of the document plus a list of node
//! ids, the selection it came from (for `end()`), and its methods on one
//! prototype made once per context, the first time a selection is made.

use std::collections::HashSet;
use std::rc::Rc;

use ego_tree::NodeId;
use rquickjs::class::{JsClass, Readable, Trace, Tracer};
use rquickjs::function::This;
use rquickjs::{Class, Constructor, Ctx, Function, JsLifetime, Object, Value};
use scraper::Selector;

use super::document::{selector, Document};
use super::{filtering, members, serialize, traversal, values};
use crate::js;

/// Nodes of one document, in the order goquery keeps them.
#[derive(Clone)]
pub(crate) struct Selection {
    pub(crate) doc: Rc<Document>,
    pub(crate) nodes: Vec<NodeId>,
    /// What `end()` returns.
    prev: Option<Rc<Selection>>,
}

/// The `this` of a selection method.
pub(crate) type SelThis<'js> = This<Class<'js, Selection>>;

impl Selection {
    /// The document node of `doc`, as `parseHTML` returns it.
    pub(crate) fn document(doc: Rc<Document>) -> Self {
        let root = doc.root();
        Selection {
            doc,
            nodes: vec![root],
            prev: None,
        }
    }

    /// A selection of `nodes` whose `end()` is `self`.
    pub(crate) fn derive(&self, nodes: Vec<NodeId>) -> Selection {
        Selection {
            doc: self.doc.clone(),
            nodes,
            prev: Some(Rc::new(self.clone())),
        }
    }

    /// A selection of `nodes` with no `end()` (as `get`, `toArray`, the
    /// callbacks of `each` and `map` see them).
    pub(crate) fn single(&self, node: NodeId) -> Selection {
        Selection {
            doc: self.doc.clone(),
            nodes: vec![node],
            prev: None,
        }
    }

    /// `end()`: the selection this one came from, or an empty one.
    pub(crate) fn end(&self) -> Selection {
        match &self.prev {
            Some(prev) => (**prev).clone(),
            None => Selection {
                doc: self.doc.clone(),
                nodes: Vec::new(),
                prev: None,
            },
        }
    }

    /// Keeps the nodes matching `filter` (all when `None`).
    pub(crate) fn filtered(&self, nodes: Vec<NodeId>, filter: Option<&Filter>) -> Vec<NodeId> {
        match filter {
            None => nodes,
            Some(filter) => nodes
                .into_iter()
                .filter(|id| filter.matches(&self.doc, *id))
                .collect(),
        }
    }
}

/// An optional selector argument: an unparsable selector matches nothing.
pub(crate) struct Filter(Option<Selector>);

impl Filter {
    /// The selector `source`.
    pub(crate) fn new(source: &str) -> Self {
        Filter(selector(source))
    }

    /// Whether `id` is an element that matches.
    pub(crate) fn matches(&self, doc: &Document, id: NodeId) -> bool {
        self.0.as_ref().is_some_and(|s| doc.matches(id, s))
    }

    /// The selector, when it parsed.
    pub(crate) fn selector(&self) -> Option<&Selector> {
        self.0.as_ref()
    }
}

/// An optional string filter argument (`children('.x')`).
pub(crate) fn optional_filter(value: Option<Value<'_>>) -> rquickjs::Result<Option<Filter>> {
    match value {
        Some(value) if !value.is_undefined() && !value.is_null() => {
            Ok(Some(Filter::new(&js::to_string(&value)?)))
        }
        _ => Ok(None),
    }
}

/// What methods taking "a selector, a selection or a function" got.
pub(crate) enum Arg<'js> {
    /// A selector string.
    Selector(Filter),
    /// Another selection.
    Selection(Selection),
    /// A callback `(index, selection)`.
    Function(Function<'js>),
}

impl<'js> Arg<'js> {
    /// Reads `value`; `None` for anything else.
    pub(crate) fn read(value: &Value<'js>) -> rquickjs::Result<Option<Self>> {
        if let Some(text) = value.as_string() {
            return Ok(Some(Arg::Selector(Filter::new(&text.to_string()?))));
        }
        if let Some(function) = value.as_function() {
            return Ok(Some(Arg::Function(function.clone())));
        }
        if let Some(class) = value.as_object().and_then(Class::<Selection>::from_object) {
            return Ok(Some(Arg::Selection(class.borrow().clone())));
        }
        Ok(None)
    }

    /// Reads a selector or a selection, with k6's error for the rest.
    pub(crate) fn selector_or_selection(
        ctx: &Ctx<'js>,
        value: Option<Value<'js>>,
    ) -> rquickjs::Result<Self> {
        let value = value.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        match Arg::read(&value)? {
            Some(arg @ (Arg::Selector(_) | Arg::Selection(_))) => Ok(arg),
            _ => Err(invalid_selector(ctx, &value)),
        }
    }
}

/// k6's error for an argument that is not a selector.
pub(crate) fn invalid_selector(ctx: &Ctx<'_>, value: &Value<'_>) -> rquickjs::Error {
    js::throw_go_error(
        ctx,
        &format!(
            "invalid argument, cannot use a '{}' as a selector",
            crate::binary::go_type(value)
        ),
    )
}

/// Appends `ids` to `out`, skipping those already there.
pub(crate) fn push_unique(
    out: &mut Vec<NodeId>,
    seen: &mut HashSet<NodeId>,
    ids: impl IntoIterator<Item = NodeId>,
) {
    for id in ids {
        if seen.insert(id) {
            out.push(id);
        }
    }
}

/// A selection as a JavaScript object (with k6's own `url` property).
pub(crate) fn into_js<'js>(ctx: &Ctx<'js>, selection: Selection) -> rquickjs::Result<Value<'js>> {
    let url = selection.doc.url.clone();
    let object = Class::instance(ctx.clone(), selection)?;
    object.set("url", url)?;
    if let Some(proto) = Class::<Selection>::prototype(ctx)? {
        members::copy(&object, &proto)?;
    }
    Ok(object.into_value())
}

/// The selection `this` names.
pub(crate) fn this(this: &SelThis<'_>) -> Selection {
    this.0.borrow().clone()
}

// SAFETY: `Selection` holds no JavaScript value, so it lives the same
// whatever the context lifetime is.
#[allow(unsafe_code)]
unsafe impl<'js> JsLifetime<'js> for Selection {
    type Changed<'to> = Selection;
}

impl<'js> Trace<'js> for Selection {
    fn trace<'a>(&self, _tracer: Tracer<'a, 'js>) {}
}

impl<'js> JsClass<'js> for Selection {
    const NAME: &'static str = "Selection";
    type Mutable = Readable;

    fn prototype(ctx: &Ctx<'js>) -> rquickjs::Result<Option<Object<'js>>> {
        let methods = Object::new(ctx.clone())?;
        traversal::install(ctx, &methods)?;
        filtering::install(ctx, &methods)?;
        values::install(ctx, &methods)?;
        serialize::install(ctx, &methods)?;
        members::sorted(ctx, &[&methods]).map(Some)
    }

    fn constructor(_ctx: &Ctx<'js>) -> rquickjs::Result<Option<Constructor<'js>>> {
        Ok(None)
    }
}
