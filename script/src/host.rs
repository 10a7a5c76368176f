//! Many VUs in one QuickJS runtime: a [`Host`] is a runtime on one
//! thread whose VUs are contexts, each running on its own coroutine
//! stack (the runner's). A VU then costs a context, not a runtime: the
//! atoms, shapes and class tables are the host's.
//!
//! QuickJS keeps per-runtime state that assumes one native stack, and
//! VUs that suspend in the middle of JavaScript interleave on it. Each
//! VU's `Seat` puts that state right whenever its VU takes the thread:
//! - the stack limit: QuickJS checks the native stack pointer against
//!   one limit per runtime. On entry and on every resume the limit is
//!   set [`Config::max_stack_size`](crate::Config) below *this* VU's
//!   stack top; while no VU runs there is no limit.
//! - the current stack frame (QuickJS's chain of live JavaScript frames,
//!   used for `Error().stack` and strict-mode checks): saved when a VU
//!   suspends and restored when it resumes. The field is private to
//!   QuickJS; [`Host::new`] locates it next to the interrupt handler and
//!   proves it is the frame chain before any VU runs, and refuses the
//!   host (the caller then gives each VU a runtime of its own) if not.
//! - the interrupt handler: one per runtime, answering for the VU whose
//!   seat is taken.
//! - promise jobs: one queue per runtime, so a VU draining it may run
//!   another VU's callback on its own stack. Such a callback may not
//!   wait (a wait there returns at once, as if interrupted): only the VU
//!   whose seat is taken may suspend.
//!
//! rquickjs's runtime lock is never taken while VUs run (`Context::with`
//! would hold it across a suspension): a VU's `Ctx` is made from its
//! raw context, on the host's thread only (a `Host` is not `Send`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::rc::Rc;

use rquickjs::{qjs, Context, Ctx, Function, Persistent, Runtime};

use crate::error::{Error, Result};
use crate::interrupt::Interrupt;
use crate::loader::{self, LoaderState};
use crate::script::Script;

/// One QuickJS runtime hosting the VUs of one script on this thread.
pub struct Host {
    pub(crate) runtime: Runtime,
    pub(crate) loader: Rc<LoaderState>,
    shared: Rc<Shared>,
    next_token: Cell<u64>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").finish_non_exhaustive()
    }
}

/// What every seat of a host shares.
struct Shared {
    rt: NonNull<qjs::JSRuntime>,
    /// Byte offset of QuickJS's `current_stack_frame` in its runtime.
    frame: usize,
    /// The interrupt state of the VU whose seat is taken.
    interrupt: RefCell<Option<Rc<Interrupt>>>,
    /// The token of the VU whose seat is taken (0: none).
    running: Cell<u64>,
    /// Strings every VU holds the same of (the environment's values),
    /// made once: QuickJS strings belong to the runtime, not a context.
    strings: RefCell<HashMap<Box<str>, Persistent<rquickjs::String<'static>>>>,
    /// Set when the host goes: nothing is kept any more.
    closed: Cell<bool>,
}

/// The most strings a host keeps for its VUs.
const MAX_SHARED_STRINGS: usize = 4096;

impl Host {
    /// A runtime for `script`'s VUs on this thread, or an error when the
    /// QuickJS internals VUs sharing it rely on are not as expected.
    pub fn new(script: &Script) -> Result<Host> {
        let runtime = Runtime::new()?;
        let entry_dir = entry_dir(script);
        let loader = loader::install(&runtime, script.files().clone(), entry_dir);
        let (rt, frame) = locate_frame(&runtime)?;
        let shared = Rc::new(Shared {
            rt,
            frame,
            interrupt: RefCell::new(None),
            running: Cell::new(0),
            strings: RefCell::default(),
            closed: Cell::new(false),
        });
        let current = Rc::clone(&shared);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let interrupt = current.interrupt.borrow();
            interrupt.as_ref().is_some_and(|i| i.should_stop())
        })));
        Ok(Host {
            runtime,
            loader,
            shared,
            next_token: Cell::new(1),
        })
    }

    /// A seat for a new VU whose stack starts about here, whose
    /// JavaScript may use `allowed` bytes of it and is stopped by
    /// `interrupt`.
    pub(crate) fn seat(&self, allowed: usize, interrupt: Rc<Interrupt>) -> Seat {
        let token = self.next_token.get();
        self.next_token.set(token + 1);
        Seat {
            shared: Rc::clone(&self.shared),
            token,
            stack_top: stack_pointer(),
            allowed,
            interrupt,
        }
    }

    /// The bytes QuickJS has allocated for this runtime and its VUs.
    pub fn heap_size(&self) -> u64 {
        self.runtime.memory_usage().malloc_size as u64
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // The kept strings go while the runtime is still there.
        self.shared.closed.set(true);
        self.shared.strings.borrow_mut().clear();
    }
}

