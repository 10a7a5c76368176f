//! The global `crypto` (WebCrypto): `getRandomValues`, `randomUUID`,
//! `subtle` and `CryptoKey`.
//!
//! Built on first access: the global starts as an accessor whose getter
//! builds the object and replaces itself with a plain data property
//! (writable, enumerable, configurable, as k6's), so a VU whose script
//! never touches `crypto` pays for one getter and setter only.
//!
//! # Layout
//! - `random`: `getRandomValues` and `randomUUID`.
//! - `subtle/`: `crypto.subtle` and `CryptoKey`s.
//! - `error`: k6's WebCrypto errors (`TypeMismatchError: ...` GoErrors).

mod error;
mod random;
mod subtle;

use rquickjs::object::{Accessor, Property};
use rquickjs::{Ctx, Function, Object, Value};

use crate::compiled::Compiled;
use crate::js;

/// `crypto.CryptoKey`: the class of the keys `crypto.subtle` makes, which
/// scripts cannot construct themselves (as in browsers).
static CRYPTO_KEY: Compiled = Compiled::new(
    "k6r:webcrypto/CryptoKey",
    "class CryptoKey { constructor() { throw new TypeError('Illegal constructor'); } }",
);

const NAME: &str = "crypto";

/// Defines the lazy global `crypto`.
pub(crate) fn install<'js>(globals: &Object<'js>) -> rquickjs::Result<()> {
    let get = |ctx: Ctx<'js>| -> rquickjs::Result<Value<'js>> {
        let crypto = build(&ctx)?.into_value();
        settle(&ctx, crypto.clone())?;
        Ok(crypto)
    };
    let set = |ctx: Ctx<'js>, value: Value<'js>| settle(&ctx, value);
    globals.prop(NAME, Accessor::new(get, set).enumerable().configurable())
}

/// Makes `crypto` the data property `value`.
fn settle<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<()> {
    ctx.globals().prop(
        NAME,
        Property::from(value).writable().enumerable().configurable(),
    )
}

fn build<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let crypto = Object::new(ctx.clone())?;
    crypto.set(
        "getRandomValues",
        js::function(ctx, "getRandomValues", random::get_random_values)?,
    )?;
    crypto.set(
        "randomUUID",
        js::function(ctx, "randomUUID", random::random_uuid)?,
    )?;
    let class: Function = CRYPTO_KEY.load(ctx)?;
    subtle::register(ctx, class.clone().into_value())?;
    crypto.prop("subtle", Property::from(subtle::build(ctx)?).enumerable())?;
    crypto.set("CryptoKey", class)?;
    Ok(crypto)
}
