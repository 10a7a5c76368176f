//! Decoding a `PATCH /v1/status` body as k6 does: Go's `encoding/json`
//! into `v1.StatusJSONAPI`, whose `paused` is a `null.Bool` and whose
//! `vus`/`vus-max` are `null.Int`s (which also accept `"5"`, `""` and
//! `{"Int64":5,"Valid":true}`). Errors are Go's messages, because k6 puts
//! them in the `Invalid data` error's detail.

use crate::gojson::{self, Json};

/// What a PATCH asks for; `None` = leave alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusPatch {
    /// Pause (`true`) or resume (`false`).
    pub paused: Option<bool>,
    /// New active VUs (may be negative or huge: validated by the backend).
    pub vus: Option<i64>,
    /// New max VUs.
    pub vus_max: Option<i64>,
    /// Stop the run (takes precedence over everything else).
    pub stopped: bool,
}

impl StatusPatch {
    /// Whether `vus` or `vus-max` is set.
    pub fn changes_vus(&self) -> bool {
        self.vus.is_some() || self.vus_max.is_some()
    }
}

/// Go's two kinds of decoding errors: type mismatches of plain fields are
/// remembered (the first one wins) and decoding goes on; errors of custom
/// unmarshalers (`null.Int`, `null.Bool`) end it at once.
struct Decoder {
    saved: Option<String>,
}

type Fatal = String;

/// Decodes a PATCH body; the error is the `Invalid data` detail.
pub fn decode(body: &[u8]) -> Result<StatusPatch, String> {
    let json = gojson::parse(body)?;
    let mut patch = StatusPatch::default();
    let mut d = Decoder { saved: None };
    d.root(&json, &mut patch)?;
    match d.saved {
        Some(e) => Err(e),
        None => Ok(patch),
    }
}

fn field<'a>(
    fields: &'a [(String, Json)],
    names: &'static [&'static str],
) -> Vec<(&'static str, &'a Json)> {
    // Go matches a key to a field exactly, else case-insensitively.
    fields
        .iter()
        .filter_map(|(k, v)| {
            names
                .iter()
                .find(|n| k == *n)
                .or_else(|| names.iter().find(|n| k.eq_ignore_ascii_case(n)))
                .map(|n| (*n, v))
        })
        .collect()
}

fn field_error(kind: &str, strukt: &str, path: &str, ty: &str) -> String {
    format!("json: cannot unmarshal {kind} into Go struct field {strukt}.{path} of type {ty}")
}

impl Decoder {
    fn save(&mut self, e: String) {
        self.saved.get_or_insert(e);
    }

    fn root(&mut self, json: &Json, patch: &mut StatusPatch) -> Result<(), Fatal> {
        let fields = match json {
            Json::Null => return Ok(()),
            Json::Object(fields) => fields,
            other => {
                self.save(format!(
                    "json: cannot unmarshal {} into Go value of type v1.StatusJSONAPI",
                    other.kind()
                ));
                return Ok(());
            }
        };
        for (_, data) in field(fields, &["data"]) {
            match data {
                Json::Null => {}
                Json::Object(fields) => self.data(fields, patch)?,
                other => self.save(field_error(
                    other.kind(),
                    "StatusJSONAPI",
                    "data",
                    "v1.statusData",
                )),
            }
        }
        Ok(())
    }

    fn data(&mut self, fields: &[(String, Json)], patch: &mut StatusPatch) -> Result<(), Fatal> {
        for (name, value) in field(fields, &["type", "id", "attributes"]) {
            match (name, value) {
                (_, Json::Null) => {}
                ("attributes", Json::Object(fields)) => self.attributes(fields, patch)?,
                ("attributes", other) => self.save(field_error(
                    other.kind(),
                    "statusData",
                    "data.attributes",
                    "v1.Status",
                )),
                (_, Json::String(_)) => {}
                (name, other) => self.save(field_error(
                    other.kind(),
                    "statusData",
                    &format!("data.{name}"),
                    "string",
                )),
            }
        }
        Ok(())
    }

