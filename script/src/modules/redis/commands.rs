//! The client's command methods: how each one's arguments become a
//! redis command (as go-redis writes it: lower-case names, `EX` for
//! `set`'s expiration) and what kind of value its reply becomes.

use redis::Cmd;

use super::args::Args;
use super::error::Error;

/// What a method's reply becomes in JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reply {
    /// A string; a nil reply rejects with `redis: nil`.
    Text,
    /// A number.
    Number,
    /// `true` for 1.
    Bool,
    /// `ttl`: seconds, or Go's nanosecond durations -1 and -2
    /// (`-1e-9`: no expiry, `-2e-9`: no key) as seconds.
    Seconds,
    /// An array of strings.
    Texts,
    /// An array of strings and `null`s (`mget`).
    OptionalTexts,
    /// An object of the hash's fields (`hgetall`).
    Hash,
    /// Whatever the server answered (`sendCommand`); nil rejects.
    Any,
}

/// Every command method, as k6 lists a client's members (`isConnected`
/// is the 41st).
pub(super) const METHODS: &[&str] = &[
    "decr",
    "decrBy",
    "del",
    "exists",
    "expire",
    "get",
    "getDel",
    "getSet",
    "hdel",
    "hget",
    "hgetall",
    "hincrby",
    "hkeys",
    "hlen",
    "hset",
    "hsetnx",
    "hvals",
    "incr",
    "incrBy",
    "lindex",
    "llen",
    "lpop",
    "lpush",
    "lrange",
    "lrem",
    "lset",
    "mget",
    "persist",
    "randomKey",
    "rpop",
    "rpush",
    "sadd",
    "sendCommand",
    "set",
    "sismember",
    "smembers",
    "spop",
    "srandmember",
    "srem",
    "ttl",
];

/// A command ready to send, and what its reply becomes.
pub(super) struct Prepared {
    pub command: Cmd,
    pub reply: Reply,
}

/// Go's `time.Duration(seconds) * time.Second`, wrapping as Go does.
fn seconds_ns(seconds: i64) -> i64 {
    seconds.wrapping_mul(1_000_000_000)
}

/// go-redis's `formatSec`: whole seconds, at least 1 for a positive
/// duration.
fn format_sec(ns: i64) -> i64 {
    if ns > 0 && ns < 1_000_000_000 {
        1
    } else {
        ns / 1_000_000_000
    }
}

/// go-redis's `formatMs`.
fn format_ms(ns: i64) -> i64 {
    if ns > 0 && ns < 1_000_000 {
        1
    } else {
        ns / 1_000_000
    }
}

