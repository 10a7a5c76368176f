//! One JS VU on its own stackful coroutine.
//!
//! The coroutine owns the VU: its QuickJS context is created *inside* the
//! coroutine, in a runtime it shares with other VUs of its worker
//! ([`Host`], which bounds the stack by whichever VU runs) or, where a
//! host can't be had, in a runtime of its own whose recorded stack top
//! is the coroutine's. JavaScript stays synchronous: a
//! host function that must wait suspends the coroutine with the future
//! to wait for ([`Suspend::Wait`]); the VU's task on its worker awaits it
//! and resumes the coroutine. Calls come in through a channel, one at a
//! time.
//!
//! A suspended coroutine is never dropped: the task resumes it until it
//! returns (dropping it would unwind through QuickJS's C frames). The VU
//! ends when every handle to it is gone.

use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use k6r_script::{Call, CallResult, Config, Env, Host, Script, Vu, Wait, WaitFuture};
use tokio::sync::{mpsc, oneshot};

use crate::error::Error;

/// The coroutine's stack: mmap'd, so only the pages JavaScript touches
/// cost memory.
pub const STACK_SIZE: usize = 1024 * 1024;
/// The most of it JavaScript may use; the rest is for the Rust frames of
/// host functions (a deeper recursion is a catchable `RangeError`).
pub const MAX_JS_STACK: usize = 640 * 1024;

/// What a VU needs to start: the same for every VU of a test.
#[derive(Debug)]
pub struct Spec {
    /// The script.
    pub script: Script,
    /// `__ENV`.
    pub env: Env,
    /// The runtime settings (samples, logs, HTTP options...).
    pub config: Config,
}

/// A call for the VU and where its result goes.
pub(crate) struct Job {
    pub call: Call,
    pub reply: oneshot::Sender<CallResult>,
}

/// The sending side of a VU's calls. Jobs travel boxed: tokio's channel
/// allocates its first block of 32 slots up front, which for a `Job`
/// itself (~120 bytes) cost every VU 3.9 KB; for a box, 256 bytes.
pub(crate) type Jobs = mpsc::Sender<Box<Job>>;

enum Resume {
    Start,
    Call(Box<Call>),
    Waited,
    Exit,
}

enum Suspend {
    Ready(Result<(), k6r_script::Error>),
    Wait(WaitFuture),
    Done(CallResult),
}

/// [`Wait`] by suspending the coroutine that runs the VU.
struct Suspender {
    yielder: NonNull<Yielder<Resume, Suspend>>,
}

impl Wait for Suspender {
    fn wait(&self, future: WaitFuture) {
        // SAFETY: a `Suspender` is created inside the coroutine body from
        // the body's own yielder and handed only to the VU made there; the
        // VU (with everything holding this `Suspender`) is dropped before
        // the body returns, so the yielder outlives every use. It is only
        // ever called on the coroutine's stack (from JavaScript running in
        // it), which is what `suspend` requires.
        #[allow(unsafe_code)]
        let yielder = unsafe { self.yielder.as_ref() };
        // Whatever the task answers, the future has completed.
        let _ = yielder.suspend(Suspend::Wait(future));
    }
}

/// Runs VU `id` until every handle to it is dropped: initialises it,
/// answers `reply` with its channel (or the init error), then runs calls.
pub(crate) async fn run(
    id: u64,
    spec: Arc<Spec>,
    host: Option<Rc<Host>>,
    reply: oneshot::Sender<Result<Jobs, Error>>,
) {
    let stack = match DefaultStack::new(STACK_SIZE) {
        Ok(stack) => stack,
        Err(source) => {
            let _ = reply.send(Err(Error::Stack { vu: id, source }));
            return;
        }
    };
    let lowest = stack.limit().get();
    let mut coroutine = Coroutine::with_stack(stack, move |yielder, _start: Resume| {
        let wait = Rc::new(Suspender {
            yielder: NonNull::from(yielder),
        });
        let config = spec.config.clone().with_max_stack_size(MAX_JS_STACK);
        let made = match &host {
            Some(host) => Vu::in_host(host, &spec.script, id, &spec.env, &config, wait),
            None => Vu::with_wait(&spec.script, id, &spec.env, &config, wait),
        };
        let vu = match made {
            Ok(vu) => vu,
            Err(error) => {
                yielder.suspend(Suspend::Ready(Err(error)));
                return;
            }
        };
        // Init code went deeper (compiling the script) than iterations
        // usually go: give those pages back.
        release_stack_below(lowest);
        let mut next = yielder.suspend(Suspend::Ready(Ok(())));
        while let Resume::Call(call) = next {
            let result = vu.call(&call);
            next = yielder.suspend(Suspend::Done(result));
        }
        drop(vu);
    });

    let (jobs, mut incoming) = mpsc::channel::<Box<Job>>(1);
    let mut reply = Some(reply);
    let mut jobs = Some(jobs);
    let mut current: Option<oneshot::Sender<CallResult>> = None;
    let mut input = Resume::Start;
    loop {
        match coroutine.resume(input) {
            CoroutineResult::Yield(Suspend::Wait(future)) => {
                future.await;
                input = Resume::Waited;
            }
            CoroutineResult::Yield(Suspend::Ready(Ok(()))) => {
                if let (Some(reply), Some(jobs)) = (reply.take(), jobs.take()) {
                    let _ = reply.send(Ok(jobs));
                }
                input = next(&mut incoming, &mut current).await;
            }
            CoroutineResult::Yield(Suspend::Ready(Err(error))) => {
                if let Some(reply) = reply.take() {
                    let _ = reply.send(Err(Error::Init(error)));
                }
                input = Resume::Exit;
            }
            CoroutineResult::Yield(Suspend::Done(result)) => {
                if let Some(reply) = current.take() {
                    let _ = reply.send(result);
                }
                input = next(&mut incoming, &mut current).await;
            }
            CoroutineResult::Return(()) => break,
        }
    }
}

/// The next call, or `Exit` once every handle is gone.
async fn next(
    incoming: &mut mpsc::Receiver<Box<Job>>,
    current: &mut Option<oneshot::Sender<CallResult>>,
) -> Resume {
    match incoming.recv().await {
        Some(job) => {
            let Job { call, reply } = *job;
            *current = Some(reply);
            Resume::Call(Box::new(call))
        }
        None => Resume::Exit,
    }
}

/// Gives the pages of this coroutine's stack from `lowest` up to a page
/// below the current frame back to the system (a touched page stays
/// resident until then: 4 KB per VU for every page init code touched).
#[inline(never)]
fn release_stack_below(lowest: usize) {
    const PAGE: usize = 4096;
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let start = lowest.next_multiple_of(PAGE);
    let end = (here - PAGE) & !(PAGE - 1);
    if end > start {
        // SAFETY: [start, end) lies in this coroutine's own stack (above
        // its limit), below the live frames and a page of margin: nothing
        // there is in use. MADV_DONTNEED on private anonymous memory only
        // makes the pages read as zeros when next touched.
        #[allow(unsafe_code)]
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
        }
    }
}
