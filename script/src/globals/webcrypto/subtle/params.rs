//! Reading `crypto.subtle` arguments: algorithm identifiers (a name or
//! an object with `name`), their parameters, `BufferSource` data, key
//! usages and the `extractable` flag.

use rquickjs::{Constructor, Object, Value};

use super::failure::{dom, Kind, Outcome};
use crate::{binary, js};

/// The algorithms whose names k6 recognises, in their canonical spelling.
const KNOWN: &[&str] = &[
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "HMAC",
    "AES-CBC",
    "AES-CTR",
    "AES-GCM",
    "AES-KW",
    "ECDSA",
    "ECDH",
    "RSASSA-PKCS1-v1_5",
    "RSA-PSS",
    "RSA-OAEP",
    "PBKDF2",
    "HKDF",
];

/// An algorithm identifier: its name (canonical when known, as given
/// otherwise) and, for objects, the parameters.
pub(crate) struct Algorithm<'js> {
    pub name: String,
    pub params: Option<Object<'js>>,
}

impl<'js> Algorithm<'js> {
    /// Reads a name or `{name, ...}`.
    pub(crate) fn read(value: &Value<'js>) -> Outcome<Self> {
        let (name, params) = match value.as_object() {
            Some(object) if !value.is_string() => {
                let name: Value = object.get("name")?;
                if name.is_undefined() {
                    return dom(Kind::Syntax, "algorithm name is missing");
                }
                (js::to_string(&name)?, Some(object.clone()))
            }
            _ if value.is_string() => (js::to_string(value)?, None),
            _ => return dom(Kind::Syntax, "algorithm must be a string or an object"),
        };
        Ok(Algorithm {
            name: canonical(&name),
            params,
        })
    }

    /// A parameter, `None` when absent or when the identifier is a bare name.
    pub(crate) fn optional(&self, name: &str) -> Outcome<Option<Value<'js>>> {
        let Some(params) = &self.params else {
            return Ok(None);
        };
        let value: Value = params.get(name)?;
        Ok((!value.is_undefined()).then_some(value))
    }

    /// The numeric parameter `name`, when given.
    pub(crate) fn number(&self, name: &str) -> Outcome<Option<f64>> {
        match self.optional(name)? {
            Some(value) => Ok(Some(js::to_number(&value)?)),
            None => Ok(None),
        }
    }
}

/// The canonical spelling of a known algorithm name (names are matched
/// case-insensitively).
pub(crate) fn canonical(name: &str) -> String {
    KNOWN
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |known| (*known).to_owned())
}

/// What a `BufferSource` argument held.
pub(crate) enum Data {
    Bytes(Vec<u8>),
    /// A `DataView` (which k6 refuses despite its message).
    View,
    Other,
}

/// The bytes of an `ArrayBuffer` or of any typed array's view.
pub(crate) fn data(value: &Value<'_>) -> rquickjs::Result<Data> {
    let Some(object) = value.as_object() else {
        return Ok(Data::Other);
    };
    if binary::is_array_buffer(object) {
        return Ok(binary::buffer_bytes(value)?.map_or(Data::Other, Data::Bytes));
    }
    if binary::is_typed_array(object) {
        // A Uint8Array over the same bytes.
        let ctx = object.ctx();
        let uint8: Constructor = ctx.globals().get("Uint8Array")?;
        let buffer: Value = object.get("buffer")?;
        let offset: Value = object.get("byteOffset")?;
        let length: Value = object.get("byteLength")?;
        let view: Value = uint8.construct((buffer, offset, length))?;
        return Ok(binary::buffer_bytes(&view)?.map_or(Data::Other, Data::Bytes));
    }
    if binary::is_data_view(object) {
        return Ok(Data::View);
    }
    Ok(Data::Other)
}

/// The bytes of a data argument, or k6's error for anything else.
pub(crate) fn bytes(value: &Value<'_>) -> Outcome<Vec<u8>> {
    match data(value)? {
        Data::Bytes(bytes) => Ok(bytes),
        Data::View | Data::Other => dom(
            Kind::Operation,
            "data is neither an ArrayBuffer, nor a TypedArray nor DataView",
        ),
    }
}

/// The `extractable` argument: only `true` is.
pub(crate) fn truthy(value: &Value<'_>) -> bool {
    value.as_bool().unwrap_or(false)
}

/// A key usages argument (an array of strings).
pub(crate) fn usages_of(value: &Value<'_>) -> Outcome<Vec<String>> {
    match value.as_array() {
        Some(array) => Ok(js::array_items(array)?
            .iter()
            .map(js::to_string)
            .collect::<rquickjs::Result<_>>()?),
        None => dom(Kind::Syntax, "usages must be an array"),
    }
}
