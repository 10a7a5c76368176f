//! The options object as k6 reads it: sobek exports the JavaScript value
//! to Go values, and xk6-redis marshals those to JSON before decoding
//! them into its option structs. [`export`] does both steps at once,
//! keeping Go's view of each value (`1` is an `int64`, `1.5` a `float64`,
//! object keys sorted) and its marshalling failures.

use rquickjs::{Array, Object, Value};

use crate::binary;
use crate::js;

/// A JSON value as Go's `json.Marshal` wrote it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Json {
    Null,
    Bool(bool),
    /// The number's literal (`1`, `1.5`, `1e+21`).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Keys in Go's order (sorted by bytes).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What Go's decoder calls this kind of value in its errors.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// How deep an options object may nest (a cycle would never end).
const MAX_DEPTH: usize = 32;

/// `value` exported and marshalled; `Err` is `json.Marshal`'s error.
pub(super) fn export(value: &Value<'_>) -> rquickjs::Result<Result<Json, String>> {
    export_at(value, 0)
}

fn export_at(value: &Value<'_>, depth: usize) -> rquickjs::Result<Result<Json, String>> {
    if depth > MAX_DEPTH {
        return Ok(Err(
            "json: unsupported value: encountered a cycle via map[string]interface {}".to_owned(),
        ));
    }
    if value.is_undefined() || value.is_null() {
        return Ok(Ok(Json::Null));
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Ok(Json::Bool(flag)));
    }
    if let Some(int) = value.as_int() {
        return Ok(Ok(Json::Number(int.to_string())));
    }
    if let Some(number) = value.as_float() {
        return Ok(float(number));
    }
    if let Some(text) = value.as_string() {
        return Ok(Ok(Json::String(text.to_string()?)));
    }
    if value.is_function() {
        return Ok(Err(format!(
            "json: unsupported type: {}",
            binary::go_type(value)
        )));
    }
    if value.is_big_int() {
        return Ok(Ok(Json::Number(js::to_string(value)?)));
    }
    if let Some(array) = value.as_array() {
        return array_json(array, depth);
    }
    let Some(object) = value.as_object() else {
        // A symbol: a Go pointer to a struct of unexported fields.
        return Ok(Ok(Json::Object(Vec::new())));
    };
    if binary::go_type(value) == "time.Time" {
        // `time.Time` marshals to its RFC 3339 text.
        let text: Value = object
            .get::<_, rquickjs::Function>("toISOString")?
            .call((rquickjs::function::This(object.clone()),))?;
        return Ok(Ok(Json::String(js::to_string(&text)?)));
    }
    object_json(object, depth)
}

fn array_json(array: &Array<'_>, depth: usize) -> rquickjs::Result<Result<Json, String>> {
    let mut items = Vec::new();
    for item in js::array_items(array)? {
        match export_at(&item, depth + 1)? {
            Ok(json) => items.push(json),
            Err(error) => return Ok(Err(error)),
        }
    }
    Ok(Ok(Json::Array(items)))
}

fn object_json(object: &Object<'_>, depth: usize) -> rquickjs::Result<Result<Json, String>> {
    let mut fields = Vec::new();
    for key in object.keys::<String>() {
        let key = key?;
        let value: Value = object.get(key.as_str())?;
        fields.push((key, value));
    }
    // Go marshals a map with its keys sorted.
    fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        match export_at(&value, depth + 1)? {
            Ok(json) => out.push((key, json)),
            Err(error) => return Ok(Err(error)),
        }
    }
    Ok(Ok(Json::Object(out)))
}

/// A JavaScript number as sobek exports it (an `int64` when integral)
/// and Go's JSON writes it.
fn float(number: f64) -> Result<Json, String> {
    if number.is_nan() {
        return Err("json: unsupported value: NaN".to_owned());
    }
    if number.is_infinite() {
        let sign = if number > 0.0 { '+' } else { '-' };
        return Err(format!("json: unsupported value: {sign}Inf"));
    }
    let integral = number.fract() == 0.0
        && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&number)
        && !(number == 0.0 && number.is_sign_negative());
    if integral {
        return Ok(Json::Number((number as i64).to_string()));
    }
    Ok(Json::Number(go_float(number)))
}

/// Go's `encoding/json` text of a float64: shortest digits, exponent form
/// below 1e-6 and from 1e21 (`1e+21`, `1e-7`).
pub(super) fn go_float(number: f64) -> String {
    let abs = number.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{number:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(digits) => ('-', digits),
            None => ('+', exponent),
        };
        // Go pads to two digits, then `encoding/json` drops the pad of
        // negative exponents again.
        let digits = if digits.len() < 2 && sign == '+' {
            format!("0{digits}")
        } else {
            digits.to_owned()
        };
        return format!("{mantissa}e{sign}{digits}");
    }
    format!("{number}")
}

#[cfg(test)]
mod tests {
    use super::{float, go_float, Json};

    #[test]
    fn numbers_are_written_as_go_writes_them() {
        assert_eq!(float(1.0), Ok(Json::Number("1".into())));
        assert_eq!(float(1.5), Ok(Json::Number("1.5".into())));
        assert_eq!(float(-0.0), Ok(Json::Number("-0".into())));
        assert_eq!(
            float(1e20),
            Ok(Json::Number("100000000000000000000".into()))
        );
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1.5e-7), "1.5e-7");
        assert_eq!(go_float(1e100), "1e+100");
        assert_eq!(
            float(f64::NAN),
            Err("json: unsupported value: NaN".to_owned())
        );
        assert_eq!(
            float(f64::NEG_INFINITY),
            Err("json: unsupported value: -Inf".to_owned())
        );
    }
}