/// The directory relative imports of the entry script resolve against.
pub(crate) fn entry_dir(script: &Script) -> PathBuf {
    script
        .entry()
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// A VU's place in a [`Host`].
pub(crate) struct Seat {
    shared: Rc<Shared>,
    token: u64,
    stack_top: usize,
    allowed: usize,
    /// The VU's interrupt state.
    interrupt: Rc<Interrupt>,
}

/// The frame chain of a VU that suspended in JavaScript.
#[must_use]
pub(crate) struct Parked(*mut c_void);

impl Seat {
    /// This VU takes the thread: its interrupt state answers, its stack
    /// bounds JavaScript.
    pub(crate) fn enter(&self) {
        let shared = &self.shared;
        shared.running.set(self.token);
        *shared.interrupt.borrow_mut() = Some(Rc::clone(&self.interrupt));
        let used = self.stack_top.saturating_sub(stack_pointer());
        let size = self.allowed.saturating_sub(used).max(1);
        // SAFETY: `rt` is the live runtime of the host this seat belongs
        // to (the seat holds the host's `Shared`, and VUs never outlive
        // their runtime); both calls only set stack bounds.
        #[allow(unsafe_code)]
        unsafe {
            qjs::JS_UpdateStackTop(shared.rt.as_ptr());
            qjs::JS_SetMaxStackSize(shared.rt.as_ptr(), size as _);
        }
    }

    /// Whether this VU has the thread (only it may suspend).
    pub(crate) fn is_running(&self) -> bool {
        self.shared.running.get() == self.token
    }

    /// This VU suspends: its frame chain is put aside and no stack limit
    /// applies until a VU enters again.
    pub(crate) fn leave(&self) -> Parked {
        let shared = &self.shared;
        shared.running.set(0);
        let slot = shared.frame_slot();
        // SAFETY: `frame_slot` is the pointer-sized `current_stack_frame`
        // field of the live runtime, located and checked by `Host::new`.
        #[allow(unsafe_code)]
        let parked = unsafe {
            let parked = slot.read();
            slot.write(std::ptr::null_mut());
            qjs::JS_SetMaxStackSize(shared.rt.as_ptr(), 0);
            parked
        };
        Parked(parked)
    }

    /// This VU resumes where it suspended.
    pub(crate) fn resume(&self, parked: Parked) {
        // SAFETY: as in `leave`; the chain restored is the one this VU's
        // own stack still holds (it was suspended, not unwound).
        #[allow(unsafe_code)]
        unsafe {
            self.shared.frame_slot().write(parked.0)
        };
        self.enter();
    }

    /// `text` as a JavaScript string shared by every VU of the host
    /// (for strings they all hold: the environment's values).
    pub(crate) fn shared_string<'js>(
        &self,
        ctx: &Ctx<'js>,
        text: &str,
    ) -> rquickjs::Result<rquickjs::String<'js>> {
        let shared = &self.shared;
        if let Some(kept) = shared.strings.borrow().get(text) {
            return kept.clone().restore(ctx);
        }
        let string = rquickjs::String::from_str(ctx.clone(), text)?;
        let mut strings = shared.strings.borrow_mut();
        if !shared.closed.get() && strings.len() < MAX_SHARED_STRINGS {
            strings.insert(text.into(), Persistent::save(ctx, string.clone()));
        }
        Ok(string)
    }

    /// A `Ctx` for `context`, without rquickjs's runtime lock.
    pub(crate) fn ctx<'js>(&self, context: &'js Context) -> Ctx<'js> {
        // SAFETY: the context belongs to this seat's runtime, which lives
        // on this thread only; no other borrow of the runtime is held
        // while VUs run (the host never calls `Context::with`).
        #[allow(unsafe_code)]
        unsafe {
            Ctx::from_raw(context.as_raw())
        }
    }
}

impl Shared {
    fn frame_slot(&self) -> *mut *mut c_void {
        // SAFETY: `frame` is an offset inside the runtime struct, found
        // by `locate_frame`.
        #[allow(unsafe_code)]
        unsafe {
            self.rt.as_ptr().cast::<u8>().add(self.frame).cast()
        }
    }
}

