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
//! cancels their I/O) and their promises never settle.
//!
//! # Adding an asynchronous API
//! 1. Make the work a `'static` future (or stream) that owns what it
//!    needs: an `Rc` of the VU's client, the request, the call's
//!    cancellation token. It must not hold JavaScript values (keep those
//!    for the completion) nor an `Rc` of the [`VuState`] (each completion
//!    is handed one).
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
