//! The members k6 adds to the other element types it knows (head
//! elements, lists, tables, media, embedded content, edits), read from
//! attributes the way k6 reads them. Built by [`controls`](super::controls).

use ego_tree::NodeId;
use rquickjs::{Ctx, IntoJs, Value};

use super::controls::{closest, elements, form, labels, list, Kind};
use super::document::{selector, Document};
use super::element::{self, Element};
use super::enumerated;

/// Element children of `id` named one of `tags`.
fn children(doc: &Document, id: NodeId, tags: &[&str]) -> Vec<NodeId> {
    doc.element_children(id)
        .into_iter()
        .filter(|c| {
            doc.element(*c)
                .is_some_and(|e| tags.contains(&e.value().name()))
        })
        .collect()
}

/// Descendants of `id` matching `css`.
fn select(doc: &Document, id: NodeId, css: &str) -> Vec<NodeId> {
    selector(css)
        .map(|s| doc.select(id, &s))
        .unwrap_or_default()
}

fn first<'js>(ctx: &Ctx<'js>, el: &Element, tag: &str) -> rquickjs::Result<Value<'js>> {
    match children(&el.doc, el.id, &[tag]).first() {
        Some(found) => element::into_js(ctx, &el.doc, *found),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}

/// `id`'s position among `siblings`.
fn position(siblings: &[NodeId], id: NodeId) -> u32 {
    siblings.iter().position(|s| *s == id).unwrap_or(0) as u32
}

fn text<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    el.doc.text(el.id).into_js(ctx)
}

fn src<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    el.doc.attr(el.id, "src").unwrap_or("").into_js(ctx)
}

fn rows<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    list(ctx, el, children(&el.doc, el.id, &["tr"]))
}

fn cell_index<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let row = el.doc.parent_element(el.id);
    let cells = row
        .map(|r| children(&el.doc, r, &["td", "th"]))
        .unwrap_or_default();
    position(&cells, el.id).into_js(ctx)
}

