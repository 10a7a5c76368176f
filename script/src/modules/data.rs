//! `k6/data`: `SharedArray`, an array made once per process and read by
//! every VU.
//!
//! The callback runs in the first VU that constructs a name; its result's
//! elements are kept as JSON text in the run's [`SharedData`]. Each VU's
//! `SharedArray` is a `Proxy` over an empty array (so `Array.isArray` and
//! the array methods work, as in k6) whose traps decode an item into a
//! fresh, deeply frozen copy on each access; writes throw. The traps are
//! native functions: a VU pays for a few function objects per array,
//! never for JavaScript glue or for the items.
//!
//! [`SharedData`]: crate::shared::SharedData

use std::rc::Rc;
use std::sync::Arc;

use rquickjs::function::Opt;
use rquickjs::{Array, Constructor, Ctx, Exception, Function, Object, Value};

use super::BuiltinModule;
use crate::js;
use crate::shared::Items;
use crate::state::VuState;

/// The `k6/data` module.
pub(crate) struct Data;

const OUTSIDE_INIT: &str = "new SharedArray must be called in the init context";
const EMPTY_NAME: &str = "empty name provided to SharedArray's constructor";
const NOT_A_FUNCTION: &str =
    "a function is expected as the second argument of SharedArray's constructor";
const NOT_AN_ARRAY: &str = "only arrays can be made into SharedArray";
const IMMUTABLE: &str = "SharedArray is immutable";
/// What k6 (Go's JSON decoder) says about an element `JSON.stringify`
/// turned into `undefined`, when that element is read.
const UNDEFINED_ITEM: &str = "invalid character 'u' looking for beginning of value";

impl BuiltinModule for Data {
    const NAME: &'static str = "k6/data";
    const EXPORTS: &'static [&'static str] = &["default", "SharedArray"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let state = vu.clone();
        let construct = move |ctx: Ctx<'js>, name: Opt<Value<'js>>, callback: Opt<Value<'js>>| {
            let items = load(&ctx, &state, name.0, callback.0)?;
            view(&ctx, items)
        };
        let constructor = js::function(ctx, "SharedArray", construct)?;
        // `new SharedArray(...)` returns the proxy the function returns.
        constructor.set_constructor(true);
        let module = Object::new(ctx.clone())?;
        module.set("SharedArray", constructor)?;
        Ok(module)
    }
}

/// A `SharedArray` over `items`: a `Proxy` over an empty array whose
/// traps (native functions, no per-VU JavaScript) read the items.
pub(crate) fn view<'js>(ctx: &Ctx<'js>, items: Arc<Items>) -> rquickjs::Result<Value<'js>> {
    let handler = Object::new(ctx.clone())?;
    let length = items.len();

    let shared = Arc::clone(&items);
    let get = move |ctx: Ctx<'js>,
                    target: Object<'js>,
                    key: Value<'js>,
                    receiver: Value<'js>|
          -> rquickjs::Result<Value<'js>> {
        if is_key(&key, "length") {
            return Ok(Value::new_number(ctx, length as f64));
        }
        match index(&key, length) {
            Some(i) => frozen_item(&ctx, &shared, i),
            None => reflect(&ctx, "get")?.call((target, key, receiver)),
        }
    };
    handler.set("get", js::function(ctx, "get", get)?)?;

    let has = move |ctx: Ctx<'js>, target: Object<'js>, key: Value<'js>| match index(&key, length) {
        Some(_) => Ok(true),
        None => reflect(&ctx, "has")?.call((target, key)),
    };
    handler.set("has", js::function(ctx, "has", has)?)?;

    let own_keys = move |ctx: Ctx<'js>| -> rquickjs::Result<Array<'js>> {
        let keys = Array::new(ctx)?;
        for i in 0..length {
            keys.set(i, i.to_string())?;
        }
        keys.set(length, "length")?;
        Ok(keys)
    };
    handler.set("ownKeys", js::function(ctx, "ownKeys", own_keys)?)?;

    let shared = Arc::clone(&items);
    let descriptor = move |ctx: Ctx<'js>,
                           _target: Value<'js>,
                           key: Value<'js>|
          -> rquickjs::Result<Value<'js>> {
        let (value, enumerable, configurable) = if is_key(&key, "length") {
            (Value::new_number(ctx.clone(), length as f64), false, false)
        } else if let Some(i) = index(&key, length) {
            (frozen_item(&ctx, &shared, i)?, true, true)
        } else {
            return Ok(Value::new_undefined(ctx));
        };
        let descriptor = Object::new(ctx)?;
        descriptor.set("value", value)?;
        descriptor.set("writable", true)?;
        descriptor.set("enumerable", enumerable)?;
        descriptor.set("configurable", configurable)?;
        Ok(descriptor.into_value())
    };
    handler.set(
        "getOwnPropertyDescriptor",
        js::function(ctx, "getOwnPropertyDescriptor", descriptor)?,
    )?;

    let immutable =
        |ctx: Ctx<'js>| -> rquickjs::Result<()> { Err(Exception::throw_type(&ctx, IMMUTABLE)) };
    handler.set("set", js::function(ctx, "set", immutable)?)?;
    handler.set(
        "deleteProperty",
        js::function(ctx, "deleteProperty", immutable)?,
    )?;
    let define = |ctx: Ctx<'js>, _target: Value<'js>, key: Value<'js>| -> rquickjs::Result<()> {
        let key = js::to_string(&key)?;
        Err(Exception::throw_type(
            &ctx,
            &format!("Cannot define property \"{key}\" on a dynamic array"),
        ))
    };
    handler.set(
        "defineProperty",
        js::function(ctx, "defineProperty", define)?,
    )?;
    let prevent = |ctx: Ctx<'js>| -> rquickjs::Result<()> {
        Err(Exception::throw_type(
            &ctx,
            "Cannot make a dynamic object non-extensible",
        ))
    };
    handler.set(
        "preventExtensions",
        js::function(ctx, "preventExtensions", prevent)?,
    )?;

    let proxy: Constructor = ctx.globals().get("Proxy")?;
    proxy.construct((Array::new(ctx.clone())?, handler))
}

