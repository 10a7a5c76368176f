//! Free-form user JSON (`Options.raw`, a scenario's `options`) ↔
//! `JsonValue`: a typed tree, so integers stay integers (`5` and `5.0`
//! are different values) and objects keep their key order.

use serde_json::{Map, Number, Value};

use super::OptionsWireError;
use crate::v1::{self, json_value::Kind};

type Result<T> = std::result::Result<T, OptionsWireError>;

impl From<&Value> for v1::JsonValue {
    fn from(value: &Value) -> Self {
        let kind = match value {
            Value::Null => Kind::NullValue(v1::JsonNull {}),
            Value::Bool(b) => Kind::BoolValue(*b),
            Value::Number(n) => number(n),
            Value::String(s) => Kind::StringValue(s.clone()),
            Value::Array(items) => Kind::ListValue(v1::JsonList {
                values: items.iter().map(v1::JsonValue::from).collect(),
            }),
            Value::Object(map) => Kind::ObjectValue(v1::JsonObject {
                fields: map
                    .iter()
                    .map(|(key, value)| v1::JsonField {
                        key: key.clone(),
                        value: Some(value.into()),
                    })
                    .collect(),
            }),
        };
        v1::JsonValue { kind: Some(kind) }
    }
}

/// A non-negative integer as `uint_value`, a negative one as `int_value`,
/// anything else (a float, even `5.0`) as `double_value`.
fn number(n: &Number) -> Kind {
    if let Some(u) = n.as_u64() {
        Kind::UintValue(u)
    } else if let Some(i) = n.as_i64() {
        Kind::IntValue(i)
    } else {
        // Without serde_json's arbitrary precision every number is one of
        // the three.
        Kind::DoubleValue(n.as_f64().unwrap_or_default())
    }
}

impl TryFrom<&v1::JsonValue> for Value {
    type Error = OptionsWireError;

    /// Refuses a value without `kind` and a non-finite float. Of a key an
    /// object gives twice, the last value wins (in the first one's place).
    fn try_from(wire: &v1::JsonValue) -> Result<Value> {
        let kind = wire
            .kind
            .as_ref()
            .ok_or_else(|| OptionsWireError::missing("kind"))?;
        Ok(match kind {
            Kind::NullValue(_) => Value::Null,
            Kind::BoolValue(b) => Value::Bool(*b),
            Kind::IntValue(i) => Value::from(*i),
            Kind::UintValue(u) => Value::from(*u),
            Kind::DoubleValue(f) => match Number::from_f64(*f) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(OptionsWireError::NonFinite {
                        field: "double_value".into(),
                        value: *f,
                    })
                }
            },
            Kind::StringValue(s) => Value::String(s.clone()),
            Kind::ListValue(list) => {
                let mut items = Vec::with_capacity(list.values.len());
                for (i, item) in list.values.iter().enumerate() {
                    items.push(Value::try_from(item).map_err(|e| e.within(&format!("[{i}]")))?);
                }
                Value::Array(items)
            }
            Kind::ObjectValue(object) => {
                let mut map = Map::with_capacity(object.fields.len());
                for field in &object.fields {
                    let at = format!("[{:?}]", field.key);
                    let value = field
                        .value
                        .as_ref()
                        .ok_or_else(|| OptionsWireError::missing(format!("{at}.value")))?;
                    let value = Value::try_from(value).map_err(|e| e.within(&at))?;
                    map.insert(field.key.clone(), value);
                }
                Value::Object(map)
            }
        })
    }
}
