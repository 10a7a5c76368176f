//! Decoding a `PATCH /v1/scenarios/{name}` body into a
//! [`Change`]: a JSON:API envelope like `PATCH /v1/status`'s, whose
//! attributes are [`ScenarioPatch`]; durations in k6's syntax.

use k6r_api::scenarios::{ScenarioPatch, ScenarioPatchEnvelope};
use k6r_core::steer::{Change, ChangeError, Field};
use k6r_core::Duration;

use crate::error::Error;

/// The change in `body` for scenario `name` (an `id` in the body, if any,
/// must be `name`).
pub fn decode(body: &[u8], name: &str) -> Result<Change, Error> {
    let envelope: ScenarioPatchEnvelope =
        serde_json::from_slice(body).map_err(|e| Error::InvalidData(e.to_string()))?;
    let resource = envelope.data;
    if !resource.id.is_empty() && resource.id != name {
        return Err(Error::InvalidData(format!(
            "the body's id {:?} is not the scenario {name:?} of the path",
            resource.id
        )));
    }
    change(resource.attributes).map_err(Error::Change)
}

/// The change the attributes ask for.
pub fn change(patch: ScenarioPatch) -> Result<Change, ChangeError> {
    let duration = |field, text: Option<String>| -> Result<Option<Duration>, ChangeError> {
        text.map(|t| {
            Duration::parse_extended(&t).map_err(|_| ChangeError::Invalid {
                field,
                reason: "must be a duration such as \"30s\"",
            })
        })
        .transpose()
    };
    Ok(Change {
        rate: patch.rate,
        time_unit: duration(Field::TimeUnit, patch.time_unit)?,
        factor: patch.factor,
        vus: patch.vus,
        paused: patch.paused,
        extend: duration(Field::Extend, patch.extend)?,
        duration: duration(Field::Duration, patch.duration)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_becomes_a_change() {
        let body = br#"{"data":{"type":"scenarios","id":"s","attributes":{"rate":200,"timeUnit":"1m","extend":"30s"}}}"#;
        let change = decode(body, "s").unwrap();
        assert_eq!(change.rate, Some(200));
        assert_eq!(change.time_unit, Some(Duration::from_secs(60)));
        assert_eq!(change.extend, Some(Duration::from_secs(30)));
    }

    #[test]
    fn a_bad_body_is_refused_naming_the_field() {
        let body = br#"{"data":{"type":"scenarios","id":"s","attributes":{"extend":"soon"}}}"#;
        let e = decode(body, "s").unwrap_err();
        assert_eq!(e.to_string(), "extend must be a duration such as \"30s\"");
        let body = br#"{"data":{"type":"scenarios","id":"s","attributes":{"speed":2}}}"#;
        assert!(decode(body, "s")
            .unwrap_err()
            .to_string()
            .contains("unknown field `speed`"));
        let body = br#"{"data":{"type":"scenarios","id":"t","attributes":{"rate":2}}}"#;
        assert!(decode(body, "s").is_err());
    }
}
