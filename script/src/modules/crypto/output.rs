//! A digest in the output encodings of `k6/crypto`: `hex`, `base64`,
//! `base64url`, `base64rawurl` (strings) and `binary` (an `ArrayBuffer`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use rquickjs::{Ctx, IntoJs, Value};

use crate::{binary, js};

/// The name of the encoding an `encoding` argument asks for (`""` when
/// missing or not a string).
pub(crate) fn encoding_name(encoding: Option<&Value<'_>>) -> rquickjs::Result<String> {
    match encoding {
        Some(value) if value.is_string() => js::to_string(value),
        _ => Ok(String::new()),
    }
}

/// `digest` encoded as `encoding` asks, or k6's `invalid output
/// encoding` error.
pub(crate) fn encode<'js>(
    ctx: &Ctx<'js>,
    digest: Vec<u8>,
    encoding: &str,
) -> rquickjs::Result<Value<'js>> {
    let text = match encoding {
        "hex" => hex::encode(&digest),
        "base64" => STANDARD.encode(&digest),
        "base64url" => URL_SAFE.encode(&digest),
        "base64rawurl" => URL_SAFE_NO_PAD.encode(&digest),
        "binary" => return binary::array_buffer(ctx, digest),
        other => {
            return Err(js::throw_go_error(
                ctx,
                &format!("invalid output encoding: {other}"),
            ))
        }
    };
    text.into_js(ctx)
}
