//! How a VU waits: the one place where synchronous JavaScript meets
//! asynchronous Rust.
//!
//! k6 scripts are synchronous: `http.get()` and `sleep()` return only
//! when done, and block only their own VU. A host function that must
//! wait builds a future and hands it to the VU's [`Wait`]; the call
//! returns once the future has completed. The runner implements it by
//! suspending the VU's coroutine until its worker has driven the future
//! ([`BlockOn`] is the plain implementation for tests and inspection).
//! This crate knows nothing about coroutines.
//!
//! Every wait of a VU also drives its pending operations
//! (`pending`): they are lent to the future the worker drives
//! and polled with it, so whatever the VU waits in (a `sleep()`, a
//! synchronous request, the event loop's wait for its next timer or
//! completion), they progress. This is the only place they are polled.

use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Instant;

use crate::host::Seat;
use crate::pending::Lent;
use crate::state::VuState;

/// A future a VU waits for. Not `Send`: it runs on the VU's thread.
pub type WaitFuture = Pin<Box<dyn Future<Output = ()>>>;

/// Runs a future to completion on behalf of a VU whose JavaScript is
/// blocked in a host function. The future may use tokio (timers, sockets,
/// `tokio::spawn`), so it must run inside a tokio runtime.
pub trait Wait {
    /// Returns once `future` has completed.
    fn wait(&self, future: WaitFuture);
}

/// Blocks the calling thread on a current-thread tokio runtime of its
/// own, created on first use and kept (HTTP connections live in it).
///
/// Must not be used from inside a tokio runtime (tokio refuses to block
/// a thread that drives one).
#[derive(Default)]
pub struct BlockOn {
    runtime: OnceCell<Option<tokio::runtime::Runtime>>,
}

impl fmt::Debug for BlockOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockOn").finish_non_exhaustive()
    }
}

impl Wait for BlockOn {
    fn wait(&self, future: WaitFuture) {
        let runtime = self.runtime.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()
        });
        // Without a runtime nothing can be awaited: the call returns as
        // if it had been interrupted (its result slot stays empty).
        if let Some(runtime) = runtime {
            runtime.block_on(future);
        }
    }
}

/// Waits for `future` unless the VU's current call is interrupted or its
/// deadline passes first; `None` then (and the interrupt records why).
/// The VU's pending operations progress meanwhile (what completes waits
/// for the event loop). Samples buffered so far are flushed first, so
/// they are not held back by a long `sleep`.
pub(crate) fn block<T: 'static>(
    vu: &VuState,
    future: impl Future<Output = T> + 'static,
) -> Option<T> {
    match suspend(vu, future, false) {
        Woke::Done(value) => Some(value),
        Woke::Completed | Woke::Stopped => None,
    }
}

/// What ended the event loop's wait ([`next_event`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// The time waited for came.
    Due,
    /// A pending operation completed.
    Completed,
}

/// The event loop's wait: until `due` (the next timer's, if any) or until
/// a pending operation completes; `None` when the call is interrupted.
pub(crate) fn next_event(vu: &VuState, due: Option<Instant>) -> Option<Event> {
    // The timer is made inside the future: only there is tokio's runtime
    // at hand.
    let timer = async move {
        match due {
            Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
            None => std::future::pending().await,
        }
    };
    match suspend(vu, timer, true) {
        Woke::Done(()) => Some(Event::Due),
        Woke::Completed => Some(Event::Completed),
        Woke::Stopped => None,
    }
}

/// How a suspension ended.
enum Woke<T> {
    Done(T),
    /// A pending operation completed (when asked to wake for that).
    Completed,
    /// Interrupted, or past the deadline.
    Stopped,
}

/// Suspends the VU until `future` is done, polling its pending operations
/// meanwhile; also until one completes when `on_completion`.
fn suspend<T: 'static>(
    vu: &VuState,
    future: impl Future<Output = T> + 'static,
    on_completion: bool,
) -> Woke<T> {
    if vu.interrupt.should_stop() {
        return Woke::Stopped;
    }
    // In a shared runtime only the VU that has the thread may suspend
    // (not another VU's promise callback run on its stack).
    if vu.seat.as_ref().is_some_and(|seat| !seat.is_running()) {
        return Woke::Stopped;
    }
    vu.flush_samples();
    let slot = Rc::new(RefCell::new(None));
    let out = Rc::clone(&slot);
    let cancel = vu.interrupt.token();
    let deadline = vu.interrupt.deadline();
    let mut lent = vu.pending.borrow_mut().lend();
    let parked = vu.seat.as_ref().map(Seat::leave);
    vu.wait.wait(Box::pin(async move {
        let cancelled = pin!(async {
            match cancel {
                Some(token) => token.cancelled_owned().await,
                None => std::future::pending().await,
            }
        });
        let expired = pin!(async {
            match deadline {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        });
        let (mut cancelled, mut expired, mut future) = (cancelled, expired, pin!(future));
        let woke = std::future::poll_fn(|cx| {
            if cancelled.as_mut().poll(cx).is_ready() || expired.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Woke::Stopped);
            }
            lent.poll(cx);
            if let Poll::Ready(value) = future.as_mut().poll(cx) {
                return Poll::Ready(Woke::Done(value));
            }
            if on_completion && lent.has_completed() {
                return Poll::Ready(Woke::Completed);
            }
            Poll::Pending
        })
        .await;
        *out.borrow_mut() = Some((woke, lent));
    }));
    if let (Some(seat), Some(parked)) = (&vu.seat, parked) {
        seat.resume(parked);
    }
    // Nothing in the slot: the wait could not run the future (no runtime),
    // and the operations it was lent are gone with it.
    let (woke, lent) = slot
        .borrow_mut()
        .take()
        .unwrap_or((Woke::Stopped, Lent::default()));
    vu.pending.borrow_mut().restore(lent);
    // Records a deadline that passed or a cancellation while waiting.
    vu.interrupt.should_stop();
    woke
}