const TITLE: &[(&str, Kind)] = &[("text", Kind::Computed(text))];
const BASE: &[(&str, Kind)] = &[
    ("href", Kind::Text("href", "")),
    ("target", Kind::Text("target", "")),
];
const META: &[(&str, Kind)] = &[
    ("content", Kind::Text("content", "")),
    ("httpEquiv", Kind::Computed(enumerated::http_equiv)),
    ("name", Kind::Text("name", "")),
];
const STYLE: &[(&str, Kind)] = &[
    ("media", Kind::Text("media", "")),
    ("type", Kind::Text("type", "")),
];
const SCRIPT: &[(&str, Kind)] = &[
    ("crossOrigin", Kind::Computed(enumerated::cross_origin)),
    ("async", Kind::Flag("async")),
    ("charset", Kind::Text("charset", "")),
    ("defer", Kind::Flag("defer")),
    ("noModule", Kind::Flag("nomodule")),
    ("src", Kind::Text("src", "")),
    ("text", Kind::Computed(text)),
    ("type", Kind::Text("type", "")),
];
const LINK: &[(&str, Kind)] = &[
    ("crossOrigin", Kind::Computed(enumerated::cross_origin)),
    (
        "referrerPolicy",
        Kind::Computed(enumerated::referrer_policy),
    ),
    ("href", Kind::Text("href", "")),
    ("hreflang", Kind::Text("hreflang", "")),
    ("media", Kind::Text("media", "")),
    ("rel", Kind::Text("rel", "")),
    (
        "relList",
        Kind::Computed(|ctx, el| {
            let rel = el.doc.attr(el.id, "rel").unwrap_or("");
            rel.split_ascii_whitespace()
                .collect::<Vec<_>>()
                .into_js(ctx)
        }),
    ),
    ("target", Kind::Text("target", "")),
    ("type", Kind::Text("type", "")),
];
const OL: &[(&str, Kind)] = &[
    ("start", Kind::Number("start", 0)),
    ("reversed", Kind::Flag("reversed")),
    ("type", Kind::Text("type", "")),
];
const UL: &[(&str, Kind)] = &[("type", Kind::Text("type", ""))];
const LI: &[(&str, Kind)] = &[
    ("type", Kind::Text("type", "")),
    ("value", Kind::Number("value", 0)),
];
const SECTION: &[(&str, Kind)] = &[("rows", Kind::Computed(rows))];
const TABLE: &[(&str, Kind)] = &[
    (
        "caption",
        Kind::Computed(|ctx, el| first(ctx, el, "caption")),
    ),
    (
        "rows",
        Kind::Computed(|ctx, el| list(ctx, el, select(&el.doc, el.id, "tr"))),
    ),
    ("sortable", Kind::Flag("sortable")),
    (
        "tBodies",
        Kind::Computed(|ctx, el| list(ctx, el, children(&el.doc, el.id, &["tbody"]))),
    ),
    ("tFoot", Kind::Computed(|ctx, el| first(ctx, el, "tfoot"))),
    ("tHead", Kind::Computed(|ctx, el| first(ctx, el, "thead"))),
];
const TR: &[(&str, Kind)] = &[
    (
        "cells",
        Kind::Computed(|ctx, el| list(ctx, el, children(&el.doc, el.id, &["td", "th"]))),
    ),
    (
        "rowIndex",
        Kind::Computed(|ctx, el| {
            let table = closest(&el.doc, el.id, "table");
            let all = table.map(|t| select(&el.doc, t, "tr")).unwrap_or_default();
            position(&all, el.id).into_js(ctx)
        }),
    ),
    (
        "sectionRowIndex",
        Kind::Computed(|ctx, el| {
            let section = el.doc.parent_element(el.id);
            let rows = section
                .map(|s| children(&el.doc, s, &["tr"]))
                .unwrap_or_default();
            position(&rows, el.id).into_js(ctx)
        }),
    ),
];
const TD: &[(&str, Kind)] = &[
    ("cellIndex", Kind::Computed(cell_index)),
    ("colSpan", Kind::Number("colspan", 1)),
    ("headers", Kind::Text("headers", "")),
    ("rowSpan", Kind::Number("rowspan", 1)),
];
const TH: &[(&str, Kind)] = &[
    ("abbr", Kind::Text("abbr", "")),
    ("cellIndex", Kind::Computed(cell_index)),
    ("colSpan", Kind::Number("colspan", 1)),
    ("headers", Kind::Text("headers", "")),
    ("rowSpan", Kind::Number("rowspan", 1)),
    ("scope", Kind::Text("scope", "")),
    ("sorted", Kind::Flag("sorted")),
];
const IMG: &[(&str, Kind)] = &[
    ("crossOrigin", Kind::Computed(enumerated::cross_origin)),
    (
        "referrerPolicy",
        Kind::Computed(enumerated::referrer_policy),
    ),
    ("alt", Kind::Text("alt", "")),
    ("currentSrc", Kind::Computed(src)),
    ("height", Kind::Number("height", 0)),
    ("isMap", Kind::Flag("ismap")),
    ("name", Kind::Text("name", "")),
    ("sizes", Kind::Text("sizes", "")),
    ("src", Kind::Text("src", "")),
    ("srcset", Kind::Text("srcset", "")),
    ("useMap", Kind::Text("usemap", "")),
    ("width", Kind::Number("width", 0)),
];
const LABEL: &[(&str, Kind)] = &[
    ("htmlFor", Kind::Text("for", "")),
    (
        "control",
        Kind::Computed(|ctx, el| {
            let wanted = el.doc.attr(el.id, "for").unwrap_or("");
            let found = select(&el.doc, el.doc.root(), "[id]")
                .into_iter()
                .find(|c| !wanted.is_empty() && el.doc.attr(*c, "id") == Some(wanted));
            match found {
                Some(found) => element::into_js(ctx, &el.doc, found),
                None => Ok(Value::new_undefined(ctx.clone())),
            }
        }),
    ),
    ("form", Kind::Computed(form)),
];
const FIELDSET: &[(&str, Kind)] = &[
    ("disabled", Kind::Flag("disabled")),
    (
        "elements",
        Kind::Computed(|ctx, el| list(ctx, el, elements(el))),
    ),
    ("form", Kind::Computed(form)),
    ("name", Kind::Text("name", "")),
    ("type", Kind::Computed(|ctx, _| "fieldset".into_js(ctx))),
];
const LEGEND: &[(&str, Kind)] = &[
    ("accessKey", Kind::Text("accesskey", "")),
    ("form", Kind::Computed(form)),
];
const IFRAME: &[(&str, Kind)] = &[
    (
        "referrerPolicy",
        Kind::Computed(enumerated::referrer_policy),
    ),
    ("allowfullscreen", Kind::Flag("allowfullscreen")),
    ("height", Kind::Text("height", "")),
    ("name", Kind::Text("name", "")),
    ("src", Kind::Text("src", "")),
    ("width", Kind::Text("width", "")),
];
const OBJECT: &[(&str, Kind)] = &[
    ("data", Kind::Text("data", "")),
    ("form", Kind::Computed(form)),
    ("height", Kind::Text("height", "")),
    ("name", Kind::Text("name", "")),
    ("tabIndex", Kind::Number("tabindex", 0)),
    ("type", Kind::Text("type", "")),
    ("typeMustMatch", Kind::Flag("typemustmatch")),
    ("useMap", Kind::Text("usemap", "")),
    ("width", Kind::Text("width", "")),
];
const EMBED: &[(&str, Kind)] = &[
    ("height", Kind::Text("height", "")),
    ("src", Kind::Text("src", "")),
    ("type", Kind::Text("type", "")),
    ("width", Kind::Text("width", "")),
];
const CANVAS: &[(&str, Kind)] = &[
    ("height", Kind::Number("height", 0)),
    ("width", Kind::Number("width", 0)),
];
const MEDIA: &[(&str, Kind)] = &[
    ("crossOrigin", Kind::Computed(enumerated::cross_origin)),
    ("autoplay", Kind::Flag("autoplay")),
    ("controls", Kind::Flag("controls")),
    ("currentSrc", Kind::Computed(src)),
    ("defaultMuted", Kind::Flag("muted")),
    ("loop", Kind::Flag("loop")),
    ("mediaGroup", Kind::Text("mediagroup", "")),
    ("muted", Kind::Flag("muted")),
    ("preload", Kind::Computed(enumerated::preload)),
    ("src", Kind::Text("src", "")),
    (
        "textTracks",
        Kind::Computed(|ctx, el| list(ctx, el, children(&el.doc, el.id, &["track"]))),
    ),
];
const SOURCE: &[(&str, Kind)] = &[
    ("keySystem", Kind::Text("keysystem", "")),
    ("media", Kind::Text("media", "")),
    ("sizes", Kind::Text("sizes", "")),
    ("src", Kind::Text("src", "")),
    ("srcset", Kind::Text("srcset", "")),
    ("type", Kind::Text("type", "")),
];
const TRACK: &[(&str, Kind)] = &[
    ("kind", Kind::Computed(enumerated::track_kind)),
    ("default", Kind::Flag("default")),
    ("label", Kind::Text("label", "")),
    ("src", Kind::Text("src", "")),
    ("srclang", Kind::Text("srclang", "")),
];
const OUTPUT: &[(&str, Kind)] = &[
    ("defaultValue", Kind::Computed(text)),
    ("form", Kind::Computed(form)),
    ("htmlFor", Kind::Text("for", "")),
    ("labels", Kind::Computed(labels)),
    ("name", Kind::Text("name", "")),
    ("type", Kind::Computed(|ctx, _| "output".into_js(ctx))),
    ("value", Kind::Computed(text)),
];
const DATA: &[(&str, Kind)] = &[("value", Kind::Text("value", ""))];
const TIME: &[(&str, Kind)] = &[("datetime", Kind::Text("datetime", ""))];
const MOD: &[(&str, Kind)] = &[
    ("cite", Kind::Text("cite", "")),
    ("datetime", Kind::Text("datetime", "")),
];
const MAP: &[(&str, Kind)] = &[
    (
        "areas",
        Kind::Computed(|ctx, el| list(ctx, el, select(&el.doc, el.id, "area"))),
    ),
    (
        "images",
        Kind::Computed(|ctx, el| list(ctx, el, select(&el.doc, el.id, "img"))),
    ),
    ("name", Kind::Text("name", "")),
];
const OPTGROUP: &[(&str, Kind)] = &[
    ("disabled", Kind::Flag("disabled")),
    ("label", Kind::Text("label", "")),
];
const DATALIST: &[(&str, Kind)] = &[(
    "options",
    Kind::Computed(|ctx, el| list(ctx, el, select(&el.doc, el.id, "option"))),
)];
const PROGRESS: &[(&str, Kind)] = &[
    ("labels", Kind::Computed(labels)),
    ("max", Kind::Computed(enumerated::progress_max)),
    ("position", Kind::Computed(enumerated::progress_position)),
    ("value", Kind::Computed(enumerated::progress_value)),
];
const METER: &[(&str, Kind)] = &[
    ("high", Kind::Number("high", 0)),
    ("labels", Kind::Computed(labels)),
    ("low", Kind::Number("low", 0)),
    ("max", Kind::Number("max", 0)),
    ("min", Kind::Number("min", 0)),
    ("optimum", Kind::Number("optimum", 0)),
];
const PARAM: &[(&str, Kind)] = &[
    ("name", Kind::Text("name", "")),
    ("value", Kind::Text("value", "")),
];
const KEYGEN: &[(&str, Kind)] = &[
    ("autofocus", Kind::Flag("autofocus")),
    ("challenge", Kind::Text("challenge", "")),
    ("disabled", Kind::Flag("disabled")),
    ("form", Kind::Computed(form)),
    ("keytype", Kind::Text("keytype", "RSA")),
    ("labels", Kind::Computed(labels)),
    ("name", Kind::Text("name", "")),
    ("type", Kind::Computed(|ctx, _| "keygen".into_js(ctx))),
];

