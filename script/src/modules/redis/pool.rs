//! A client's connections to one server (go-redis's `ConnPool` and
//! `baseClient.process`): at most `poolSize` in use, waited for up to
//! `poolTimeout`; idle ones checked before reuse; each command tried
//! again (`maxRetries`, with go-redis's backoff) after an error go-redis
//! retries, on a fresh connection when the old one broke.
//!
//! Everything here lives on the VU's thread; a command is a future
//! polled only while its VU waits, so a VU awaiting redis blocks no
//! other VU, and a command dropped with its call (an interrupt) drops
//! its connection with it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::{Cmd, Value};
use tokio::sync::Semaphore;

use super::conn::{Conn, Dialer};
use super::error::Error;
use super::sentinel::Masters;

/// Where the pool's connections go.
pub(super) enum Target {
    /// A fixed address.
    Addr(String),
    /// The master the sentinels name, asked for each new connection.
    Sentinel(Masters),
}

/// One server's connections.
pub(super) struct Pool {
    dialer: Dialer,
    target: Target,
    idle: RefCell<Vec<Conn>>,
    /// A permit per connection in use (`poolSize`).
    turns: Arc<Semaphore>,
    /// Dial failures in a row, and the last one (go-redis stops dialling
    /// after `poolSize` of them and answers with the last, probing again
    /// each second).
    dial_errors: Cell<usize>,
    last_dial_error: RefCell<Option<Error>>,
    last_probe: Cell<Option<Instant>>,
}

/// How often a pool that stopped dialling tries again.
const PROBE_EVERY: Duration = Duration::from_secs(1);

impl Pool {
    pub(super) fn new(dialer: Dialer, target: Target) -> Pool {
        let size = dialer.settings.pool_size.clamp(1, Semaphore::MAX_PERMITS);
        Pool {
            dialer,
            target,
            idle: RefCell::new(Vec::new()),
            turns: Arc::new(Semaphore::new(size)),
            dial_errors: Cell::new(0),
            last_dial_error: RefCell::new(None),
            last_probe: Cell::new(None),
        }
    }

    /// Runs `command` as go-redis's `process`: tried up to `maxRetries`
    /// more times while the error is one go-redis retries.
    pub(super) async fn process(self: Rc<Self>, command: Cmd) -> Result<Value, Error> {
        let settings = &self.dialer.settings;
        let mut last = Error::net("redis: no attempt");
        for attempt in 0..=settings.max_retries {
            if attempt > 0 {
                let pause = backoff(attempt, settings.min_backoff, settings.max_backoff);
                tokio::time::sleep(pause).await;
            }
            match self.attempt(&command).await {
                Ok(value) => return Ok(value),
                Err((error, retry_timeout)) => {
                    let again = error.should_retry(retry_timeout);
                    last = error;
                    if !again {
                        break;
                    }
                }
            }
        }
        Err(last)
    }

    /// One try: a connection (waiting for a turn), the exchange, and the
    /// connection back to the pool unless it broke.
    async fn attempt(&self, command: &Cmd) -> Result<Value, (Error, bool)> {
        let settings = &self.dialer.settings;
        let turn = Arc::clone(&self.turns).acquire_owned();
        let permit = match tokio::time::timeout(settings.pool_timeout, turn).await {
            Ok(Ok(permit)) => permit,
            _ => return Err((Error::PoolTimeout, false)),
        };
        let mut conn = match self.checkout() {
            Some(conn) => conn,
            None => self.open().await.map_err(|error| (error, false))?,
        };
        let result = conn.command(command, settings).await;
        let broken = matches!(&result, Err((error, _)) if error.breaks_connection());
        if !broken {
            self.idle.borrow_mut().push(conn);
        }
        drop(permit);
        result
    }

    /// The most recently used healthy idle connection.
    fn checkout(&self) -> Option<Conn> {
        let mut idle = self.idle.borrow_mut();
        while let Some(mut conn) = idle.pop() {
            if conn.is_healthy(&self.dialer.settings) {
                return Some(conn);
            }
        }
        None
    }

    /// A new connection, unless dialling keeps failing.
    async fn open(&self) -> Result<Conn, Error> {
        let pool_size = self.dialer.settings.pool_size;
        if self.dial_errors.get() >= pool_size {
            let probe_due = self
                .last_probe
                .get()
                .is_none_or(|at| at.elapsed() >= PROBE_EVERY);
            if !probe_due {
                let last = self.last_dial_error.borrow().clone();
                return Err(last.unwrap_or_else(|| Error::net("redis: dial failed")));
            }
            self.last_probe.set(Some(Instant::now()));
        }
        let addr = match &self.target {
            Target::Addr(addr) => addr.clone(),
            Target::Sentinel(masters) => masters.master_addr().await?,
        };
        match Conn::open(&self.dialer, &addr).await {
            Ok(conn) => {
                self.dial_errors.set(0);
                Ok(conn)
            }
            // A refused handshake is no dial error (the socket connected).
            Err(error @ (Error::Server(_) | Error::Nil)) => Err(error),
            Err(error) => {
                self.dial_errors.set(self.dial_errors.get() + 1);
                *self.last_dial_error.borrow_mut() = Some(error.clone());
                Err(error)
            }
        }
    }
}

/// go-redis's `RetryBackoff`: a random pause between `min` and
/// `min << attempt`, capped at `max`.
fn backoff(attempt: u32, min: Duration, max: Duration) -> Duration {
    if min.is_zero() {
        return Duration::ZERO;
    }
    let min_ns = min.as_nanos().min(u128::from(u64::MAX)) as u64;
    let Some(span) = min_ns.checked_shl(attempt).filter(|span| *span >= min_ns) else {
        return max;
    };
    let pause = min + Duration::from_nanos(fastrand::u64(0..span.max(1)));
    if pause > max || pause < min {
        max
    } else {
        pause
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::backoff;

    #[test]
    fn backoff_grows_and_is_capped() {
        let (min, max) = (Duration::from_millis(8), Duration::from_millis(512));
        for _ in 0..100 {
            let first = backoff(1, min, max);
            assert!(
                first >= min && first < Duration::from_millis(24),
                "{first:?}"
            );
            assert!(backoff(10, min, max) <= max);
        }
        assert_eq!(backoff(3, Duration::ZERO, max), Duration::ZERO);
        assert_eq!(backoff(70, min, max), max);
    }
}
