//! A VU's pending operations: asynchronous work JavaScript started (an
//! `http.asyncRequest()`) whose results come back on the VU's thread.
//!
//! An operation is a stream of [`Completion`]s: what to do in JavaScript
//! once a piece of the work is done (settle a promise, fire an event).
//! Most operations are one future and one completion ([`promise`]); a
//! connection that delivers events (a WebSocket, a gRPC stream) is a
//! stream of them and stays pending until it ends.
//!
//! [`Pending`], one per VU, owns them. They run only while their VU
//! waits, and whatever it waits in: the wait of every host function
//! ([`crate::wait`]) polls them alongside its own future, so they progress
//! during a timer, a `sleep()` or a synchronous request (the VU's thread
//! runs JavaScript the rest of the time, so nothing else could). A
//! completion that arrives then is kept until the event loop
//! ([`crate::globals::event_loop`]) runs it: one at a time, with the
//! promise jobs it queued drained before the next, in the order they
//! completed. A call ends only once no operation is left (as in k6, an
//! iteration awaits what it started); an interrupted call, or one whose
//! JavaScript threw, drops what is left: the futures are dropped (which
//! cancels their I/O, and nothing is logged or counted: as in k6, whose
//! cancelled requests emit no samples) and their promises never settle.
//! (k6 still settles those promises, with a cancelled response, and runs
//! their handlers, racing the end of the iteration; k6r runs no more
//! JavaScript in a call once it is over.)
//!
//! # Adding an asynchronous API
//! 1. Make the work a `'static` future (or stream) that owns what it
//!    needs: an `Rc` of the VU's client, the request, the call's
//!    cancellation token. It must not hold JavaScript values (keep those
//!    for the completion) nor an `Rc` of the [`VuState`] (each completion
//!    is handed one). Make tokio's resources (timers, sockets) inside it,
//!    as an `async` block does: only once it is polled is a runtime at
//!    hand (and a big future made early would sit on the VU's stack).
//! 2. A function returning a promise calls [`promise`] with the work and
//!    with a function that makes the settled value (or throws the
//!    rejection) on the JavaScript thread.
//! 3. An API delivering events starts a stream with [`Pending::start`],
//!    each item a [`Completion`] calling the script's handlers; what the
//!    script can stop (`close()`) ends the stream from a signal the stream
//!    watches (a `CancellationToken` or a channel the API keeps).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, SelectAll, Stream, StreamExt};
use rquickjs::{Ctx, Persistent, Promise, Value};

use crate::state::VuState;

/// What an operation does in JavaScript when (a piece of) its work is
/// done. An error ends the call, as a timer callback's does.
pub(crate) type Completion = Box<dyn for<'js> FnOnce(&Ctx<'js>, &VuState) -> rquickjs::Result<()>>;

/// A started operation.
type Operation = Pin<Box<dyn Stream<Item = Completion>>>;

/// The operations of a VU's running call.
#[derive(Default)]
pub(crate) struct Pending {
    /// In flight; `None` until the first operation starts (most VUs never
    /// start one) and again once none is left.
    running: Option<SelectAll<Operation>>,
    /// Done, waiting for the event loop, in the order they completed.
    completed: VecDeque<Completion>,
}

impl Pending {
    /// Starts `operation`: pending until the stream ends.
    pub(crate) fn start(&mut self, operation: impl Stream<Item = Completion> + 'static) {
        self.running
            .get_or_insert_with(SelectAll::new)
            .push(Box::pin(operation));
    }

    /// Starts an operation that completes once.
    pub(crate) fn start_once(&mut self, work: impl Future<Output = Completion> + 'static) {
        self.start(stream::once(work));
    }

    /// Whether no operation is in flight or waiting for the event loop.
    pub(crate) fn is_idle(&self) -> bool {
        self.completed.is_empty() && self.running.as_ref().is_none_or(SelectAll::is_empty)
    }

    /// The completion to run next, if one is waiting.
    pub(crate) fn next_completed(&mut self) -> Option<Completion> {
        self.completed.pop_front()
    }

    /// Hands the operations in flight to the VU's wait, which polls them
    /// while the VU is suspended.
    pub(crate) fn lend(&mut self) -> Lent {
        Lent {
            running: self.running.take(),
            completed: Vec::new(),
        }
    }