    fn attributes(
        &mut self,
        fields: &[(String, Json)],
        patch: &mut StatusPatch,
    ) -> Result<(), Fatal> {
        const NAMES: &[&str] = &[
            "status", "paused", "vus", "vus-max", "stopped", "running", "tainted",
        ];
        for (name, value) in field(fields, NAMES) {
            let path = format!("data.attributes.{name}");
            match name {
                "status" => match value {
                    Json::Null => {}
                    Json::Number(n) if n.parse::<u32>().is_ok() => {}
                    Json::Number(n) => self.save(field_error(
                        &format!("number {n}"),
                        "Status",
                        &path,
                        "lib.ExecutionStatus",
                    )),
                    other => self.save(field_error(
                        other.kind(),
                        "Status",
                        &path,
                        "lib.ExecutionStatus",
                    )),
                },
                "paused" => {
                    if let Some(p) = null_bool(value, &path)? {
                        patch.paused = p;
                    }
                }
                "vus" | "vus-max" => {
                    if let Some(n) = null_int(value, &path)? {
                        if name == "vus" {
                            patch.vus = n;
                        } else {
                            patch.vus_max = n;
                        }
                    }
                }
                _ => match value {
                    Json::Null => {}
                    Json::Bool(b) => {
                        if name == "stopped" {
                            patch.stopped = *b;
                        }
                    }
                    other => self.save(field_error(other.kind(), "Status", &path, "bool")),
                },
            }
        }
        Ok(())
    }
}

/// Go's name of the type `interface{}` decoding gives a value, as
/// `reflect.TypeOf(v).Name()` prints it (unnamed slices and maps: "").
fn go_type_name(json: &Json) -> &'static str {
    match json {
        Json::Bool(_) => "bool",
        Json::Number(_) => "float64",
        Json::String(_) => "string",
        _ => "",
    }
}

/// `null.Bool.UnmarshalJSON`. `Ok(None)`: no change; `Ok(Some(v))`: the
/// field becomes `v` (`None` = null).
fn null_bool(json: &Json, path: &str) -> Result<Option<Option<bool>>, Fatal> {
    match json {
        Json::Null => Ok(Some(None)),
        Json::Bool(b) => Ok(Some(Some(*b))),
        Json::Object(fields) => {
            // Into sql.NullBool; `Valid` ends up true whatever it said.
            let mut value = false;
            let mut saved = None;
            for (name, v) in field(fields, &["Bool", "Valid"]) {
                match v {
                    Json::Bool(b) if name == "Bool" => value = *b,
                    Json::Bool(_) | Json::Null => {}
                    other => {
                        saved.get_or_insert(field_error(
                            other.kind(),
                            "Status",
                            &format!("{path}.{name}"),
                            "bool",
                        ));
                    }
                }
            }
            match saved {
                Some(e) => Err(e),
                None => Ok(Some(Some(value))),
            }
        }
        Json::Deep(true) => Ok(Some(Some(false))),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type null.Bool",
            go_type_name(other)
        )),
    }
}

/// `null.Int.UnmarshalJSON`.
fn null_int(json: &Json, path: &str) -> Result<Option<Option<i64>>, Fatal> {
    match json {
        Json::Null => Ok(Some(None)),
        Json::Number(n) => n
            .parse::<i64>()
            .map(|v| Some(Some(v)))
            .map_err(|_| field_error(&format!("number {n}"), "Status", path, "int64")),
        Json::String(s) if s.is_empty() => Ok(Some(None)),
        Json::String(s) => parse_int(s).map(|v| Some(Some(v))),
        Json::Object(fields) => {
            let mut value = 0;
            let mut saved = None;
            for (name, v) in field(fields, &["Int64", "Valid"]) {
                let sub = format!("{path}.{name}");
                match (name, v) {
                    (_, Json::Null) => {}
                    ("Int64", Json::Number(n)) => match n.parse::<i64>() {
                        Ok(n) => value = n,
                        Err(_) => {
                            saved.get_or_insert(field_error(
                                &format!("number {n}"),
                                "Status",
                                &sub,
                                "int64",
                            ));
                        }
                    },
                    ("Int64", other) => {
                        saved.get_or_insert(field_error(other.kind(), "Status", &sub, "int64"));
                    }
                    (_, Json::Bool(_)) => {}
                    (_, other) => {
                        saved.get_or_insert(field_error(other.kind(), "Status", &sub, "bool"));
                    }
                }
            }
            match saved {
                Some(e) => Err(e),
                None => Ok(Some(Some(value))),
            }
        }
        Json::Deep(true) => Ok(Some(Some(0))),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type null.Int",
            go_type_name(other)
        )),
    }
}

/// `strconv.ParseInt(s, 10, 64)` with its error text.
fn parse_int(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    s.strip_prefix('+')
        .unwrap_or(s)
        .parse::<i64>()
        .map_err(|_| {
            format!(
                "strconv.ParseInt: parsing {}: value out of range",
                go_quote(s)
            )
        })
}

