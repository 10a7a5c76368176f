//! `k6/encoding`: `b64encode(input, encoding?)` and
//! `b64decode(input, encoding?, format?)` in Go's four base64 flavours
//! (`std`, the default, `rawstd`, `url`, `rawurl`; any other name is
//! `std`). `b64decode` returns an `ArrayBuffer`, or a string for format
//! `"s"`.

pub(crate) mod decode;

use std::rc::Rc;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::BuiltinModule;
use crate::state::VuState;
use crate::{binary, js};
use decode::Alphabet;

/// The `k6/encoding` module.
pub(crate) struct Encoding;

impl BuiltinModule for Encoding {
    const NAME: &'static str = "k6/encoding";
    const EXPORTS: &'static [&'static str] = &["default", "b64encode", "b64decode"];

    fn build<'js>(ctx: &Ctx<'js>, _vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        module.set("b64encode", js::function(ctx, "b64encode", b64encode)?)?;
        module.set("b64decode", js::function(ctx, "b64decode", b64decode)?)?;
        Ok(module)
    }
}

/// The alphabet an `encoding` argument names.
fn alphabet(encoding: Option<&Value<'_>>) -> rquickjs::Result<Alphabet> {
    let name = match encoding {
        Some(value) if value.is_string() => js::to_string(value)?,
        _ => String::new(),
    };
    let (url, padded) = match name.as_str() {
        "rawstd" => (false, false),
        "url" => (true, true),
        "rawurl" => (true, false),
        _ => (false, true),
    };
    Ok(Alphabet { url, padded })
}

/// `input` in `alphabet`.
pub(crate) fn encode(alphabet: Alphabet, input: &[u8]) -> String {
    match (alphabet.url, alphabet.padded) {
        (false, true) => STANDARD.encode(input),
        (false, false) => STANDARD_NO_PAD.encode(input),
        (true, true) => URL_SAFE.encode(input),
        (true, false) => URL_SAFE_NO_PAD.encode(input),
    }
}

fn b64encode<'js>(
    ctx: Ctx<'js>,
    input: Opt<Value<'js>>,
    encoding: Opt<Value<'js>>,
) -> rquickjs::Result<String> {
    let input = input.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let bytes = binary::bytes(&ctx, &input, "")?;
    Ok(encode(alphabet(encoding.0.as_ref())?, &bytes))
}

fn b64decode<'js>(
    ctx: Ctx<'js>,
    input: Opt<Value<'js>>,
    encoding: Opt<Value<'js>>,
    format: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    // k6 takes the input as a Go string: `String(input)`, nothing for
    // `undefined` and `null`.
    let input = match input.0 {
        Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value)?,
        _ => String::new(),
    };
    let bytes = decode::decode(alphabet(encoding.0.as_ref())?, input.as_bytes())
        .map_err(|error| js::throw_go_error(&ctx, &error.to_string()))?;
    let as_string = match format.0 {
        Some(value) if value.is_string() => js::to_string(&value)? == "s",
        _ => false,
    };
    if as_string {
        rquickjs::String::from_str(ctx, &binary::go_string(&bytes)).map(|s| s.into_value())
    } else {
        binary::array_buffer(&ctx, bytes)
    }
}