/// Method `name` called with `args`; `Err` rejects the call's promise.
pub(super) fn prepare(
    name: &str,
    args: &Args<'_, '_>,
) -> rquickjs::Result<Result<Prepared, Error>> {
    let key = || args.string(0);
    let simple = |command: &str, reply: Reply| -> rquickjs::Result<Result<Prepared, Error>> {
        let mut cmd = redis::cmd(command);
        cmd.arg(key()?);
        Ok(Ok(Prepared {
            command: cmd,
            reply,
        }))
    };
    let keys = |command: &str, reply: Reply| -> rquickjs::Result<Result<Prepared, Error>> {
        let mut cmd = redis::cmd(command);
        for key in args.strings(0)? {
            cmd.arg(key);
        }
        Ok(Ok(Prepared {
            command: cmd,
            reply,
        }))
    };
    // `key, ...values` (values checked, counted from 1).
    let key_values = |command: &str| -> rquickjs::Result<Result<Prepared, Error>> {
        let key = key()?;
        let values = match args.values(1, 1)? {
            Ok(values) => values,
            Err(error) => return Ok(Err(error)),
        };
        let mut cmd = redis::cmd(command);
        cmd.arg(key);
        for value in values {
            cmd.arg(value);
        }
        Ok(Ok(Prepared {
            command: cmd,
            reply: Reply::Number,
        }))
    };
    let prepared = |cmd: &mut Cmd, reply: Reply| {
        Ok(Ok(Prepared {
            command: cmd.clone(),
            reply,
        }))
    };
    match name {
        "set" => {
            let key = key()?;
            let value = match args.value(1, 1)? {
                Ok(value) => value,
                Err(error) => return Ok(Err(error)),
            };
            let expiration = seconds_ns(args.int(2)?);
            let mut cmd = redis::cmd("set");
            cmd.arg(key).arg(value);
            if expiration > 0 {
                if expiration < 1_000_000_000 || expiration % 1_000_000_000 != 0 {
                    cmd.arg("px").arg(format_ms(expiration));
                } else {
                    cmd.arg("ex").arg(format_sec(expiration));
                }
            }
            prepared(&mut cmd, Reply::Text)
        }
        "get" => simple("get", Reply::Text),
        "getSet" => {
            let key = key()?;
            let value = match args.value(1, 1)? {
                Ok(value) => value,
                Err(error) => return Ok(Err(error)),
            };
            prepared(redis::cmd("getset").arg(key).arg(value), Reply::Text)
        }
        "del" => keys("del", Reply::Number),
        "getDel" => simple("getdel", Reply::Text),
        "exists" => keys("exists", Reply::Number),
        "incr" => simple("incr", Reply::Number),
        "incrBy" => prepared(
            redis::cmd("incrby").arg(key()?).arg(args.int(1)?),
            Reply::Number,
        ),
        "decr" => simple("decr", Reply::Number),
        "decrBy" => prepared(
            redis::cmd("decrby").arg(key()?).arg(args.int(1)?),
            Reply::Number,
        ),
        "randomKey" => prepared(&mut redis::cmd("randomkey"), Reply::Text),
        "mget" => keys("mget", Reply::OptionalTexts),
        "expire" => {
            let seconds = format_sec(seconds_ns(args.int(1)?));
            prepared(redis::cmd("expire").arg(key()?).arg(seconds), Reply::Bool)
        }
        "ttl" => simple("ttl", Reply::Seconds),
        "persist" => simple("persist", Reply::Bool),
        "lpush" => key_values("lpush"),
        "rpush" => key_values("rpush"),
        "lpop" => simple("lpop", Reply::Text),
        "rpop" => simple("rpop", Reply::Text),
        "lrange" => {
            let (start, stop) = (args.int(1)?, args.int(2)?);
            prepared(
                redis::cmd("lrange").arg(key()?).arg(start).arg(stop),
                Reply::Texts,
            )
        }
        "lindex" => prepared(
            redis::cmd("lindex").arg(key()?).arg(args.int(1)?),
            Reply::Text,
        ),
        "lset" => {
            let (index, element) = (args.int(1)?, args.string(2)?);
            prepared(
                redis::cmd("lset").arg(key()?).arg(index).arg(element),
                Reply::Text,
            )
        }
        "lrem" => {
            let (count, value) = (args.int(1)?, args.string(2)?);
            prepared(
                redis::cmd("lrem").arg(key()?).arg(count).arg(value),
                Reply::Number,
            )
        }
        "llen" => simple("llen", Reply::Number),
        "hset" => {
            let (key, field) = (key()?, args.string(1)?);
            let value = match args.value(2, 2)? {
                Ok(value) => value,
                Err(error) => return Ok(Err(error)),
            };
            prepared(
                redis::cmd("hset").arg(key).arg(field).arg(value),
                Reply::Number,
            )
        }
        "hsetnx" => {
            let (field, value) = (args.string(1)?, args.string(2)?);
            prepared(
                redis::cmd("hsetnx").arg(key()?).arg(field).arg(value),
                Reply::Bool,
            )
        }
        "hget" => prepared(
            redis::cmd("hget").arg(key()?).arg(args.string(1)?),
            Reply::Text,
        ),
        "hdel" => {
            let mut cmd = redis::cmd("hdel");
            cmd.arg(key()?);
            for field in args.strings(1)? {
                cmd.arg(field);
            }
            prepared(&mut cmd, Reply::Number)
        }
        "hgetall" => simple("hgetall", Reply::Hash),
        "hkeys" => simple("hkeys", Reply::Texts),
        "hvals" => simple("hvals", Reply::Texts),
        "hlen" => simple("hlen", Reply::Number),
        "hincrby" => {
            let (field, by) = (args.string(1)?, args.int(2)?);
            prepared(
                redis::cmd("hincrby").arg(key()?).arg(field).arg(by),
                Reply::Number,
            )
        }
        "sadd" => key_values("sadd"),
        "srem" => key_values("srem"),
        "sismember" => {
            let key = key()?;
            let member = match args.value(1, 1)? {
                Ok(member) => member,
                Err(error) => return Ok(Err(error)),
            };
            prepared(redis::cmd("sismember").arg(key).arg(member), Reply::Bool)
        }
        "smembers" => simple("smembers", Reply::Texts),
        "srandmember" => simple("srandmember", Reply::Text),
        "spop" => simple("spop", Reply::Text),
        "sendCommand" => {
            let command = key()?;
            let rest = match args.values(1, 1)? {
                Ok(rest) => rest,
                Err(error) => return Ok(Err(error)),
            };
            // The name is sent as written, as an argument like the rest.
            let mut cmd = Cmd::new();
            cmd.arg(command);
            for arg in rest {
                cmd.arg(arg);
            }
            prepared(&mut cmd, Reply::Any)
        }
        // Only names of `METHODS` are prepared.
        other => Ok(Err(Error::Client(format!("redis: no method {other}")))),
    }
}

#[cfg(test)]
mod tests {
    use super::{format_ms, format_sec, seconds_ns, METHODS};

    #[test]
    fn expirations_wrap_and_round_as_in_go() {
        assert_eq!(format_sec(seconds_ns(100)), 100);
        // 1e10 s overflows Go's Duration: a negative expiry (deletes).
        assert_eq!(format_sec(seconds_ns(10_000_000_000)), -8_446_744_073);
        assert_eq!(seconds_ns(i64::MIN), 0);
        assert_eq!(format_ms(500_000), 1);
    }

    #[test]
    fn forty_methods_in_k6s_order() {
        assert_eq!(METHODS.len(), 40);
        let mut sorted = METHODS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, METHODS);
    }
}
