//! The global `crypto` (WebCrypto): `getRandomValues`, `randomUUID`,
//! `subtle` and `CryptoKey`.
//!
//! Built on first access (`lazy::global`): a VU whose script never
//! touches `crypto` pays for one accessor function only.
//!
//! # Layout
//! - `random`: `getRandomValues` and `randomUUID`.
//! - `subtle/`: `crypto.subtle` and `CryptoKey`s.
//! - `error`: k6's WebCrypto errors (`TypeMismatchError: ...` GoErrors).

mod error;
mod random;
mod subtle;

use rquickjs::object::Property;
use rquickjs::{Ctx, Function, Object};

use crate::compiled::Compiled;
use crate::js;

/// `crypto.CryptoKey`: the class of the keys `crypto.subtle` makes, which
/// scripts cannot construct themselves (as in browsers).
static CRYPTO_KEY: Compiled = Compiled::new(
    "k6r:webcrypto/CryptoKey",
    "class CryptoKey { constructor() { throw new TypeError('Illegal constructor'); } }",
);

const NAME: &str = "crypto";

/// Defines the global `crypto`, made on first use.
pub(crate) fn install<'js>(globals: &Object<'js>) -> rquickjs::Result<()> {
    super::lazy::global(globals, NAME, |ctx| Ok(build(ctx)?.into_value()))
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
