//! A ramping stage: `{duration, target}`.

use serde_json::{json, Value};

use super::{json as j, OptionsError};
use crate::duration::Duration;

/// One stage of `stages` (ramping-vus, ramping-arrival-rate or the global
/// shortcut). Both fields stay nullable so validation can name what is
/// missing; targets are VUs or iterations per `timeUnit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// How long the ramp to `target` takes.
    pub duration: Option<Duration>,
    /// Where the ramp ends.
    pub target: Option<i64>,
}

impl Stage {
    /// A stage with both fields set.
    pub fn new(duration: Duration, target: i64) -> Stage {
        Stage {
            duration: Some(duration),
            target: Some(target),
        }
    }

    /// Reads a stage object; `path` names it in Go's terms for errors.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Stage, OptionsError> {
        let map = j::object(value, path, "executor.Stage")?;
        Ok(Stage {
            duration: j::duration(map.get("duration"), &format!("{path}.duration"))?,
            target: j::int(map.get("target"), &format!("{path}.target"))?,
        })
    }

    /// Reads a list of stages; `null` is unset.
    pub(crate) fn list_from_json(
        value: Option<&Value>,
        path: &str,
    ) -> Result<Option<Vec<Stage>>, OptionsError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| Stage::from_json(item, path))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(OptionsError::Type {
                found: j::kind(other),
                path: path.to_string(),
                go_type: "[]executor.Stage".into(),
            }),
        }
    }

    /// Parses a CLI/env stage `dur:target` (`K6_STAGES=1s:2,1s:0`, `-s 1s:3`).
    /// The duration needs a unit; a stage without a target keeps it unset so
    /// that validation reports it.
    pub fn parse_cli(text: &str, index: usize) -> Result<Stage, OptionsError> {
        let (dur, target) = match text.split_once(':') {
            Some((d, t)) => (d, Some(t)),
            None => (text, None),
        };
        if dur.is_empty() {
            return Err(OptionsError::CliStage(format!(
                "stage {index} doesn't have a specified duration"
            )));
        }
        let duration =
            Duration::parse_go(dur).map_err(|e| OptionsError::CliStage(e.to_string()))?;
        let target = match target {
            None => None,
            Some(t) => Some(t.parse::<i64>().map_err(|_| {
                OptionsError::CliStage(format!("strconv.ParseInt: parsing \"{t}\": invalid syntax"))
            })?),
        };
        Ok(Stage {
            duration: Some(duration),
            target,
        })
    }

    /// The stage as k6 prints it in the consolidated options.
    pub fn to_json(&self) -> Value {
        json!({ "duration": j::opt(&self.duration), "target": j::opt(&self.target) })
    }
}
