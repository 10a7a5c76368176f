//! Readers that turn the JSON of a script's options into typed, nullable
//! values, failing with the messages k6's Go decoder gives.
//!
//! k6 decodes options with Go's `encoding/json` into null-able types: `null`
//! or a missing key means "not set"; integers may also be given as strings
//! holding an integer (`"3"`); durations follow [`Duration::from_json`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::OptionsError;
use crate::duration::Duration;

/// The Go name of a JSON value's kind, as `encoding/json` prints it.
pub(crate) fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

fn type_error(value: &Value, path: &str, go_type: &str) -> OptionsError {
    OptionsError::Type {
        found: kind(value),
        path: path.to_string(),
        go_type: go_type.to_string(),
    }
}

/// A nullable 64-bit integer (`null.Int`): a JSON integer, or a string
/// holding one; an empty string is unset.
pub(crate) fn int(value: Option<&Value>, path: &str) -> Result<Option<i64>, OptionsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        // Go names the offending number only when it is one that does not fit.
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| OptionsError::Type {
            found: format!("number {n}"),
            path: path.to_string(),
            go_type: "int64".into(),
        }),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| OptionsError::IntString {
                text: s.clone(),
                path: path.to_string(),
            }),
        Some(other) => Err(type_error(other, path, "int64")),
    }
}

/// A nullable boolean (`null.Bool`).
pub(crate) fn boolean(value: Option<&Value>, path: &str) -> Result<Option<bool>, OptionsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(type_error(other, path, "bool")),
    }
}

/// A nullable string (`null.String`).
pub(crate) fn string(value: Option<&Value>, path: &str) -> Result<Option<String>, OptionsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(type_error(other, path, "string")),
    }
}

/// A nullable duration (`types.NullDuration`).
pub(crate) fn duration(
    value: Option<&Value>,
    path: &str,
) -> Result<Option<Duration>, OptionsError> {
    match value {
        None => Ok(None),
        Some(v) => Duration::from_json(v).map_err(|source| OptionsError::Duration {
            path: path.to_string(),
            source,
        }),
    }
}

/// A map of strings (`map[string]string`), e.g. `env` and `tags`.
pub(crate) fn string_map(
    value: Option<&Value>,
    path: &str,
) -> Result<Option<BTreeMap<String, String>>, OptionsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            let mut out = BTreeMap::new();
            for (k, v) in map {
                match v {
                    Value::String(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    other => return Err(type_error(other, path, "string")),
                }
            }
            Ok(Some(out))
        }
        Some(other) => Err(type_error(other, path, "map[string]string")),
    }
}

/// A list of strings (`[]string`), e.g. `summaryTrendStats`.
pub(crate) fn string_list(
    value: Option<&Value>,
    path: &str,
) -> Result<Option<Vec<String>>, OptionsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(type_error(other, path, "string")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(type_error(other, path, "[]string")),
    }
}

/// An object, or an error naming the Go type expected there.
pub(crate) fn object<'a>(
    value: &'a Value,
    path: &str,
    go_type: &str,
) -> Result<&'a serde_json::Map<String, Value>, OptionsError> {
    value
        .as_object()
        .ok_or_else(|| type_error(value, path, go_type))
}

/// Rejects keys outside `known`, as k6's strict decoding of scenarios does.
pub(crate) fn deny_unknown(
    map: &serde_json::Map<String, Value>,
    known: &[&str],
) -> Result<(), OptionsError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(field) => Err(OptionsError::UnknownField(field.clone())),
        None => Ok(()),
    }
}

/// JSON for a nullable value: `null` when unset.
pub(crate) fn opt<T: serde::Serialize>(value: &Option<T>) -> Value {
    match value {
        Some(v) => serde_json::to_value(v).unwrap_or(Value::Null),
        None => Value::Null,
    }
}
