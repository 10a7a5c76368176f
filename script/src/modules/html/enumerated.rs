//! Attributes k6 reads as enumerations (a value it does not know reads
//! as its default) and the numeric members of `<progress>` and
//! `<meter>`, as k6 v1.1.0 computes them.

use rquickjs::{Ctx, IntoJs, Value};

use super::element::Element;

fn attr(el: &Element, name: &str) -> String {
    el.doc.attr(el.id, name).unwrap_or("").to_owned()
}

/// `value` when it is one of `known`, else `default`.
fn known<'js>(
    ctx: &Ctx<'js>,
    value: String,
    known: &[&str],
    default: &str,
) -> rquickjs::Result<Value<'js>> {
    if known.contains(&value.as_str()) {
        value.into_js(ctx)
    } else {
        default.into_js(ctx)
    }
}

/// `crossOrigin()`: `anonymous`, `use-credentials` or undefined.
pub(super) fn cross_origin<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let value = attr(el, "crossorigin");
    match value.as_str() {
        "anonymous" | "use-credentials" => value.into_js(ctx),
        _ => Ok(Value::new_undefined(ctx.clone())),
    }
}

/// `referrerPolicy()`: one of the policies k6 knows, else `""`.
pub(super) fn referrer_policy<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let policies = [
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "unsafe-url",
    ];
    known(ctx, attr(el, "referrerpolicy"), &policies, "")
}

/// `<track>`'s `kind()`: `subtitle` unless another kind k6 knows.
pub(super) fn track_kind<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let kinds = ["captions", "descriptions", "chapters", "metadata"];
    known(ctx, attr(el, "kind"), &kinds, "subtitle")
}

/// Media `preload()`: `none`, `metadata`, else `auto`.
pub(super) fn preload<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    known(ctx, attr(el, "preload"), &["none", "metadata"], "auto")
}

/// `<meta>`'s `httpEquiv()`: `refresh`, `default-style`, else
/// `content-type`.
pub(super) fn http_equiv<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let value = attr(el, "http-equiv").to_lowercase();
    known(ctx, value, &["refresh", "default-style"], "content-type")
}

fn number(el: &Element, name: &str) -> Option<f64> {
    el.doc
        .attr(el.id, name)
        .and_then(|v| v.trim().parse::<f64>().ok())
}

/// `<progress>`'s `max()`: the attribute, else 1.
pub(super) fn progress_max<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    number(el, "max").unwrap_or(1.0).into_js(ctx)
}

/// `<progress>`'s `value()`: k6 gives the ratio `value / max` (0 when
/// there is no value).
pub(super) fn progress_value<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let max = number(el, "max").unwrap_or(1.0);
    (number(el, "value").unwrap_or(0.0) / max).into_js(ctx)
}

/// `<progress>`'s `position()`: `value / max`, or -1 with no value.
pub(super) fn progress_position<'js>(ctx: &Ctx<'js>, el: &Element) -> rquickjs::Result<Value<'js>> {
    let max = number(el, "max").unwrap_or(1.0);
    match number(el, "value") {
        Some(value) => (value / max).into_js(ctx),
        None => (-1).into_js(ctx),
    }
}
