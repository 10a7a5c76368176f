//! `k6/html`: `parseHTML(source)` and the `Selection` and `Element` it
//! leads to, as k6's goquery-based module behaves; also what
//! `Response.html()`, `clickLink()` and `submitForm()` need.
//!
//! The parsed document stays Rust-side (html5ever through `scraper`); a
//! selection is an `Rc` of it plus node ids, and the JavaScript classes
//! get their prototypes on first use, so a VU that never parses HTML
//! pays for none of it.
//!
//! - `document`: the parsed page and what is read from its nodes.
//! - `render`: nodes back to HTML as Go renders them.
//! - `selection`: the `Selection` class and its argument forms;
//!   `members`: methods listed as own keys, as k6 lists them.
//! - `traversal`, `filtering`, `values`, `serialize`: its methods.
//! - `element`: the `Element` class; `tree`: its members that walk the
//!   tree; `anchor`: the URL members of links; `controls`: those of
//!   forms, inputs, buttons, selects, options and textareas; `media`:
//!   those of the other element types k6 knows (tables, media, ...);
//!   `enumerated`: attributes k6 reads as enumerations or ratios.
//! - `response`: `res.html()`, `res.clickLink()`, `res.submitForm()`.

mod anchor;
mod controls;
mod document;
mod element;
mod enumerated;
mod filtering;
mod media;
mod members;
mod render;
mod response;
mod selection;
mod serialize;
mod traversal;
mod tree;
mod values;

use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::object::Property;
use rquickjs::{Ctx, Object, Symbol, Value};

use super::BuiltinModule;
use crate::js;
use crate::state::VuState;
use document::Document;
use selection::Selection;

/// The `k6/html` module.
pub(crate) struct Html;

impl BuiltinModule for Html {
    const NAME: &'static str = "k6/html";
    const EXPORTS: &'static [&'static str] = &["default", "parseHTML"];

    fn build<'js>(ctx: &Ctx<'js>, _vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        let parse = |ctx: Ctx<'js>, source: Opt<Value<'js>>| {
            let source = match source.0 {
                Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value)?,
                _ => String::new(),
            };
            let doc = Rc::new(Document::parse(&source, String::new()));
            selection::into_js(&ctx, Selection::document(doc))
        };
        module.set("parseHTML", js::function(ctx, "parseHTML", parse)?)?;
        // Hidden from `Object.keys`: the response methods reach it by key.
        let key = Symbol::new_global(ctx.clone(), response::KEY)?;
        module.prop(key, Property::from(response::native(ctx)?))?;
        Ok(module)
    }
}
