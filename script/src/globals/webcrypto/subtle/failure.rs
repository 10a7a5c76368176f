//! Why a `crypto.subtle` operation failed, as the value its promise
//! rejects with: k6 rejects with `{name, message}` objects (a
//! DOMException's fields) whose `String()` is `name: message`.

use rquickjs::object::Property;
use rquickjs::{Ctx, Function, Object, Value};

use crate::js;

/// The DOMException names k6's WebCrypto rejects with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    NotSupported,
    Operation,
    Syntax,
    InvalidAccess,
    Data,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::NotSupported => "NotSupportedError",
            Kind::Operation => "OperationError",
            Kind::Syntax => "SyntaxError",
            Kind::InvalidAccess => "InvalidAccessError",
            Kind::Data => "DataError",
        }
    }
}

/// A failed operation.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A DOMException-like `{name, message}`.
    Dom(Kind, String),
    /// A bare Go error: no fields, only its text as `String()`.
    Plain(String),
    /// A JavaScript exception raised while reading the arguments.
    Js(rquickjs::Error),
}

/// An operation's outcome.
pub(crate) type Outcome<T> = Result<T, Failure>;

impl From<rquickjs::Error> for Failure {
    fn from(error: rquickjs::Error) -> Self {
        Failure::Js(error)
    }
}

/// A [`Failure::Dom`] of `kind`.
pub(crate) fn dom<T>(kind: Kind, message: impl Into<String>) -> Outcome<T> {
    Err(Failure::Dom(kind, message.into()))
}

/// k6's rejection for an algorithm it does not implement for `operation`.
pub(crate) fn not_supported<T>(name: &str, operation: &str) -> Outcome<T> {
    dom(
        Kind::NotSupported,
        format!(
            "algorithm \"{name}\" doesn't support (in implementation) operation \"{operation}\""
        ),
    )
}

impl Failure {
    /// The value the promise rejects with.
    pub(crate) fn into_value<'js>(self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let (fields, text) = match self {
            Failure::Js(rquickjs::Error::Exception) => return Ok(ctx.catch()),
            Failure::Js(error) => return Err(error),
            Failure::Dom(kind, message) => {
                let text = format!("{}: {message}", kind.name());
                (Some((kind.name(), message)), text)
            }
            Failure::Plain(text) => (None, text),
        };
        let object = Object::new(ctx.clone())?;
        if let Some((name, message)) = fields {
            object.set("name", name)?;
            object.set("message", message)?;
        }
        let to_string: Function = js::function(ctx, "toString", move || text.clone())?;
        object.prop(
            "toString",
            Property::from(to_string).writable().configurable(),
        )?;
        Ok(object.into_value())
    }
}
