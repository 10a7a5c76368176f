//! `k6/crypto`, k6's legacy hashing module: one function per hash
//! (`md4` ... `ripemd160`, each `(input, encoding)`), `hmac(algorithm,
//! secret, data, encoding)`, the streaming `createHash`/`createHMAC`,
//! `randomBytes(n)` and `hexEncode(data)`; and `k6/crypto/x509`.
//!
//! # Layout
//! - `algorithm`: the hash functions by k6 name, as streaming states.
//! - `output`: digests in k6's output encodings.
//! - `hasher`: the objects `createHash`/`createHMAC` return.
//! - [`x509`]: the `k6/crypto/x509` module.

mod algorithm;
mod hasher;
mod output;
pub(crate) mod x509;

use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::BuiltinModule;
use crate::state::VuState;
use crate::{binary, js};
use algorithm::Algorithm;

/// The `k6/crypto` module.
pub(crate) struct Crypto;

impl BuiltinModule for Crypto {
    const NAME: &'static str = "k6/crypto";
    const EXPORTS: &'static [&'static str] = &[
        "default",
        "createHMAC",
        "createHash",
        "hexEncode",
        "hmac",
        "md4",
        "md5",
        "randomBytes",
        "ripemd160",
        "sha1",
        "sha256",
        "sha384",
        "sha512",
        "sha512_224",
        "sha512_256",
    ];

    fn build<'js>(ctx: &Ctx<'js>, _vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let module = Object::new(ctx.clone())?;
        for algorithm in Algorithm::ALL {
            let hash = move |ctx: Ctx<'js>,
                             input: Opt<Value<'js>>,
                             encoding: Opt<Value<'js>>|
                  -> rquickjs::Result<Value<'js>> {
                let input = input.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
                let prefix = format!("{} failed: ", algorithm.name());
                let bytes = binary::bytes(&ctx, &input, &prefix)?;
                let encoding = output::encoding_name(encoding.0.as_ref())?;
                output::encode(&ctx, algorithm::digest(algorithm, &bytes), &encoding)
            };
            module.set(algorithm.name(), js::function(ctx, algorithm.name(), hash)?)?;
        }
        module.set("hmac", js::function(ctx, "hmac", hmac)?)?;
        module.set(
            "createHash",
            js::function(ctx, "createHash", hasher::create_hash)?,
        )?;
        module.set(
            "createHMAC",
            js::function(ctx, "createHMAC", hasher::create_hmac)?,
        )?;
        module.set(
            "randomBytes",
            js::function(ctx, "randomBytes", random_bytes)?,
        )?;
        module.set("hexEncode", js::function(ctx, "hexEncode", hex_encode)?)?;
        Ok(module)
    }
}

/// `hmac(algorithm, secret, data, encoding)`.
fn hmac<'js>(
    ctx: Ctx<'js>,
    name: Opt<Value<'js>>,
    secret: Opt<Value<'js>>,
    data: Opt<Value<'js>>,
    encoding: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let undefined = || Value::new_undefined(ctx.clone());
    let algorithm = hasher::algorithm(&ctx, name.0.as_ref())?;
    let key = binary::bytes(&ctx, &secret.0.unwrap_or_else(undefined), "")?;
    let data = binary::bytes(&ctx, &data.0.unwrap_or_else(undefined), "")?;
    let encoding = output::encoding_name(encoding.0.as_ref())?;
    let mut state = algorithm.hmac(&key);
    state.update(&data);
    output::encode(&ctx, state.finish(), &encoding)
}

/// `randomBytes(size)`: `size` cryptographically random bytes in an
/// `ArrayBuffer`; k6's `invalid size` for less than one.
fn random_bytes<'js>(ctx: Ctx<'js>, size: Opt<Value<'js>>) -> rquickjs::Result<Value<'js>> {
    let size = match size.0 {
        Some(value) => js::to_number(&value)?,
        None => f64::NAN,
    };
    // QuickJS holds no ArrayBuffer over i32::MAX bytes: refuse before
    // allocating and filling one.
    if size.is_nan() || size < 1.0 || size > i32::MAX as f64 {
        return Err(js::throw_go_error(&ctx, "invalid size"));
    }
    let size = size.trunc() as usize;
    let mut bytes = Vec::new();
    // More than the machine has is an error, not an abort.
    if bytes.try_reserve_exact(size).is_err() {
        return Err(js::throw_go_error(&ctx, "invalid size"));
    }
    bytes.resize(size, 0);
    getrandom::getrandom(&mut bytes).map_err(|error| {
        js::throw_go_error(&ctx, &format!("failed to get random bytes: {error}"))
    })?;
    binary::array_buffer(&ctx, bytes)
}

/// `hexEncode(data)`: lowercase hex of a string's UTF-8 or of bytes.
fn hex_encode<'js>(ctx: Ctx<'js>, data: Opt<Value<'js>>) -> rquickjs::Result<String> {
    let data = data.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    Ok(hex::encode(binary::bytes(&ctx, &data, "")?))
}
