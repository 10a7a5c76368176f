//! The JSON form of a metric's thresholds: an array of strings and
//! `{threshold, abortOnFail, delayAbortEval}` objects.

use serde_json::Value;

use super::error::ThresholdError;
use crate::duration::Duration;

/// One threshold as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The expression (`p(95)<200`).
    pub source: String,
    /// Abort the run when it fails.
    pub abort_on_fail: bool,
    /// Do not abort before the run has lasted this long.
    pub delay_abort_eval: Option<Duration>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn json_err(v: &Value, target: &'static str) -> ThresholdError {
    ThresholdError::Json {
        found: kind(v),
        target,
    }
}

impl Config {
    /// A plain threshold.
    pub fn new(source: impl Into<String>) -> Self {
        Config {
            source: source.into(),
            abort_on_fail: false,
            delay_abort_eval: None,
        }
    }

    /// Reads one metric's list (Go's unmarshalling rules: `null` is an
    /// empty list, and unknown object fields are ignored).
    pub fn parse_list(value: &Value) -> Result<Vec<Config>, ThresholdError> {
        let items = match value {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items,
            other => {
                return Err(json_err(
                    other,
                    "struct field Options.thresholds of type []metrics.thresholdConfig",
                ))
            }
        };
        items.iter().map(Config::parse_one).collect()
    }

    fn parse_one(value: &Value) -> Result<Config, ThresholdError> {
        let obj = match value {
            Value::Null => return Ok(Config::new("")),
            Value::String(s) => return Ok(Config::new(s.clone())),
            Value::Object(obj) => obj,
            other => return Err(json_err(other, "value of type metrics.rawThresholdConfig")),
        };
        let mut c = Config::new("");
        match obj.get("threshold") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => c.source = s.clone(),
            Some(v) => {
                return Err(json_err(
                    v,
                    "struct field rawThresholdConfig.threshold of type string",
                ))
            }
        }
        match obj.get("abortOnFail") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => c.abort_on_fail = *b,
            Some(v) => {
                return Err(json_err(
                    v,
                    "struct field rawThresholdConfig.abortOnFail of type bool",
                ))
            }
        }
        if let Some(v) = obj.get("delayAbortEval") {
            c.delay_abort_eval = Duration::from_json(v)?;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_forms() {
        let list = Config::parse_list(&json!([
            "p(95)<200",
            {"threshold": "count<3", "abortOnFail": true, "delayAbortEval": "10s"},
        ]))
        .unwrap();
        assert_eq!(list[0], Config::new("p(95)<200"));
        assert!(list[1].abort_on_fail);
        assert_eq!(
            list[1].delay_abort_eval,
            Some(Duration::from_nanos(10_000_000_000))
        );
        assert_eq!(
            Config::parse_list(&json!("avg<1")).unwrap_err().to_string(),
            "json: cannot unmarshal string into Go struct field Options.thresholds of type []metrics.thresholdConfig"
        );
        assert!(Config::parse_list(&json!([{"threshold": 5}])).is_err());
        assert!(Config::parse_list(&Value::Null).unwrap().is_empty());
    }
}
