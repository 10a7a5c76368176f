//! `k6/data`: `SharedArray`, an array made once per process and read by
//! every VU.
//!
//! The callback runs in the first VU that constructs a name; its result's
//! elements are kept as JSON text in the run's [`SharedData`]. Each VU's
//! `SharedArray` is a `Proxy` over an empty array (so `Array.isArray` and
//! the array methods work, as in k6) whose traps decode an item into a
//! fresh, deeply frozen copy on each access; writes throw.
//!
//! [`SharedData`]: crate::shared::SharedData

use std::rc::Rc;
use std::sync::Arc;

use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};

use super::BuiltinModule;
use crate::compiled::Compiled;
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
/// What k6 (Go's JSON decoder) says about an element `JSON.stringify`
/// turned into `undefined`, when that element is read.
const UNDEFINED_ITEM: &str = "invalid character 'u' looking for beginning of value";

/// The constructor and the proxy it makes (`view`, which
/// `k6/experimental/csv` uses too), given `natives.load(name, callback)`
/// which returns `{ length, item(i) }`.
static GLUE: Compiled = Compiled::new(
    "k6r:data",
    r#"(function (natives) {
  const INDEX = /^(?:0|[1-9][0-9]*)$/;
  const immutable = () => { throw new TypeError('SharedArray is immutable'); };
  function freeze(value) {
    if (value !== null && typeof value === 'object') {
      Object.freeze(value);
      for (const key of Object.keys(value)) freeze(value[key]);
    }
    return value;
  }
  // A read-only array view of `length` items, `item(i)` decoding one.
  function view({ length, item }) {
    const index = (key) => (typeof key === 'string' && INDEX.test(key) && Number(key) < length ? Number(key) : -1);
    return new Proxy([], {
      get(target, key, receiver) {
        if (key === 'length') return length;
        const i = index(key);
        return i >= 0 ? freeze(item(i)) : Reflect.get(target, key, receiver);
      },
      has(target, key) {
        return index(key) >= 0 || Reflect.has(target, key);
      },
      ownKeys() {
        const keys = [];
        for (let i = 0; i < length; i++) keys.push(String(i));
        keys.push('length');
        return keys;
      },
      getOwnPropertyDescriptor(target, key) {
        if (key === 'length') return { value: length, writable: true, enumerable: false, configurable: false };
        const i = index(key);
        return i >= 0 ? { value: freeze(item(i)), writable: true, enumerable: true, configurable: true } : undefined;
      },
      set: immutable,
      deleteProperty: immutable,
      defineProperty(target, key) {
        throw new TypeError(`Cannot define property "${String(key)}" on a dynamic array`);
      },
      preventExtensions() {
        throw new TypeError('Cannot make a dynamic object non-extensible');
      },
    });
  }
  return {
    SharedArray: function SharedArray(name, callback) {
      return view(natives.load(name, callback));
    },
    view,
  };
})"#,
);

impl BuiltinModule for Data {
    const NAME: &'static str = "k6/data";
    const EXPORTS: &'static [&'static str] = &["default", "SharedArray"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;
        let state = vu.clone();
        let load = move |ctx: Ctx<'js>, name: Opt<Value<'js>>, callback: Opt<Value<'js>>| {
            load(&ctx, &state, name.0, callback.0)
        };
        natives.set("load", js::function(ctx, "load", load)?)?;
        let glue: Function = GLUE.load(ctx)?;
        let glue: Object = glue.call((natives,))?;
        let module = Object::new(ctx.clone())?;
        module.set("SharedArray", glue.get::<_, Value>("SharedArray")?)?;
        Ok(module)
    }
}

/// The `view` function of the glue: `view({ length, item })` is a
/// `SharedArray` over `items`.
pub(crate) fn view<'js>(ctx: &Ctx<'js>, items: Arc<Items>) -> rquickjs::Result<Value<'js>> {
    let glue: Function = GLUE.load(ctx)?;
    let natives = Object::new(ctx.clone())?;
    let glue: Object = glue.call((natives,))?;
    let view: Function = glue.get("view")?;
    view.call((handle(ctx, items)?,))
}

/// `{ length, item(i) }` over `items`.
fn handle<'js>(ctx: &Ctx<'js>, items: Arc<Items>) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("length", items.len() as f64)?;
    let item = move |ctx: Ctx<'js>, index: f64| item(&ctx, &items, index);
    object.set("item", js::function(ctx, "item", item)?)?;
    Ok(object)
}

/// `new SharedArray(name, callback)`'s native part: k6's checks, then the
/// items (made here if no VU of the process made them yet).
fn load<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    name: Option<Value<'js>>,
    callback: Option<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
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
    let items = vu.config.shared.array(&name, || make(ctx, &callback))?;

    let object = Object::new(ctx.clone())?;
    object.set("length", items.len() as f64)?;
    let item = move |ctx: Ctx<'js>, index: f64| item(&ctx, &items, index);
    object.set("item", js::function(ctx, "item", item)?)?;
    Ok(object)
}

/// Runs the callback and keeps each element of its array as JSON text.
fn make<'js>(ctx: &Ctx<'js>, callback: &Function<'js>) -> rquickjs::Result<Items> {
    let result: Value = callback.call(())?;
    if !result.is_array() {
        return Err(js::throw_go_error(ctx, NOT_AN_ARRAY));
    }
    let array: Array = result.get()?;
    let mut items = Vec::with_capacity(array.len());
    for element in array.iter::<Value>() {
        let text = ctx.json_stringify(element?)?;
        items.push(match text {
            Some(text) => Some(text.to_string()?.into_boxed_str()),
            None => None,
        });
    }
    Ok(Items::new(items))
}

/// A fresh copy of item `index` (the glue freezes it).
fn item<'js>(ctx: &Ctx<'js>, items: &Arc<Items>, index: f64) -> rquickjs::Result<Value<'js>> {
    let found = if index >= 0.0 && index.fract() == 0.0 {
        items.get(index as usize)
    } else {
        None
    };
    match found {
        Some(Some(text)) => ctx.json_parse(text),
        Some(None) => Err(Exception::throw_syntax(ctx, UNDEFINED_ITEM)),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}
