//! The allocator of the processes that run VUs: mimalloc rather than
//! glibc's malloc. A request makes ~48 allocations on the Rust side
//! (hyper, the samples, the response); mimalloc takes ~4,700
//! instructions for them where glibc took ~14,200 (`bench/RESULTS.md`,
//! "The cost of a request"). QuickJS keeps its own arenas either way.
//!
//! Its first allocation sets mimalloc to commit memory only as it is
//! used: with its default (eager commit) a run's RSS grew by a sixth.
//! Freed pages go back to the system after mimalloc's default 10 ms:
//! handing them back at once made page faults on the hot path (195,000
//! minor faults in 10 s of the throughput bench, 28,000 after).
//!
//! A binary names it as its global allocator:
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: k6r_runner::Allocator = k6r_runner::Allocator;
//! # fn main() {
//! let spare: Vec<u8> = Vec::with_capacity(64);
//! assert!(spare.capacity() >= 64);
//! # }
//! ```

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

use mimalloc::MiMalloc;

/// mimalloc's `mi_option_arena_eager_commit` (`mi_option_e` in
/// mimalloc.h; its numbers stay fixed across versions, retired options
/// keep theirs).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
/// mimalloc's `mi_option_purge_delay`, in milliseconds.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// How long freed pages stay before they go back to the system.
const PURGE_AFTER_MS: std::ffi::c_long = 10;

/// Whether [`tune`] ran.
static TUNED: AtomicBool = AtomicBool::new(false);

/// mimalloc, set up by its first allocation (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct Allocator;

/// Sets mimalloc to commit memory only as it is used, and to hand freed
/// pages back to the system 10 ms after they are freed (its default,
/// set here so that it is said). With eager commit 2,000 VUs of
/// `bench/scripts/memory.js` peaked at 291 MB of RSS against glibc's
/// 248; without, 246. A delay of 0 kept RSS as low but faulted pages in
/// again about every other request; 5,000 VUs with 10 ms peak at 95 KB
/// per VU (k6: 255). It must run before mimalloc reserves its first
/// arena, which the first allocation does: hence [`Allocator`] calls it,
/// not `main`. Running it twice (two threads' first allocations at once)
/// is harmless.
fn tune() {
    #[allow(unsafe_code)]
    // SAFETY: mi_option_set only stores an option's value, and both are
    // options mimalloc defines.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_AFTER_MS);
    }
    TUNED.store(true, Ordering::Release);
}

/// Tunes mimalloc unless done.
#[inline]
fn tuned() {
    if !TUNED.load(Ordering::Acquire) {
        tune();
    }
}

#[allow(unsafe_code)]
// SAFETY: every call is MiMalloc's, whose contract is GlobalAlloc's.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        tuned();
        MiMalloc.alloc(layout)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        tuned();
        MiMalloc.alloc_zeroed(layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        MiMalloc.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        MiMalloc.realloc(ptr, layout, new_size)
    }
}