/// The native stack pointer, near enough (a local's address).
#[inline(never)]
fn stack_pointer() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// How far from its start QuickJS's runtime may be read while looking
/// for the interrupt handler.
const SCAN_LIMIT: usize = 4096;

/// Finds `runtime`'s address and QuickJS's `current_stack_frame` in it:
/// the pointer just before the interrupt handler and its opaque (set here
/// to values we know), proved to be the frame chain: NULL outside
/// JavaScript, and one link longer when JavaScript calls one function
/// deeper, every link on this thread's stack.
fn locate_frame(runtime: &Runtime) -> Result<(NonNull<qjs::JSRuntime>, usize)> {
    let context = Context::full(runtime)?;
    // SAFETY: a live context's runtime.
    #[allow(unsafe_code)]
    let rt = unsafe { qjs::JS_GetRuntime(context.as_raw().as_ptr()) };
    let rt =
        NonNull::new(rt).ok_or_else(|| Error::Host("QuickJS runtime without an address".into()))?;
    extern "C" fn never(_: *mut qjs::JSRuntime, _: *mut c_void) -> std::ffi::c_int {
        0
    }
    let handler: unsafe extern "C" fn(*mut qjs::JSRuntime, *mut c_void) -> std::ffi::c_int = never;
    let mut sentinel = 0u64;
    let opaque = std::ptr::addr_of_mut!(sentinel).cast::<c_void>();
    let words = rt.as_ptr().cast::<usize>();
    let word = std::mem::size_of::<usize>();
    // SAFETY: the scan reads the runtime struct word by word and stops at
    // the handler it just installed, which is inside the struct; the
    // handler is replaced by the host's own before anything runs.
    #[allow(unsafe_code)]
    let found = unsafe {
        qjs::JS_SetInterruptHandler(rt.as_ptr(), Some(handler), opaque);
        let mut found = None;
        for i in 1..SCAN_LIMIT / word - 1 {
            if words.add(i).read() == handler as usize && words.add(i + 1).read() == opaque as usize
            {
                found = Some(i);
                break;
            }
        }
        qjs::JS_SetInterruptHandler(rt.as_ptr(), None, std::ptr::null_mut());
        found
    };
    let Some(handler) = found else {
        return Err(Error::Host("QuickJS's interrupt handler not found".into()));
    };
    let frame = (handler - 1) * word;
    let depths = probe_depths(&context, rt, frame)?;
    match depths {
        (Some(0), Some(outer), Some(inner)) if outer >= 1 && inner == outer + 1 => Ok((rt, frame)),
        other => Err(Error::Host(format!(
            "QuickJS's frame chain not as expected: {other:?}"
        ))),
    }
}

/// The length of the frame chain at `frame` outside JavaScript, in a
/// host function called from a JavaScript function, and from one nested
/// a level deeper (`None`: a link off this thread's stack).
fn probe_depths(
    context: &Context,
    rt: NonNull<qjs::JSRuntime>,
    frame: usize,
) -> Result<(Option<usize>, Option<usize>, Option<usize>)> {
    let slot = rt.as_ptr().cast::<u8>().wrapping_add(frame).cast::<usize>();
    let chain = move || -> Option<usize> {
        let sp = stack_pointer();
        // SAFETY: `slot` is inside the runtime struct (before the
        // interrupt handler); each link is read only once it is known to
        // point into this thread's stack above the current frame.
        #[allow(unsafe_code)]
        unsafe {
            let mut link = slot.read();
            let mut depth = 0;
            while link != 0 {
                if link < sp || link > sp + (1 << 20) || depth > 64 {
                    return None;
                }
                link = (link as *const usize).read();
                depth += 1;
            }
            Some(depth)
        }
    };
    let outside = chain();
    let depths: Rc<RefCell<Vec<Option<usize>>>> = Rc::default();
    let seen = Rc::clone(&depths);
    context
        .with(|ctx| -> rquickjs::Result<()> {
            let probe = Function::new(ctx.clone(), move || seen.borrow_mut().push(chain()))?;
            ctx.globals().set("probe", probe)?;
            ctx.eval::<(), _>("function a() { probe(); } function b() { a(); } a(); b();")
        })
        .map_err(|error| Error::Host(format!("probing QuickJS's frame chain: {error}")))?;
    let depths = depths.borrow();
    Ok((
        outside,
        depths.first().copied().flatten(),
        depths.get(1).copied().flatten(),
    ))
}