/// `Reflect[name]`.
fn reflect<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Function<'js>> {
    let reflect: Object = ctx.globals().get("Reflect")?;
    reflect.get(name)
}

fn is_key(key: &Value<'_>, name: &str) -> bool {
    key.as_string()
        .and_then(|s| s.to_string().ok())
        .is_some_and(|s| s == name)
}

/// The item index `key` names: a canonical array index (`"0"`, `"12"`,
/// not `"01"` or `"1.5"`) below `length`, as k6 reads them.
fn index(key: &Value<'_>, length: usize) -> Option<usize> {
    let key = key.as_string()?.to_string().ok()?;
    let canonical =
        key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    if key.is_empty() || !canonical {
        return None;
    }
    key.parse::<usize>().ok().filter(|i| *i < length)
}

/// A fresh, deeply frozen copy of item `index`.
fn frozen_item<'js>(ctx: &Ctx<'js>, items: &Items, index: usize) -> rquickjs::Result<Value<'js>> {
    let value = match items.get(index) {
        Some(Some(text)) => ctx.json_parse(text)?,
        Some(None) => return Err(Exception::throw_syntax(ctx, UNDEFINED_ITEM)),
        None => return Ok(Value::new_undefined(ctx.clone())),
    };
    if value.is_object() {
        let object: Object = ctx.globals().get("Object")?;
        let freeze: Function = object.get("freeze")?;
        deep_freeze(&freeze, &value)?;
    }
    Ok(value)
}

fn deep_freeze<'js>(freeze: &Function<'js>, value: &Value<'js>) -> rquickjs::Result<()> {
    if let Some(object) = value.as_object() {
        freeze.call::<_, Value>((object.clone(),))?;
        for child in object.values::<Value>() {
            deep_freeze(freeze, &child?)?;
        }
    }
    Ok(())
}

/// `new SharedArray(name, callback)`'s native part: k6's checks, then the
/// items (made here if no VU of the process made them yet).
fn load<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    name: Option<Value<'js>>,
    callback: Option<Value<'js>>,
) -> rquickjs::Result<Arc<Items>> {
    vu.require_init(ctx, OUTSIDE_INIT)?;
    let name = match name {
        Some(name) => js::to_string(&name)?,
        None => "undefined".to_owned(),
    };
    if name.is_empty() {
        return Err(js::throw_go_error(ctx, EMPTY_NAME));
    }
    let Some(callback) = callback.and_then(|value| value.into_function()) else {
        return Err(js::throw_go_error(ctx, NOT_A_FUNCTION));
    };
    vu.config.shared.array(&name, || make(ctx, &callback))
}

/// Runs the callback and keeps each element of its array as JSON text.
fn make<'js>(ctx: &Ctx<'js>, callback: &Function<'js>) -> rquickjs::Result<Items> {
    let result: Value = callback.call(())?;
    if !result.is_array() {
        return Err(js::throw_go_error(ctx, NOT_AN_ARRAY));
    }
    let array: Array = result.get()?;
    let elements = js::array_items(&array)?;
    let mut items = Vec::with_capacity(elements.len());
    for element in elements {
        let text = ctx.json_stringify(element)?;
        items.push(match text {
            Some(text) => Some(text.to_string()?.into_boxed_str()),
            None => None,
        });
    }
    Ok(Items::new(items))
}
