//! The Hasher objects of `createHash(algorithm)` and
//! `createHMAC(algorithm, secret)`: `update(data)` (returns `undefined`)
//! and `digest(encoding)`, which may be called again and does not reset.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use super::algorithm::{Algorithm, State};
use super::output;
use crate::{binary, js};

/// The algorithm an `algorithm` argument names, or k6's `invalid
/// algorithm` error.
pub(crate) fn algorithm(ctx: &Ctx<'_>, name: Option<&Value<'_>>) -> rquickjs::Result<Algorithm> {
    let name = match name {
        Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(value)?,
        _ => String::new(),
    };
    Algorithm::from_name(&name)
        .ok_or_else(|| js::throw_go_error(ctx, &format!("invalid algorithm: {name}")))
}

/// `createHash(algorithm)`.
pub(crate) fn create_hash<'js>(
    ctx: Ctx<'js>,
    name: Opt<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    let algorithm = algorithm(&ctx, name.0.as_ref())?;
    build(&ctx, algorithm.hash())
}

/// `createHMAC(algorithm, secret)`.
pub(crate) fn create_hmac<'js>(
    ctx: Ctx<'js>,
    name: Opt<Value<'js>>,
    secret: Opt<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    let algorithm = algorithm(&ctx, name.0.as_ref())?;
    let secret = secret
        .0
        .unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let key = binary::bytes(&ctx, &secret, "")?;
    build(&ctx, algorithm.hmac(&key))
}

fn build<'js>(ctx: &Ctx<'js>, state: Box<dyn State>) -> rquickjs::Result<Object<'js>> {
    let state = Rc::new(RefCell::new(state));
    let hasher = Object::new(ctx.clone())?;

    // k6 lists `digest` before `update`.
    let digested = state.clone();
    let digest = move |ctx: Ctx<'js>, encoding: Opt<Value<'js>>| -> rquickjs::Result<Value<'js>> {
        let encoding = output::encoding_name(encoding.0.as_ref())?;
        let digest = digested.borrow().finish();
        output::encode(&ctx, digest, &encoding)
    };
    hasher.set("digest", js::function(ctx, "digest", digest)?)?;
    let update = move |ctx: Ctx<'js>, data: Opt<Value<'js>>| -> rquickjs::Result<()> {
        let data = data.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        let bytes = binary::bytes(&ctx, &data, "")?;
        state.borrow_mut().update(&bytes);
        Ok(())
    };
    hasher.set("update", js::function(ctx, "update", update)?)?;

    Ok(hasher)
}
