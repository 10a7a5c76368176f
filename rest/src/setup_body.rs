//! Decoding a `PUT /v1/setup` body as k6 does: Go's `encoding/json` into
//! `interface{}` (so numbers must fit a `float64`), kept compacted as
//! `json.Marshal` writes a `json.RawMessage`. An empty body clears the data.

use serde_json::value::RawValue;

use crate::backend::SetupData;
use crate::gojson;

/// Decodes a setup body; the error is the `Error parsing request body`
/// detail.
pub fn decode(body: &[u8]) -> Result<SetupData, String> {
    if body.is_empty() {
        return Ok(None);
    }
    let json = gojson::parse(body)?;
    gojson::check_floats(&json)?;
    let raw = RawValue::from_string(gojson::compact(body)).map_err(|e| e.to_string())?;
    Ok(Some(raw))
}
