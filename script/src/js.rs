//! Small helpers for host functions: throwing k6-style errors and
//! converting arguments without ever panicking.

use rquickjs::function::IntoJsFunc;
use rquickjs::object::Property;
use rquickjs::{Array, Coerced, Constructor, Ctx, Exception, Function, Object, Value};

/// Throws `new Error(message)` named `GoError`, as k6 reports errors
/// raised by its Go code (`GoError: Using check() in the init context is
/// not supported`). Built with the `Error` constructor so that it carries
/// the caller's stack. Returns the error to propagate with `?`/`Err`.
pub(crate) fn throw_go_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    let built = (|| -> rquickjs::Result<Object<'_>> {
        let constructor: Constructor = ctx.globals().get("Error")?;
        let error: Object = constructor.construct((message,))?;
        error.prop("name", Property::from("GoError").writable().configurable())?;
        Ok(error)
    })();
    let error = match built {
        Ok(error) => error,
        Err(_) => {
            // `Error` was replaced by something unusable: drop whatever it
            // threw and build a plain error object instead.
            let _ = ctx.catch();
            match Exception::from_message(ctx.clone(), message) {
                Ok(exception) => exception.into_object(),
                Err(error) => return error,
            }
        }
    };
    ctx.throw(error.into_value())
}

/// JavaScript's `String(value)`; throws (returns `Err`) for symbols or
/// objects whose `toString` throws.
pub(crate) fn to_string<'js>(value: &Value<'js>) -> rquickjs::Result<String> {
    if let Some(symbol) = value.as_symbol() {
        // `String(Symbol('x'))` is `Symbol(x)`; ToString would throw.
        let description = symbol.description()?;
        return Ok(match description.as_string() {
            Some(text) => format!("Symbol({})", text.to_string()?),
            None => "Symbol()".to_owned(),
        });
    }
    Ok(value.get::<Coerced<String>>()?.0)
}

/// JavaScript's `Number(value)`; `NaN` for what doesn't convert.
pub(crate) fn to_number(value: &Value<'_>) -> rquickjs::Result<f64> {
    if value.is_undefined() {
        return Ok(f64::NAN);
    }
    Ok(value.get::<Coerced<f64>>()?.0)
}

/// A named host function.
pub(crate) fn function<'js, P, F>(
    ctx: &Ctx<'js>,
    name: &str,
    f: F,
) -> rquickjs::Result<Function<'js>>
where
    F: IntoJsFunc<'js, P> + 'js,
{
    Function::new(ctx.clone(), f)?.with_name(name)
}

/// `text` as a JavaScript string shared by every context of the
/// runtime: the string of its atom (atoms are per runtime), not a copy
/// per VU. For constants every VU holds.
pub(crate) fn interned<'js>(ctx: &Ctx<'js>, text: &str) -> rquickjs::Result<rquickjs::String<'js>> {
    rquickjs::Atom::from_str(ctx.clone(), text)?.to_js_string()
}

/// The most items Rust code takes from one script array. `Array::len`
/// asserts that `length` is an int (a length past 2^31 - 1, or a Proxy's,
/// is not) and a huge one would be allocated for up front: this reads it
/// as a number and refuses what no script needs.
pub(crate) const MAX_ARRAY_ITEMS: usize = 1 << 24;

/// The items of a script's array, read by index: a length that is not a
/// whole number up to [`MAX_ARRAY_ITEMS`] is a `GoError`, never a panic.
pub(crate) fn array_items<'js>(array: &Array<'js>) -> rquickjs::Result<Vec<Value<'js>>> {
    let length = to_number(&array.as_object().get::<_, Value>("length")?)?;
    if !(0.0..=MAX_ARRAY_ITEMS as f64).contains(&length) || length.fract() != 0.0 {
        return Err(throw_go_error(
            array.ctx(),
            &format!("an array of {length} items is more than the {MAX_ARRAY_ITEMS} k6r takes"),
        ));
    }
    let mut items = Vec::with_capacity(length as usize);
    for index in 0..length as usize {
        items.push(array.get(index)?);
    }
    Ok(items)
}

/// An accessor property of functions already made (rquickjs's `Accessor`
/// makes a new function of each closure): `get`, and `set` if any.
pub(crate) struct FnAccessor<'js> {
    pub get: Function<'js>,
    pub set: Option<Function<'js>>,
    pub enumerable: bool,
    pub configurable: bool,
}

impl<'js> FnAccessor<'js> {
    /// A configurable accessor whose getter and setter are one function
    /// (a setter call passes the value): one function of every context
    /// instead of two.
    pub fn both(function: Function<'js>, enumerable: bool) -> Self {
        FnAccessor {
            get: function.clone(),
            set: Some(function),
            enumerable,
            configurable: true,
        }
    }
}

impl<'js> rquickjs::object::AsProperty<'js, ()> for FnAccessor<'js> {
    fn config(
        self,
        ctx: &Ctx<'js>,
    ) -> rquickjs::Result<(
        rquickjs::object::PropertyFlags,
        Value<'js>,
        Value<'js>,
        Value<'js>,
    )> {
        use rquickjs::qjs;
        let mut flags =
            qjs::JS_PROP_HAS_GET | qjs::JS_PROP_HAS_ENUMERABLE | qjs::JS_PROP_HAS_CONFIGURABLE;
        if self.set.is_some() {
            flags |= qjs::JS_PROP_HAS_SET;
        }
        if self.enumerable {
            flags |= qjs::JS_PROP_ENUMERABLE;
        }
        if self.configurable {
            flags |= qjs::JS_PROP_CONFIGURABLE;
        }
        let undefined = Value::new_undefined(ctx.clone());
        let set = self
            .set
            .map_or_else(|| undefined.clone(), Function::into_value);
        Ok((flags as _, undefined, self.get.into_value(), set))
    }
}
