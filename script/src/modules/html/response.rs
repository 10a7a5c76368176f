//! What the response methods ask of `k6/html`: `res.html(selector?)`,
//! and the request `res.clickLink()` / `res.submitForm()` make (sent
//! through `http.request`, as k6 does).

use std::collections::BTreeMap;
use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Function, Object, Value};

use super::document::Document;
use super::selection::{self, Filter, Selection};
use super::serialize::{self, encode};
use crate::js;

/// The global symbol the native is kept under.
pub(super) const KEY: &str = "k6r.html.response";

/// `native(response, op, arg)`: `op` is `html`, `clickLink` or
/// `submitForm`; the last two return `[method, url, body, params]`.
pub(super) fn native<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Function<'js>> {
    let native = |ctx: Ctx<'js>, response: Object<'js>, op: String, arg: Opt<Value<'js>>| {
        let url = js::to_string(&response.get::<_, Value>("url")?)?;
        let body: Value = response.get("body")?;
        let body = body_text(&body)?;
        let page = Page {
            doc: Rc::new(Document::parse(&body, url.clone())),
            url,
        };
        let arg = arg.0.filter(|a| !a.is_undefined() && !a.is_null());
        match op.as_str() {
            "html" => {
                let selector = arg.map(|a| js::to_string(&a)).transpose()?;
                selection::into_js(&ctx, page.select(selector.as_deref()))
            }
            "clickLink" => click_link(&ctx, &page, arg),
            _ => submit_form(&ctx, &page, arg),
        }
    };
    js::function(ctx, "html", native)
}

/// The body as text: a string, or the bytes of a binary body (invalid
/// UTF-8 replaced, as Go's string conversion would not fail either).
fn body_text(body: &Value<'_>) -> rquickjs::Result<String> {
    if body.is_string() {
        return js::to_string(body);
    }
    let Some(buffer) = body
        .as_object()
        .filter(|o| crate::binary::is_array_buffer(o))
    else {
        return Ok(String::new());
    };
    // Copied through JavaScript: reading the engine's buffer directly
    // would need `unsafe`.
    let copy: Function = body.ctx().eval("(x) => Array.from(new Uint8Array(x))")?;
    let bytes: Vec<u8> = copy.call((buffer.clone(),))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

struct Page {
    doc: Rc<Document>,
    url: String,
}

impl Page {
    /// The document, or what `selector` finds in it.
    fn select(&self, selector: Option<&str>) -> Selection {
        let root = Selection::document(self.doc.clone());
        match selector {
            None => root,
            Some(selector) => {
                let nodes = match Filter::new(selector).selector() {
                    Some(s) => self.doc.select(self.doc.root(), s),
                    None => Vec::new(),
                };
                root.derive(nodes)
            }
        }
    }

    /// `reference` resolved against the response's URL.
    fn resolve(&self, ctx: &Ctx<'_>, reference: &str) -> rquickjs::Result<url::Url> {
        let base = url::Url::parse(&self.url)
            .map_err(|e| js::throw_go_error(ctx, &format!("parse \"{}\": {e}", self.url)))?;
        base.join(reference)
            .map_err(|e| js::throw_go_error(ctx, &format!("parse \"{reference}\": {e}")))
    }
}

/// The string option `name` of `options`, or `default`.
fn option(options: Option<&Object<'_>>, name: &str, default: &str) -> rquickjs::Result<String> {
    match options.map(|o| o.get::<_, Value>(name)).transpose()? {
        Some(value) if !value.is_undefined() => js::to_string(&value),
        _ => Ok(default.to_owned()),
    }
}

fn params<'js>(ctx: &Ctx<'js>, options: Option<&Object<'js>>) -> rquickjs::Result<Value<'js>> {
    match options {
        Some(options) => options.get("params"),
        None => Ok(Value::new_null(ctx.clone())),
    }
}

fn request<'js>(
    ctx: &Ctx<'js>,
    method: &str,
    url: &str,
    body: Value<'js>,
    params: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let out = Array::new(ctx.clone())?;
    out.set(0, method)?;
    out.set(1, url)?;
    out.set(2, body)?;
    out.set(3, params)?;
    Ok(out.into_value())
}