    /// Takes back what [`lend`](Self::lend) handed out, with what
    /// completed meanwhile (and keeps any operation started meanwhile).
    pub(crate) fn restore(&mut self, lent: Lent) {
        self.completed.extend(lent.completed);
        let running = match (lent.running, self.running.take()) {
            (Some(mut running), Some(started)) => {
                running.extend(started);
                Some(running)
            }
            (running, started) => running.or(started),
        };
        // An empty set still holds an allocation.
        self.running = running.filter(|running| !running.is_empty());
    }
}

/// The operations of a VU that waits, polled by its wait.
#[derive(Default)]
pub(crate) struct Lent {
    running: Option<SelectAll<Operation>>,
    completed: Vec<Completion>,
}

impl Lent {
    /// Polls every operation, keeping what completed.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) {
        if let Some(running) = &mut self.running {
            while let Poll::Ready(Some(completion)) = running.poll_next_unpin(cx) {
                self.completed.push(completion);
            }
        }
    }

    /// Whether an operation completed while lent.
    pub(crate) fn has_completed(&self) -> bool {
        !self.completed.is_empty()
    }
}

/// Starts `work` as an operation of `vu` and returns a promise that
/// `settle` settles with its output on the VU's thread: resolved with the
/// value it returns, rejected with the exception it throws.
pub(crate) fn promise<'js, T: 'static>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    work: impl Future<Output = T> + 'static,
    settle: impl for<'a> FnOnce(&Ctx<'a>, &VuState, T) -> rquickjs::Result<Value<'a>> + 'static,
) -> rquickjs::Result<Promise<'js>> {
    let (promise, resolve, reject) = ctx.promise()?;
    let resolve = Persistent::save(ctx, resolve);
    let reject = Persistent::save(ctx, reject);
    vu.pending.borrow_mut().start_once(async move {
        let output = work.await;
        let completion: Completion =
            Box::new(
                move |ctx: &Ctx<'_>, vu: &VuState| match settle(ctx, vu, output) {
                    Ok(value) => resolve.restore(ctx)?.call((value,)),
                    Err(rquickjs::Error::Exception) => {
                        let error = ctx.catch();
                        reject.restore(ctx)?.call((error,))
                    }
                    Err(error) => Err(error),
                },
            );
        completion
    });
    Ok(promise)
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use rquickjs::{Ctx, Function, IntoJs, Value};
    use tokio_util::sync::CancellationToken;

    use super::promise;
    use crate::state::VuState;
    use crate::{Call, CallKind, Config, Env, MemoryFiles, MemoryLog, Outcome, Script, Vu};

    /// VU 1 of `source`, with `later(ms, value)`: a promise of `value`
    /// settled by an operation that takes `ms` milliseconds (rejected
    /// with a `GoError` when `value` starts with `throw`).
    fn vu(source: &str) -> (Vu, Arc<MemoryLog>) {
        let script = Script::new(
            Arc::new(MemoryFiles::new().with("/t/main.js", source)),
            "/t/main.js",
        );
        let log = Arc::new(MemoryLog::default());
        let config = Config::default()
            .with_init_timeout(Duration::from_secs(30))
            .with_log(log.clone());
        let vu = Vu::new(&script, 1, &Env::new(), &config).expect("init");
        let state = Rc::clone(&vu.state);
        vu.enter(|ctx| install_later(&ctx, state)).expect("later");
        (vu, log)
    }

    fn install_later<'js>(ctx: &Ctx<'js>, state: Rc<VuState>) -> rquickjs::Result<()> {
        let later = move |ctx: Ctx<'js>, ms: f64, value: String| -> rquickjs::Result<Value<'js>> {
            // Made inside the operation: only there is tokio at hand.
            let work = async move { tokio::time::sleep(Duration::from_millis(ms as u64)).await };
            let settled = promise(&ctx, &state, work, move |ctx, _, ()| {
                if value.starts_with("throw") {
                    return Err(crate::js::throw_go_error(ctx, &value));
                }
                value.into_js(ctx)
            })?;
            Ok(settled.into_value())
        };
        ctx.globals()
            .set("later", Function::new(ctx.clone(), later)?)
    }

    fn setup(timeout: Option<Duration>) -> Call {
        Call {
            function: "setup".into(),
            kind: CallKind::Setup,
            data: None,
            cancel: CancellationToken::new(),
            timeout,
        }
    }

    /// Runs `setup()`, which must return; its value as JSON and how long
    /// it took.
    fn returned(vu: &Vu) -> (serde_json::Value, Duration) {
        let started = Instant::now();
        let result = vu.call(&setup(None));
        let took = started.elapsed();
        assert!(
            matches!(result.outcome, Outcome::Returned),
            "{:?}",
            result.outcome
        );
        let value = serde_json::from_str(result.value.as_deref().unwrap_or("null")).unwrap();
        (value, took)
    }

    #[test]
    fn operations_overlap_and_the_call_waits_for_those_not_awaited() {
        let (vu, log) = vu(r#"
            export async function setup() {
                const seen = [];
                const t0 = Date.now();
                const both = await Promise.all([later(200, 'a'), later(200, 'b')]);
                seen.push(both.join(' '), Date.now() - t0 < 390);
                later(150, 'not awaited').then((v) => seen.push(v));
                return seen;
            }
        "#);
        let (value, took) = returned(&vu);
        assert_eq!(value, serde_json::json!(["a b", true, "not awaited"]));
        assert!(took >= Duration::from_millis(350), "{took:?}");
        assert!(vu.state.pending.borrow().is_idle());
        // Nothing is kept once the last operation is done.
        assert!(vu.state.pending.borrow().running.is_none());
        assert!(log.lines().is_empty(), "{:?}", log.lines());
    }

    #[test]
    fn operations_progress_while_the_vu_waits_elsewhere_and_complete_after() {
        let (vu, _log) = vu(r#"
            import { sleep } from 'k6';
            export async function setup() {
                const seen = [];
                const t0 = Date.now();
                const done = later(200, 'op').then((v) => seen.push(v));
                later(20, 'early').then((v) => seen.push(v));
                // Both complete during the sleep; their handlers run after it.
                sleep(0.25);
                seen.push('slept');
                await done;
                seen.push(Date.now() - t0 < 440);
                return seen;
            }
        "#);
        let (value, _) = returned(&vu);
        assert_eq!(value, serde_json::json!(["slept", "early", "op", true]));
    }

    #[test]
    fn completions_and_timers_run_in_the_order_they_come() {
        let (vu, _log) = vu(r#"
            export function setup() {
                const seen = [];
                setTimeout(() => seen.push('timer 150'), 150);
                later(50, 'op 50').then((v) => seen.push(v));
                later(300, 'op 300').then((v) => {
                    seen.push(v);
                    setTimeout(() => seen.push('timer after'), 60);
                    later(5, 'op after').then((v) => seen.push(v));
                });
                seen.push('returned');
                return seen;
            }
        "#);
        let (value, _) = returned(&vu);
        assert_eq!(
            value,
            serde_json::json!([
                "returned",
                "op 50",
                "timer 150",
                "op 300",
                "op after",
                "timer after"
            ])
        );
    }

    #[test]
    fn an_exception_while_settling_rejects_the_promise() {
        let (vu, _log) = vu(r#"
            export async function setup() {
                try {
                    await later(10, 'throw this');
                    return 'resolved';
                } catch (e) {
                    return `${e.name}: ${e.message}`;
                }
            }
        "#);
        let (value, _) = returned(&vu);
        assert_eq!(value, "GoError: throw this");
    }

    #[test]
    fn an_interrupted_call_drops_its_operations() {
        let (vu, log) = vu(r#"
            export const seen = [];
            export async function setup() {
                later(50, 'dropped').then((v) => seen.push(v));
                await later(10_000, 'never');
                seen.push('never');
            }
        "#);
        let started = Instant::now();
        let result = vu.call(&setup(Some(Duration::from_millis(100))));
        assert!(
            matches!(result.outcome, Outcome::TimedOut(_)),
            "{:?}",
            result.outcome
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(vu.state.pending.borrow().is_idle());
        assert!(log.lines().is_empty(), "{:?}", log.lines());

        // The next call starts with none, and ends without waiting.
        let cancel = CancellationToken::new();
        cancel.cancel();
        let result = vu.call(&Call {
            cancel,
            ..setup(None)
        });
        assert!(
            matches!(result.outcome, Outcome::Interrupted),
            "{:?}",
            result.outcome
        );
        assert!(vu.state.pending.borrow().is_idle());
    }
}
