//! Data every VU of a process shares: the items of `k6/data`'s
//! `SharedArray`s, by name, and the files `k6/experimental/fs` opened,
//! by path.
//!
//! k6 runs a `SharedArray`'s callback once per process: the first VU that
//! constructs a name (in practice the init-for-options VU 0) runs it, and
//! every other VU, on whatever thread and runtime, reads the same items.
//! Items are kept as JSON text, one string per element, and decoded into
//! a fresh copy on each access, so no JavaScript object is shared and a
//! VU's heap holds only the items it is using.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};

/// The process-wide store of shared data, one per run: [`Config`]
/// carries it, so every VU made from clones of one config shares it.
///
/// [`Config`]: crate::Config
#[derive(Default)]
pub struct SharedData {
    arrays: Mutex<HashMap<String, Arc<Slot>>>,
    files: Mutex<HashMap<PathBuf, Arc<[u8]>>>,
}

/// The items of one `SharedArray`: each element's `JSON.stringify` text,
/// `None` where that was `undefined` (a function, `undefined` itself).
#[derive(Debug, Default)]
pub(crate) struct Items(Box<[Option<Box<str>>]>);

impl Items {
    /// Items from their JSON texts.
    pub(crate) fn new(items: Vec<Option<Box<str>>>) -> Self {
        Items(items.into_boxed_slice())
    }

    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Item `index`: `None` out of range, `Some(None)` for an element
    /// JSON could not represent.
    pub(crate) fn get(&self, index: usize) -> Option<Option<&str>> {
        self.0.get(index).map(|item| item.as_deref())
    }

    /// The bytes the JSON texts take.
    pub(crate) fn text_bytes(&self) -> usize {
        self.0.iter().flatten().map(|text| text.len()).sum()
    }
}

/// One name's state. A thread that finds the callback running elsewhere
/// waits on `ready`; the running thread itself (a VU whose callback
/// constructs its own name, or a second VU of a shared runtime, which
/// lives on the same thread) runs the callback again rather than wait
/// for itself forever.
#[derive(Default)]
struct Slot {
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Default)]
enum State {
    #[default]
    Empty,
    Running(ThreadId),
    Ready(Arc<Items>),
}

impl SharedData {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of the shared arrays made so far, sorted.
    pub fn array_names(&self) -> Vec<String> {
        let arrays = lock(&self.arrays);
        let mut names: Vec<String> = arrays
            .iter()
            .filter(|(_, slot)| matches!(*lock(&slot.state), State::Ready(_)))
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    /// The bytes of JSON text kept for the shared array `name`.
    pub fn array_bytes(&self, name: &str) -> Option<usize> {
        let slot = lock(&self.arrays).get(name).cloned()?;
        let state = lock(&slot.state);
        match &*state {
            State::Ready(items) => Some(items.text_bytes()),
            _ => None,
        }
    }

    /// The items of the array `name`, made by `make` if no VU made them
    /// yet. A failing `make` leaves the name unmade (the next VU tries).
    pub(crate) fn array<E>(
        &self,
        name: &str,
        make: impl FnOnce() -> Result<Items, E>,
    ) -> Result<Arc<Items>, E> {
        let slot = Arc::clone(lock(&self.arrays).entry(name.to_owned()).or_default());
        let me = thread::current().id();
        let mut state = lock(&slot.state);
        loop {
            match &*state {
                State::Ready(items) => return Ok(Arc::clone(items)),
                State::Running(owner) if *owner != me => {
                    state = slot
                        .ready
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                State::Running(_) => {
                    drop(state);
                    return make().map(Arc::new);
                }
                State::Empty => break,
            }
        }
        *state = State::Running(me);
        drop(state);
        // Whatever happens to `make` (an error, a panic unwinding through
        // here), the slot leaves `Running` and the waiters wake.
        let mut making = Making {
            slot: &slot,
            made: State::Empty,
        };
        let made = make().map(Arc::new);
        if let Ok(items) = &made {
            making.made = State::Ready(Arc::clone(items));
        }
        drop(making);
        made
    }
}

/// The slot of an array being made: on drop, sets it to what was made
/// (`Empty` unless it was made) and wakes the VUs waiting for it.
struct Making<'a> {
    slot: &'a Slot,
    made: State,
}

impl Drop for Making<'_> {
    fn drop(&mut self) {
        *lock(&self.slot.state) = std::mem::replace(&mut self.made, State::Empty);
        self.slot.ready.notify_all();
    }
}

impl SharedData {
    /// The content of the file at `path`, read by `read` the first time
    /// any VU of the process asks for it (k6's `fs.open` reads a file
    /// once and shares it). A failed read is not kept.
    pub(crate) fn file(
        &self,
        path: &Path,
        read: impl FnOnce() -> io::Result<Vec<u8>>,
    ) -> io::Result<Arc<[u8]>> {
        // Held while reading: a second VU waits for the first read
        // rather than reading the file again.
        let mut files = lock(&self.files);
        if let Some(content) = files.get(path) {
            return Ok(Arc::clone(content));
        }
        let content: Arc<[u8]> = Arc::from(read()?);
        files.insert(path.to_owned(), Arc::clone(&content));
        Ok(content)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for SharedData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedData")
            .field("arrays", &self.array_names())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;

    use super::*;

    fn items(texts: &[&str]) -> Items {
        Items::new(texts.iter().map(|t| Some(Box::from(*t))).collect())
    }

    #[test]
    fn threads_racing_for_a_name_make_it_once() {
        let store = Arc::new(SharedData::new());
        let made = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (store, made, barrier) = (store.clone(), made.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    let got = store
                        .array("users", || {
                            made.fetch_add(1, Ordering::SeqCst);
                            thread::sleep(std::time::Duration::from_millis(20));
                            Ok::<_, ()>(items(&["1", "2"]))
                        })
                        .unwrap();
                    got.len()
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), 2);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!(store.array_names(), ["users"]);
        assert_eq!(store.array_bytes("users"), Some(2));
    }

    #[test]
    fn a_failed_make_leaves_the_name_to_the_next_caller() {
        let store = SharedData::new();
        assert_eq!(
            store.array("x", || Err::<Items, _>("boom")).unwrap_err(),
            "boom"
        );
        let got = store.array("x", || Ok::<_, ()>(items(&["7"]))).unwrap();
        assert_eq!(got.get(0), Some(Some("7")));
        assert_eq!(got.get(1), None);
    }

    #[test]
    fn the_same_thread_asking_again_while_making_does_not_wait_for_itself() {
        let store = SharedData::new();
        let outer = store
            .array("x", || {
                let inner = store.array("x", || Ok::<_, ()>(items(&["1"])))?;
                assert_eq!(inner.len(), 1);
                Ok::<_, ()>(items(&["1", "2"]))
            })
            .unwrap();
        assert_eq!(outer.len(), 2);
        assert_eq!(store.array("x", || Err(())).unwrap().len(), 2);
    }
}