fn click_link<'js>(
    ctx: &Ctx<'js>,
    page: &Page,
    arg: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let options = arg.and_then(Value::into_object);
    let selector = option(options.as_ref(), "selector", "a[href]")?;
    let link = page.select(Some(&selector));
    let Some(&first) = link.nodes.first() else {
        return Err(js::throw_go_error(
            ctx,
            &format!(
                "no element found for selector '{selector}' in response '{}'",
                page.url
            ),
        ));
    };
    let Some(href) = page.doc.attr(first, "href") else {
        return Err(js::throw_go_error(
            ctx,
            &format!(
                "no valid href attribute value found on element '{selector}' in response '{}'",
                page.url
            ),
        ));
    };
    let target = page.resolve(ctx, href)?;
    let params = params(ctx, options.as_ref())?;
    request(
        ctx,
        "GET",
        target.as_str(),
        Value::new_undefined(ctx.clone()),
        params,
    )
}

fn submit_form<'js>(
    ctx: &Ctx<'js>,
    page: &Page,
    arg: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let options = arg.and_then(Value::into_object);
    let form_selector = option(options.as_ref(), "formSelector", "form")?;
    let submit_selector = option(options.as_ref(), "submitSelector", "[type=\"submit\"]")?;
    let form = page.select(Some(&form_selector));
    let Some(&first) = form.nodes.first() else {
        return Err(js::throw_go_error(
            ctx,
            &format!(
                "no form found for selector '{form_selector}' in response '{}'",
                page.url
            ),
        ));
    };
    let method = page
        .doc
        .attr(first, "method")
        .map(str::to_uppercase)
        .unwrap_or_else(|| "GET".to_owned());
    let mut target = match page.doc.attr(first, "action") {
        Some(action) => page.resolve(ctx, action)?,
        None => page.resolve(ctx, "")?,
    };

    let mut values: BTreeMap<String, Value<'js>> = BTreeMap::new();
    for entry in serialize::object(ctx, &form)?.props::<String, Value>() {
        let (name, value) = entry?;
        values.insert(name, value);
    }
    let submit = Filter::new(&submit_selector);
    let button = submit.selector().and_then(|s| {
        form.nodes
            .iter()
            .find_map(|id| page.doc.select(*id, s).first().copied())
    });
    if let Some(button) = button {
        if let (Some(name), Some(value)) = (
            page.doc.attr(button, "name"),
            page.doc.attr(button, "value"),
        ) {
            values.insert(
                name.to_owned(),
                rquickjs::String::from_str(ctx.clone(), value)?.into_value(),
            );
        }
    }
    if let Some(fields) = options
        .as_ref()
        .map(|o| o.get::<_, Value>("fields"))
        .transpose()?
    {
        if let Some(fields) = fields.into_object().filter(|f| !f.is_array()) {
            for entry in fields.props::<String, Value>() {
                let (name, value) = entry?;
                values.insert(name, value);
            }
        }
    }

    let params = params(ctx, options.as_ref())?;
    if method == "GET" {
        let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &values {
            query
                .entry(name.clone())
                .or_default()
                .push(js::to_string(value)?);
        }
        let encoded = encode(&query);
        target.set_query(Some(encoded.as_str()).filter(|q| !q.is_empty()));
        return request(
            ctx,
            &method,
            target.as_str(),
            Value::new_null(ctx.clone()),
            params,
        );
    }
    let body = Object::new(ctx.clone())?;
    for (name, value) in values {
        body.set(name, value)?;
    }
    request(ctx, &method, target.as_str(), body.into_value(), params)
}
