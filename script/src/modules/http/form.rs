//! Object bodies: `{a: 'b'}` is sent url-encoded (keys sorted, arrays as
//! repeated keys); an object holding an `http.file()` value is sent as
//! `multipart/form-data`; each plain value written as Go's `fmt.Sprint`
//! writes it (k6 does so).

use k6r_http::{Body, FormPart, FormValue};
use rquickjs::object::Property;
use rquickjs::{Ctx, Object, Symbol, Value};

use crate::js;

/// The hidden mark of an `http.file()` object.
const FILE_KEY: &str = "k6r.file";

/// Marks `object` as an `http.file()`.
pub(crate) fn mark_file<'js>(ctx: &Ctx<'js>, object: &Object<'js>) -> rquickjs::Result<()> {
    let key = Symbol::new_global(ctx.clone(), FILE_KEY)?;
    object.prop(key, Property::from(true))
}

fn is_file<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<bool> {
    let Some(object) = value.as_object() else {
        return Ok(false);
    };
    let key = Symbol::new_global(ctx.clone(), FILE_KEY)?;
    Ok(object.get::<_, Value>(key)?.as_bool() == Some(true))
}

/// The body of a plain object: multipart if one of its values is a file.
pub(crate) fn body<'js>(
    object: &Object<'js>,
    bytes: impl Fn(&Value<'js>) -> rquickjs::Result<Vec<u8>>,
) -> rquickjs::Result<Body> {
    let ctx = object.ctx();
    let mut entries = Vec::new();
    let mut multipart = false;
    for entry in object.props::<String, Value>() {
        let (key, value) = entry?;
        multipart |= is_file(ctx, &value)?;
        entries.push((key, value));
    }
    if !multipart {
        // As Go's `url.Values` encodes them: keys sorted, an array as the
        // key repeated.
        let mut pairs = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            match value.as_array() {
                Some(items) => {
                    for item in js::array_items(items)? {
                        pairs.push((key.clone(), go_sprint(&item)?));
                    }
                }
                None => pairs.push((key, go_sprint(&value)?)),
            }
        }
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        return Ok(Body::Form(pairs));
    }
    let mut parts = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        let value = if is_file(ctx, &value)? {
            file_value(&value, &bytes)?
        } else {
            FormValue::Text(go_sprint(&value)?)
        };
        parts.push(FormPart { name, value });
    }
    Ok(Body::Multipart(parts))
}

fn file_value<'js>(
    value: &Value<'js>,
    bytes: impl Fn(&Value<'js>) -> rquickjs::Result<Vec<u8>>,
) -> rquickjs::Result<FormValue> {
    let Some(object) = value.as_object() else {
        return Ok(FormValue::Text(String::new()));
    };
    let data: Value = object.get("data")?;
    let data = if data.is_string() {
        js::to_string(&data)?.into_bytes()
    } else {
        bytes(&data)?
    };
    Ok(FormValue::File {
        data,
        filename: js::to_string(&object.get::<_, Value>("filename")?)?,
        content_type: js::to_string(&object.get::<_, Value>("content_type")?)?,
    })
}

/// How deep a form value may nest: a cycle (`o.o = o`) or a very deep
/// value is an error, not a native stack overflow.
const MAX_DEPTH: usize = 64;

/// A value as Go's `fmt.Sprint` prints what k6 exports it to: arrays as
/// `[a b]`, objects as `map[k:v]` (keys sorted), `null` as `<nil>`.
fn go_sprint(value: &Value<'_>) -> rquickjs::Result<String> {
    sprint_at(value, 0)
}

fn sprint_at(value: &Value<'_>, depth: usize) -> rquickjs::Result<String> {
    if value.is_null() || value.is_undefined() {
        return Ok("<nil>".to_owned());
    }
    if depth >= MAX_DEPTH && value.is_object() && !value.is_function() {
        return Err(js::throw_go_error(
            value.ctx(),
            &format!("a form value nests deeper than {MAX_DEPTH} levels (or refers to itself)"),
        ));
    }
    if let Some(array) = value.as_array() {
        let mut items = Vec::new();
        for item in js::array_items(array)? {
            items.push(sprint_at(&item, depth + 1)?);
        }
        return Ok(format!("[{}]", items.join(" ")));
    }
    if let Some(object) = value.as_object().filter(|_| !value.is_function()) {
        let mut items = Vec::new();
        for entry in object.props::<String, Value>() {
            let (key, value) = entry?;
            items.push((key, sprint_at(&value, depth + 1)?));
        }
        items.sort();
        let items: Vec<String> = items.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
        return Ok(format!("map[{}]", items.join(" ")));
    }
    js::to_string(value)
}

/// The Go type k6 exports `value` to, as its errors name it.
pub(crate) fn go_type(value: &Value<'_>) -> &'static str {
    if value.is_null() || value.is_undefined() {
        return "<nil>";
    }
    if let Some(number) = value.as_number() {
        return if number.fract() == 0.0 && number.is_finite() {
            "int64"
        } else {
            "float64"
        };
    }
    if value.is_bool() {
        return "bool";
    }
    if value.is_string() {
        return "string";
    }
    if value.is_array() {
        return "[]interface {}";
    }
    if value
        .as_object()
        .is_some_and(|object| object.as_typed_array::<u8>().is_some())
    {
        return "[]uint8";
    }
    if value.is_function() {
        return "func(sobek.FunctionCall) sobek.Value";
    }
    "map[string]interface {}"
}
