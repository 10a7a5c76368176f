//! Messages between JavaScript and protobuf, through proto3's JSON
//! mapping as k6 does it (protojson): a request object is read as its
//! JSON; a response is written with every field, defaults included
//! (`EmitUnpopulated`), names in lowerCamelCase, 64-bit integers as
//! strings, enums by name and bytes in base64.

use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions};
use rquickjs::{Ctx, Object, Value};
use tonic::metadata::{KeyAndValueRef, MetadataMap};

/// `value` (an object: its JSON) as a message of `descriptor`.
pub(super) fn to_message<'js>(
    ctx: &Ctx<'js>,
    descriptor: &MessageDescriptor,
    value: Option<&Value<'js>>,
) -> Result<DynamicMessage, String> {
    let json = match value {
        None => "{}".to_owned(),
        Some(value) if value.is_undefined() || value.is_null() => "{}".to_owned(),
        Some(value) => ctx
            .json_stringify(value.clone())
            .map_err(|_| {
                let _ = ctx.catch();
                "unable to serialise request object".to_owned()
            })?
            .map(|s| s.to_string())
            .transpose()
            .map_err(|e| e.to_string())?
            .unwrap_or_else(|| "{}".to_owned()),
    };
    let mut deserializer = serde_json::Deserializer::from_str(&json);
    let message = DynamicMessage::deserialize_with_options(
        descriptor.clone(),
        &mut deserializer,
        &DeserializeOptions::new(),
    )
    .and_then(|message| deserializer.end().map(|()| message))
    .map_err(|e| {
        format!(
            "unable to serialise request object to protocol buffer: {}",
            protojson_error(&json, &e.to_string())
        )
    })?;
    Ok(message)
}

/// An unknown field as Go's protojson words it (`proto: (line 1:COL):
/// unknown field "NAME"`, the column of the key's quote in the compact
/// JSON); other errors as they are.
fn protojson_error(json: &str, error: &str) -> String {
    let unknown = error
        .strip_prefix("unrecognized field name '")
        .and_then(|rest| rest.split_once('\''))
        .map(|(name, _)| name);
    if let Some(name) = unknown {
        let key = format!("\"{name}\":");
        if let Some(at) = json.find(&key) {
            let column = json[..at].chars().count() + 1;
            return format!("proto:\u{a0}(line 1:{column}): unknown field \"{name}\"");
        }
    }
    error.to_owned()
}

/// `message` as JSON text, every field written (as k6 writes a unary
/// response) or only those set (as k6 writes a stream's messages).
pub(super) fn message_json(message: &DynamicMessage, unpopulated: bool) -> Result<String, String> {
    let options = SerializeOptions::new().skip_default_fields(!unpopulated);
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    message
        .serialize_with_options(&mut serializer, &options)
        .map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// `message` as a JavaScript object (see [`message_json`]).
pub(super) fn from_message<'js>(
    ctx: &Ctx<'js>,
    message: &DynamicMessage,
    unpopulated: bool,
) -> rquickjs::Result<Value<'js>> {
    match message_json(message, unpopulated) {
        Ok(json) => ctx.json_parse(json),
        Err(e) => Err(crate::js::throw_go_error(ctx, &e)),
    }
}

/// Metadata as k6 gives it: each key to the array of its values (binary
/// values as their raw bytes read as a string).
pub(super) fn metadata<'js>(ctx: &Ctx<'js>, map: &MetadataMap) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    for entry in map.iter() {
        let (key, value) = match entry {
            KeyAndValueRef::Ascii(key, value) => (
                key.as_str().to_owned(),
                String::from_utf8_lossy(value.as_encoded_bytes()).into_owned(),
            ),
            KeyAndValueRef::Binary(key, value) => (
                key.as_str().to_owned(),
                match value.to_bytes() {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => String::new(),
                },
            ),
        };
        if is_transport_key(&key) {
            continue;
        }
        let values: rquickjs::Array =
            match object.get::<_, Option<rquickjs::Array>>(key.as_str())? {
                Some(values) => values,
                None => {
                    let values = rquickjs::Array::new(ctx.clone())?;
                    object.set(key.as_str(), values.clone())?;
                    values
                }
            };
        values.set(values.len(), value)?;
    }
    Ok(object)
}

/// Keys grpc-go keeps out of the metadata it hands over.
fn is_transport_key(key: &str) -> bool {
    matches!(
        key,
        "grpc-status" | "grpc-message" | "grpc-status-details-bin"
    )
}
