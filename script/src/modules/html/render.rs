//! Nodes back to HTML as Go's `html.Render` writes them (what goquery's
//! `Html()` and k6 print): void elements closed with `/>`, and `&'<>"`
//! and carriage returns escaped in text and attribute values alike.

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use scraper::Node;

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

/// Elements whose text children are written as they are.
const RAW_TEXT: &[&str] = &[
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "script",
    "style",
    "xmp",
];

/// Appends `text` escaped as Go's `html.EscapeString`.
pub(crate) fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Appends the HTML of `node` and its descendants. Iterative, so a
/// deeply nested page cannot exhaust the VU's stack.
pub(crate) fn node(out: &mut String, node: NodeRef<'_, Node>) {
    for edge in node.traverse() {
        match edge {
            Edge::Open(open) => self::open(out, open),
            Edge::Close(close) => self::close(out, close),
        }
    }
}

/// Appends the HTML of the children of `parent`.
pub(crate) fn children(out: &mut String, parent: NodeRef<'_, Node>) {
    for child in parent.children() {
        node(out, child);
    }
}

/// Whether `node`'s parent writes its text as it is.
fn in_raw_text(node: NodeRef<'_, Node>) -> bool {
    node.parent()
        .and_then(|p| p.value().as_element().map(|e| RAW_TEXT.contains(&e.name())))
        .unwrap_or(false)
}

fn open(out: &mut String, node: NodeRef<'_, Node>) {
    match node.value() {
        Node::Text(text) if in_raw_text(node) => out.push_str(text),
        Node::Text(text) => escape(out, text),
        Node::Comment(comment) => {
            out.push_str("<!--");
            out.push_str(comment);
            out.push_str("-->");
        }
        Node::Doctype(doctype) => {
            out.push_str("<!DOCTYPE ");
            out.push_str(doctype.name());
            let (public, system) = (doctype.public_id(), doctype.system_id());
            if !public.is_empty() {
                out.push_str(" PUBLIC \"");
                out.push_str(public);
                out.push('"');
                if !system.is_empty() {
                    out.push_str(" \"");
                    out.push_str(system);
                    out.push('"');
                }
            } else if !system.is_empty() {
                out.push_str(" SYSTEM \"");
                out.push_str(system);
                out.push('"');
            }
            out.push('>');
        }
        Node::Element(element) => {
            let name = element.name();
            out.push('<');
            out.push_str(name);
            for (attribute, value) in element.attrs() {
                out.push(' ');
                out.push_str(attribute);
                out.push_str("=\"");
                escape(out, value);
                out.push('"');
            }
            if VOID.contains(&name) {
                out.push_str("/>");
                return;
            }
            out.push('>');
            if matches!(name, "pre" | "listing" | "textarea") {
                let leading_newline = node
                    .first_child()
                    .and_then(|c| c.value().as_text().map(|t| t.starts_with('\n')))
                    .unwrap_or(false);
                if leading_newline {
                    out.push('\n');
                }
            }
        }
        Node::Document | Node::Fragment | Node::ProcessingInstruction(_) => {}
    }
}

fn close(out: &mut String, node: NodeRef<'_, Node>) {
    if let Some(element) = node.value().as_element() {
        if !VOID.contains(&element.name()) {
            out.push_str("</");
            out.push_str(element.name());
            out.push('>');
        }
    }
}
