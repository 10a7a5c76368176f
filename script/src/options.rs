//! The exported `options` as JSON.
//!
//! Follows `JSON.stringify` (`toJSON` is honoured, `undefined` and symbol
//! properties are dropped, `undefined` array items become `null`) except
//! where k6, which marshals with Go's encoder, fails: functions, BigInts,
//! `NaN`/`Infinity` and cycles are errors naming where they are.

use rquickjs::function::This;
use rquickjs::{Object, Value};
use serde_json::{Map, Number};

/// Why a value can't be converted to JSON. `path` is where it is, e.g.
/// `options.scenarios.s1.exec` or `options.stages[1]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// A function value.
    #[error("{path} is a function, which can't be converted to JSON")]
    Function {
        /// Where.
        path: String,
    },
    /// A BigInt value.
    #[error("{path} is a BigInt, which can't be converted to JSON")]
    BigInt {
        /// Where.
        path: String,
    },
    /// `NaN` or an infinity.
    #[error("{path} is {value}, which can't be converted to JSON")]
    NotFinite {
        /// Where.
        path: String,
        /// `NaN`, `Infinity` or `-Infinity`.
        value: String,
    },
    /// An object that contains itself.
    #[error(
        "{path} refers back to an enclosing object (a cycle), which can't be converted to JSON"
    )]
    Cycle {
        /// Where the cycle closes.
        path: String,
    },
    /// Objects nested deeper than `max`.
    #[error("{path} is nested more than {max} levels deep")]
    TooDeep {
        /// Where the limit was hit.
        path: String,
        /// The limit.
        max: usize,
    },
}

/// Why [`to_json`] failed.
#[derive(Debug)]
pub(crate) enum ToJsonError {
    /// The value has no JSON form.
    Convert(ConvertError),
    /// JavaScript (a getter, a `toJSON`) threw; the exception is pending
    /// on the context.
    Js(rquickjs::Error),
}

impl From<rquickjs::Error> for ToJsonError {
    fn from(error: rquickjs::Error) -> Self {
        ToJsonError::Js(error)
    }
}

/// Deeper than any real options object; keeps the walk (which recurses)
/// far from the end of the native stack.
const MAX_DEPTH: usize = 256;

/// `value` as JSON; `None` when `JSON.stringify` would give `undefined`
/// (`value` is `undefined`, a symbol, or `toJSON` returned `undefined`).
pub(crate) fn to_json<'js>(
    value: Value<'js>,
    path: &str,
) -> Result<Option<serde_json::Value>, ToJsonError> {
    let mut walker = Walker {
        enclosing: Vec::new(),
    };
    walker.walk(value, "", path)
}

struct Walker<'js> {
    /// The objects being converted, outermost first, to detect cycles.
    enclosing: Vec<Object<'js>>,
}

impl<'js> Walker<'js> {
    fn walk(
        &mut self,
        value: Value<'js>,
        key: &str,
        path: &str,
    ) -> Result<Option<serde_json::Value>, ToJsonError> {
        let value = apply_to_json(value, key)?;
        let fail = |error: ConvertError| Err(ToJsonError::Convert(error));
        if value.is_undefined() || value.is_symbol() {
            return Ok(None);
        }
        if value.is_null() {
            return Ok(Some(serde_json::Value::Null));
        }
        if let Some(flag) = value.as_bool() {
            return Ok(Some(serde_json::Value::Bool(flag)));
        }
        if let Some(int) = value.as_int() {
            return Ok(Some(serde_json::Value::from(int)));
        }
        if let Some(float) = value.as_float() {
            return match number(float) {
                Some(number) => Ok(Some(serde_json::Value::Number(number))),
                None => fail(ConvertError::NotFinite {
                    path: path.to_owned(),
                    value: js_number_name(float).to_owned(),
                }),
            };
        }
        if let Some(text) = value.as_string() {
            return Ok(Some(serde_json::Value::String(text.to_string()?)));
        }
        if value.is_big_int() {
            return fail(ConvertError::BigInt {
                path: path.to_owned(),
            });
        }
        if value.is_function() {
            return fail(ConvertError::Function {
                path: path.to_owned(),
            });
        }
        let Some(object) = value.as_object() else {
            // Nothing else has a JSON form (modules, uninitialized slots).
            return Ok(None);
        };
        if self.enclosing.iter().any(|outer| outer == object) {
            return fail(ConvertError::Cycle {
                path: path.to_owned(),
            });
        }
        if self.enclosing.len() >= MAX_DEPTH {
            return fail(ConvertError::TooDeep {
                path: path.to_owned(),
                max: MAX_DEPTH,
            });
        }
        self.enclosing.push(object.clone());
        let converted = if value.is_array() {
            self.array(object, path)
        } else {
            self.object(object, path)
        };
        self.enclosing.pop();
        converted.map(Some)
    }

    fn array(&mut self, array: &Object<'js>, path: &str) -> Result<serde_json::Value, ToJsonError> {
        let length: f64 = array.get("length")?;
        let mut items = Vec::new();
        let mut index = 0u32;
        while f64::from(index) < length {
            let item: Value = array.get(index)?;
            let item_path = format!("{path}[{index}]");
            let item = self.walk(item, &index.to_string(), &item_path)?;
            items.push(item.unwrap_or(serde_json::Value::Null));
            index += 1;
        }
        Ok(serde_json::Value::Array(items))
    }

    fn object(
        &mut self,
        object: &Object<'js>,
        path: &str,
    ) -> Result<serde_json::Value, ToJsonError> {
        let mut map = Map::new();
        let keys: Vec<String> = object.keys().collect::<rquickjs::Result<_>>()?;
        for key in keys {
            let value: Value = object.get(key.as_str())?;
            let value_path = format!("{path}.{key}");
            if let Some(value) = self.walk(value, &key, &value_path)? {
                map.insert(key, value);
            }
        }
        Ok(serde_json::Value::Object(map))
    }
}

/// `value.toJSON(key)` when it has one (a `Date`, for instance).
fn apply_to_json<'js>(value: Value<'js>, key: &str) -> rquickjs::Result<Value<'js>> {
    let Some(object) = value.as_object() else {
        return Ok(value);
    };
    let to_json: Value = object.get("toJSON")?;
    match to_json.into_function() {
        Some(function) => function.call((This(object.clone()), key)),
        None => Ok(value),
    }
}

/// A float as a JSON number: integral values as integers (`2`, not `2.0`).
fn number(float: f64) -> Option<Number> {
    if !float.is_finite() {
        return None;
    }
    const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
    if float.fract() == 0.0 && float.abs() <= SAFE {
        // `-0` too: JSON.stringify prints it as `0`.
        return Some(Number::from(float as i64));
    }
    Number::from_f64(float)
}

fn js_number_name(float: f64) -> &'static str {
    if float.is_nan() {
        "NaN"
    } else if float > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}
