//! `k6/secrets`: a default export only, with `get(name)` (a promise of
//! the default source's secret) and `source(name).get(key)`. Values come
//! from the run's [`Secrets`]; every value read is redacted from logs
//! from then on (see [`RedactedLog`]).
//!
//! [`Secrets`]: crate::secrets::Secrets
//! [`RedactedLog`]: crate::secrets::RedactedLog

use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Object, Value};

use super::BuiltinModule;
use crate::compiled::Compiled;
use crate::js;
use crate::state::VuState;

/// The `k6/secrets` module.
pub(crate) struct SecretsModule;

/// `natives.get(source, key)` returns the value or throws the message;
/// k6 rejects with an error object whose string is that message.
static GLUE: Compiled = Compiled::new(
    "k6r:secrets",
    r#"(function (natives) {
  const errorProto = { toString() { return this.message; } };
  const lookup = async (source, key) => {
    try {
      return natives.get(source, key);
    } catch (message) {
      throw Object.defineProperty(Object.create(errorProto), 'message', { value: String(message) });
    }
  };
  return {
    get: (key) => lookup(undefined, key),
    source: (source) => ({ get: (key) => lookup(String(source), key) }),
  };
})"#,
);

impl BuiltinModule for SecretsModule {
    const NAME: &'static str = "k6/secrets";
    const EXPORTS: &'static [&'static str] = &["default"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;
        let state = vu.clone();
        let get = move |ctx: Ctx<'js>, source: Opt<Value<'js>>, key: Opt<Value<'js>>| {
            let source = match source.0 {
                Some(value) if !value.is_undefined() => Some(js::to_string(&value)?),
                _ => None,
            };
            let key = match key.0 {
                Some(value) => js::to_string(&value)?,
                None => "undefined".to_owned(),
            };
            state
                .config
                .secrets
                .get(source.as_deref(), &key)
                .map_err(|error| {
                    let message = error.to_string();
                    match rquickjs::String::from_str(ctx.clone(), &message) {
                        Ok(text) => ctx.throw(text.into_value()),
                        Err(error) => error,
                    }
                })
        };
        natives.set("get", js::function(ctx, "get", get)?)?;
        let glue: Function = GLUE.load(ctx)?;
        glue.call((natives,))
    }
}
