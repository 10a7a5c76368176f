//! Why a redis command failed, worded as k6 (go-redis, Go's `net`)
//! words it, and the value its promise is rejected with.
//!
//! k6 rejects with Go's error values as sobek wraps them, not `Error`
//! objects: `String(e)` is the message and `e.message` is `undefined`.
//! A redis error (`redis: nil`, a server's error reply) is a Go string
//! type: it JSON-encodes to its message and `e.valueOf()` is that string;
//! other errors JSON-encode to `{}`. Each has its Go methods as own,
//! enumerable properties (`error`, and `redisError` for redis errors).

use rquickjs::{Ctx, Function, Value};

use crate::compiled::Compiled;

/// A failed command (or a client that could not be used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    /// A nil reply where the command wants a value (go-redis's `redis.Nil`).
    #[error("redis: nil")]
    Nil,
    /// An error reply of the server, as its line (`WRONGTYPE Operation...`).
    #[error("{0}")]
    Server(String),
    /// An argument of a type k6 does not send (index among the command's
    /// arguments, the key being 0).
    #[error("unsupported type provided for argument at index {index}, supported types are string, number, and boolean")]
    UnsupportedType {
        /// Where the argument is.
        index: usize,
    },
    /// A command issued by init code.
    #[error("connecting to a redis server in the init context is not supported")]
    InitContext,
    /// No connection of the pool became free within `poolTimeout`.
    #[error("redis: connection pool timeout")]
    PoolTimeout,
    /// The network failed (dial, read, write), as Go words it.
    #[error("{message}")]
    Net {
        /// `dial tcp 127.0.0.1:1: connect: connection refused`, `EOF`...
        message: String,
        /// A deadline passed (Go's `Timeout()`).
        timeout: bool,
    },
    /// A TLS handshake failed.
    #[error("{0}")]
    Tls(String),
    /// The cluster or sentinel client failed (redis-rs's words).
    #[error("{0}")]
    Client(String),
}

impl Error {
    /// A network failure that is no timeout.
    pub(crate) fn net(message: impl Into<String>) -> Self {
        Error::Net {
            message: message.into(),
            timeout: false,
        }
    }

    /// A deadline that passed during `operation` (`read tcp a->b`), or
    /// during the connection's handshake (`None`: Go's bare `i/o timeout`).
    pub(crate) fn timeout(operation: Option<&str>) -> Self {
        let message = match operation {
            Some(operation) => format!("{operation}: i/o timeout"),
            None => "i/o timeout".to_owned(),
        };
        Error::Net {
            message,
            timeout: true,
        }
    }

    /// Whether go-redis tries the command again after this error
    /// (`shouldRetry`); `retry_timeout`: whether a timeout counts (it
    /// does once the command was written or read, not while connecting).
    pub(crate) fn should_retry(&self, retry_timeout: bool) -> bool {
        match self {
            Error::Net { timeout: true, .. } => retry_timeout,
            Error::Net { .. } => true,
            Error::Server(line) => {
                line == "ERR max number of clients reached"
                    || ["LOADING ", "READONLY ", "CLUSTERDOWN ", "TRYAGAIN "]
                        .iter()
                        .any(|prefix| line.starts_with(prefix))
            }
            _ => false,
        }
    }

    /// Whether the connection it happened on must be dropped (go-redis's
    /// `isBadConn`): anything but a redis error, and a `READONLY` one.
    pub(crate) fn breaks_connection(&self) -> bool {
        match self {
            Error::Nil => false,
            Error::Server(line) => line.starts_with("READONLY "),
            _ => true,
        }
    }

    /// The error as redis-rs reports it from the cluster or sentinel
    /// clients: a server error reply keeps its line.
    pub(crate) fn from_redis(error: &redis::RedisError) -> Self {
        if let Some(code) = error.code() {
            return Error::Server(match error.detail() {
                Some(detail) => format!("{code} {detail}"),
                None => code.to_owned(),
            });
        }
        if error.is_timeout() {
            return Error::timeout(None);
        }
        Error::Client(error.to_string())
    }

    /// The kind of Go value k6 rejects with.
    fn shape(&self) -> Shape {
        match self {
            Error::Nil | Error::Server(_) => Shape::Redis,
            Error::InitContext => Shape::InitContext,
            _ => Shape::Plain,
        }
    }

    /// The rejection value (an exception to propagate when it can't be
    /// made).
    pub(crate) fn to_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let make: Function = ERRORS.load(ctx)?;
        make.call((self.shape() as u8, self.to_string()))
    }
}

/// A server error reply, as its line.
pub(crate) fn server_line(error: &redis::ServerError) -> String {
    match error.details() {
        Some(details) => format!("{} {details}", error.code()),
        None => error.code().to_owned(),
    }
}

/// The Go types k6 rejects with.
#[derive(Clone, Copy)]
enum Shape {
    /// `proto.RedisError`: a string type with `Error` and `RedisError`.
    Redis = 0,
    /// `common.InitContextError`: a string type with `Error` and `String`.
    InitContext = 1,
    /// Any other error (a struct): JSON `{}`.
    Plain = 2,
}

/// `(shape, message)` → the rejection value. The message is kept out of
/// sight (a `WeakMap`), so the object's own properties are only its Go
/// methods, as in k6.
static ERRORS: Compiled = Compiled::new(
    "k6r:redis/errors",
    r#"(function () {
  const messages = new WeakMap();
  const message = (e) => messages.get(e);
  const stringLike = Object.create(String.prototype, {
    constructor: { value: String },
    toString: { value() { return message(this); } },
    valueOf: { value() { return message(this); } },
    toJSON: { value() { return message(this); } },
  });
  const method = (f) => ({ value: f, enumerable: true });
  return function make(shape, text) {
    const error = () => text;
    let e;
    if (shape === 0) {
      e = Object.create(stringLike, { error: method(error), redisError: method(() => undefined) });
    } else if (shape === 1) {
      e = Object.create(stringLike, { error: method(error), string: method(error) });
    } else {
      // A plain object, as k6's: its text comes from a symbol, which
      // no listing of its own names shows.
      e = Object.create(Object.prototype, {
        error: method(error),
        [Symbol.toPrimitive]: { value: () => text },
      });
    }
    messages.set(e, text);
    return e;
  };
})()"#,
);

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn retries_follow_go_redis() {
        assert!(Error::net("EOF").should_retry(false));
        assert!(Error::timeout(Some("read tcp a->b")).should_retry(true));
        assert!(!Error::timeout(None).should_retry(false));
        assert!(Error::Server("LOADING Redis is loading".into()).should_retry(false));
        assert!(!Error::Server("ERR wrong".into()).should_retry(true));
        assert!(!Error::Nil.should_retry(true));
        assert!(!Error::Nil.breaks_connection());
        assert!(Error::Server("READONLY You can't write".into()).breaks_connection());
        assert!(Error::net("EOF").breaks_connection());
    }

    #[test]
    fn messages_are_k6s() {
        assert_eq!(Error::Nil.to_string(), "redis: nil");
        assert_eq!(
            Error::UnsupportedType { index: 2 }.to_string(),
            "unsupported type provided for argument at index 2, supported types are string, number, and boolean"
        );
        assert_eq!(Error::timeout(None).to_string(), "i/o timeout");
        assert_eq!(
            Error::timeout(Some("read tcp 1->2")).to_string(),
            "read tcp 1->2: i/o timeout"
        );
    }
}
