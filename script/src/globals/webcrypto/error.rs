//! k6's WebCrypto errors: a GoError whose message is `Name: message` and
//! whose `value` is `{name, message}` (what `JSON.stringify` shows).

use rquickjs::{Ctx, Object};

use crate::js;

/// The kinds of error k6's WebCrypto raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    TypeMismatch,
    QuotaExceeded,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::TypeMismatch => "TypeMismatchError",
            Kind::QuotaExceeded => "QuotaExceededError",
        }
    }
}

/// Throws k6's error of `kind` with `message`.
pub(crate) fn throw(ctx: &Ctx<'_>, kind: Kind, message: &str) -> rquickjs::Error {
    let thrown = js::throw_go_error(ctx, &format!("{}: {message}", kind.name()));
    let error = ctx.catch();
    let detailed = (|| -> rquickjs::Result<()> {
        if let Some(object) = error.as_object() {
            let value = Object::new(ctx.clone())?;
            value.set("name", kind.name())?;
            value.set("message", message)?;
            object.set("value", value)?;
        }
        Ok(())
    })();
    match detailed {
        Ok(()) => ctx.throw(error),
        Err(_) => thrown,
    }
}