/// The members of `tag`, if k6 gives it any beyond an element's.
pub(super) fn members(tag: &str) -> Option<&'static [(&'static str, Kind)]> {
    Some(match tag {
        "title" => TITLE,
        "base" => BASE,
        "meta" => META,
        "style" => STYLE,
        "script" => SCRIPT,
        "link" => LINK,
        "ol" => OL,
        "ul" => UL,
        "li" => LI,
        "thead" | "tbody" | "tfoot" => SECTION,
        "table" => TABLE,
        "tr" => TR,
        "td" => TD,
        "th" => TH,
        "img" => IMG,
        "label" => LABEL,
        "fieldset" => FIELDSET,
        "legend" => LEGEND,
        "iframe" => IFRAME,
        "object" => OBJECT,
        "embed" => EMBED,
        "canvas" => CANVAS,
        "audio" | "video" => MEDIA,
        "source" => SOURCE,
        "track" => TRACK,
        "output" => OUTPUT,
        "data" => DATA,
        "time" => TIME,
        "del" | "ins" => MOD,
        "map" => MAP,
        "optgroup" => OPTGROUP,
        "datalist" => DATALIST,
        "param" | "pre" => PARAM,
        "progress" => PROGRESS,
        "meter" => METER,
        "keygen" => KEYGEN,
        _ => return None,
    })
}
