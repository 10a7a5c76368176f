//! The parsed document every selection of one `parseHTML` call shares,
//! and what k6 reads from its nodes (text, inner HTML, kinds).

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node, Selector};

use super::render;

/// One parsed page. Read-only once parsed: selections and elements keep
/// an `Rc` of it and name nodes by [`NodeId`].
pub(crate) struct Document {
    html: Html,
    /// The URL of the response the page came from (`""` for `parseHTML`).
    pub(crate) url: String,
}

/// The XHTML namespace every parsed HTML element is in.
pub(crate) const XHTML: &str = "http://www.w3.org/1999/xhtml";

impl Document {
    /// Parses `source` as a whole document (html5ever fills in the
    /// missing `html`, `head` and `body`, as Go's parser does).
    pub(crate) fn parse(source: &str, url: String) -> Self {
        Document {
            html: Html::parse_document(source),
            url,
        }
    }

    /// The document node.
    pub(crate) fn root(&self) -> NodeId {
        self.html.tree.root().id()
    }

    /// The node `id` (ids always come from this document).
    pub(crate) fn node(&self, id: NodeId) -> Option<NodeRef<'_, Node>> {
        self.html.tree.get(id)
    }

    /// `id` as an element, if it is one.
    pub(crate) fn element(&self, id: NodeId) -> Option<ElementRef<'_>> {
        self.node(id).and_then(ElementRef::wrap)
    }

    /// Whether `id` is an element matching `selector`.
    pub(crate) fn matches(&self, id: NodeId, selector: &Selector) -> bool {
        self.element(id).is_some_and(|e| selector.matches(&e))
    }

    /// The attribute `name` of element `id`.
    pub(crate) fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        self.element(id).and_then(|e| e.value().attr(name))
    }

    /// The text of `id` and its descendants (script contents included,
    /// comments not), as goquery's `Text`.
    pub(crate) fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        if let Some(node) = self.node(id) {
            for descendant in node.descendants() {
                if let Node::Text(text) = descendant.value() {
                    out.push_str(text);
                }
            }
        }
        out
    }

    /// The HTML of the children of `id`, as Go renders it.
    pub(crate) fn inner_html(&self, id: NodeId) -> String {
        let mut out = String::new();
        if let Some(node) = self.node(id) {
            render::children(&mut out, node);
        }
        out
    }

    /// The element children of `id`.
    pub(crate) fn element_children(&self, id: NodeId) -> Vec<NodeId> {
        self.node(id)
            .map(|n| {
                n.children()
                    .filter(|c| c.value().is_element())
                    .map(|c| c.id())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The element parent of `id` (not the document node).
    pub(crate) fn parent_element(&self, id: NodeId) -> Option<NodeId> {
        self.node(id)?
            .parent()
            .filter(|p| p.value().is_element())
            .map(|p| p.id())
    }

    /// The element descendants of `id` matching `selector`, in document
    /// order.
    pub(crate) fn select(&self, id: NodeId, selector: &Selector) -> Vec<NodeId> {
        let Some(node) = self.node(id) else {
            return Vec::new();
        };
        node.descendants()
            .skip(1)
            .filter_map(ElementRef::wrap)
            .filter(|e| selector.matches(e))
            .map(|e| e.id())
            .collect()
    }

    /// Whether `ancestor` is a proper ancestor of `id`.
    pub(crate) fn contains(&self, ancestor: NodeId, id: NodeId) -> bool {
        self.node(id)
            .is_some_and(|n| n.ancestors().any(|a| a.id() == ancestor))
    }

    /// The next (`forward`) or previous element sibling of `id`.
    pub(crate) fn element_sibling(&self, id: NodeId, forward: bool) -> Option<NodeId> {
        let mut node = self.node(id)?;
        loop {
            node = if forward {
                node.next_sibling()?
            } else {
                node.prev_sibling()?
            };
            if node.value().is_element() {
                return Some(node.id());
            }
        }
    }
}

/// `source` as a selector; `None` when it doesn't parse (goquery then
/// matches nothing, and so does k6).
pub(crate) fn selector(source: &str) -> Option<Selector> {
    Selector::parse(source).ok()
}