/// Go's `strconv.Quote` for the common cases.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            '\u{fffd}' => out.push_str("\\ufffd"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> String {
        decode(body.as_bytes()).unwrap_err()
    }

    fn ok(body: &str) -> StatusPatch {
        decode(body.as_bytes()).unwrap()
    }

    /// Every message here was observed on k6 v1.1.0.
    #[test]
    fn k6_messages() {
        for (body, message) in [
            ("[]", "json: cannot unmarshal array into Go value of type v1.StatusJSONAPI"),
            ("5", "json: cannot unmarshal number into Go value of type v1.StatusJSONAPI"),
            ("\"x\"", "json: cannot unmarshal string into Go value of type v1.StatusJSONAPI"),
            (r#"{"data":5}"#, "json: cannot unmarshal number into Go struct field StatusJSONAPI.data of type v1.statusData"),
            (r#"{"data":{"attributes":5}}"#, "json: cannot unmarshal number into Go struct field statusData.data.attributes of type v1.Status"),
            (r#"{"data":{"type":5}}"#, "json: cannot unmarshal number into Go struct field statusData.data.type of type string"),
            (r#"{"data":{"attributes":{"vus":"x"}}}"#, "strconv.ParseInt: parsing \"x\": invalid syntax"),
            (r#"{"data":{"attributes":{"vus":1.5}}}"#, "json: cannot unmarshal number 1.5 into Go struct field Status.data.attributes.vus of type int64"),
            (r#"{"data":{"attributes":{"vus":1e2}}}"#, "json: cannot unmarshal number 1e2 into Go struct field Status.data.attributes.vus of type int64"),
            (r#"{"data":{"attributes":{"vus":99999999999999999999}}}"#, "json: cannot unmarshal number 99999999999999999999 into Go struct field Status.data.attributes.vus of type int64"),
            (r#"{"data":{"attributes":{"vus":true}}}"#, "json: cannot unmarshal bool into Go value of type null.Int"),
            (r#"{"data":{"attributes":{"vus":[]}}}"#, "json: cannot unmarshal  into Go value of type null.Int"),
            (r#"{"data":{"attributes":{"paused":"true"}}}"#, "json: cannot unmarshal string into Go value of type null.Bool"),
            (r#"{"data":{"attributes":{"paused":1}}}"#, "json: cannot unmarshal float64 into Go value of type null.Bool"),
            (r#"{"data":{"attributes":{"stopped":"x"}}}"#, "json: cannot unmarshal string into Go struct field Status.data.attributes.stopped of type bool"),
            (r#"{"data":{"attributes":{"running":1}}}"#, "json: cannot unmarshal number into Go struct field Status.data.attributes.running of type bool"),
            (r#"{"data":{"attributes":{"status":"x"}}}"#, "json: cannot unmarshal string into Go struct field Status.data.attributes.status of type lib.ExecutionStatus"),
            ("{bad json", "invalid character 'b' looking for beginning of object key string"),
            ("", "unexpected end of JSON input"),
        ] {
            assert_eq!(err(body), message, "{body}");
        }
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(ok("null"), StatusPatch::default());
        assert_eq!(ok("{}"), StatusPatch::default());
        assert_eq!(ok(r#"{"data":{"attributes":{}}}"#), StatusPatch::default());
        assert_eq!(ok(r#"{"data":{"attributes":{"vus":"2"}}}"#).vus, Some(2));
        assert_eq!(ok(r#"{"data":{"attributes":{"vus":""}}}"#).vus, None);
        assert_eq!(
            ok(r#"{"data":{"attributes":{"vus":{"Int64":2,"Valid":true}}}}"#).vus,
            Some(2)
        );
        assert_eq!(
            ok(r#"{"data":{"attributes":{"stopped":null}}}"#),
            StatusPatch::default()
        );
        assert_eq!(
            ok(r#"{"DATA":{"Attributes":{"VUS-MAX":7,"Paused":true}}}"#),
            StatusPatch {
                vus_max: Some(7),
                paused: Some(true),
                ..StatusPatch::default()
            }
        );
        let scale = ok(
            r#"{"data":{"type":"status","id":"default","attributes":{"status":0,"paused":null,"vus":0,"vus-max":0,"stopped":false,"running":false,"tainted":false}}}"#,
        );
        assert_eq!(
            (scale.vus, scale.vus_max, scale.paused),
            (Some(0), Some(0), None)
        );
        assert_eq!(ok(r#"{"data":{"attributes":{"vus":-1}}}"#).vus, Some(-1));
    }
}
