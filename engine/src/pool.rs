//! The shared VU pool (§2.2): VUs are initialised once, with ids assigned
//! in init order from the instance's segmented index, and lent to the
//! executors, which return them when done, so later scenarios reuse the
//! VUs of earlier ones.
//!
//! The pool is a FIFO queue like k6's buffered channel. Its lock is held
//! only for a push or a pop, never across an await, and no invariant spans
//! two operations, so it needs no owning task.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use k6r_core::segment::SegmentedIndex;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::event::{Event, SharedObserver};
use crate::progress::Progress;
use crate::vu::{InitError, VuFactory, VuId};

/// A VU with the counters that follow it across scenarios.
#[derive(Debug)]
pub(crate) struct PooledVu<V> {
    pub vu: V,
    pub id: VuId,
    /// `__ITER` of the next iteration.
    pub iterations: u64,
    /// `exec.vu.iterationInScenario` of the next iteration, per scenario.
    pub per_scenario: PerScenario,
}

/// A VU's count of iterations in each scenario it ran in: a few at most,
/// so a list found by the scenario's name (its `Arc` first) beats hashing
/// the name every iteration.
#[derive(Debug, Default)]
pub(crate) struct PerScenario(Vec<(Arc<str>, u64)>);

impl PerScenario {
    /// The count of `scenario`'s iterations, 0 the first time.
    pub fn of(&mut self, scenario: &Arc<str>) -> &mut u64 {
        let at = self
            .0
            .iter()
            .position(|(name, _)| Arc::ptr_eq(name, scenario) || name == scenario);
        let at = at.unwrap_or_else(|| {
            self.0.push((Arc::clone(scenario), 0));
            self.0.len() - 1
        });
        &mut self.0[at].1
    }
}

struct State<V> {
    idle: VecDeque<PooledVu<V>>,
    index: SegmentedIndex,
}

/// The pool of initialised, currently unused VUs.
pub(crate) struct Pool<F: VuFactory> {
    factory: Arc<F>,
    state: Mutex<State<F::Vu>>,
    returned: Notify,
    progress: Progress,
    observer: SharedObserver,
}

impl<F: VuFactory> Pool<F> {
    pub fn new(
        factory: Arc<F>,
        index: SegmentedIndex,
        progress: Progress,
        observer: SharedObserver,
    ) -> Pool<F> {
        Pool {
            factory,
            state: Mutex::new(State {
                idle: VecDeque::new(),
                index,
            }),
            returned: Notify::new(),
            progress,
            observer,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<F::Vu>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ids of the next VU to initialise: `__VU` counts up, `idInTest`
    /// follows the segmented index.
    pub fn next_id(&self) -> VuId {
        let (scaled, unscaled) = self.lock().index.next();
        VuId {
            local: scaled.max(0) as u64,
            global: unscaled.max(0) as u64,
        }
    }

    /// Initialises a VU with already assigned ids (not put in the pool).
    pub async fn init(&self, id: VuId) -> Result<PooledVu<F::Vu>, InitError> {
        let vu = self.factory.init(id).await?;
        self.progress.initialized().fetch_add(1, Ordering::Relaxed);
        self.emit_vus();
        Ok(PooledVu {
            vu,
            id,
            iterations: 0,
            per_scenario: PerScenario::default(),
        })
    }

    /// Initialises one more VU with the next ids.
    pub async fn init_next(&self) -> Result<PooledVu<F::Vu>, InitError> {
        let id = self.next_id();
        self.init(id).await
    }

    /// Returns a VU to the pool.
    pub fn put(&self, vu: PooledVu<F::Vu>) {
        self.lock().idle.push_back(vu);
        self.returned.notify_waiters();
    }

    /// A VU if one is idle now.
    pub fn try_take(&self) -> Option<PooledVu<F::Vu>> {
        self.lock().idle.pop_front()
    }

    /// Waits for an idle VU; `None` once `cancel` fires. The plan
    /// guarantees enough VUs, but one may still be on its way back from a
    /// scenario that ends at the same instant.
    pub async fn take(&self, cancel: &CancellationToken) -> Option<PooledVu<F::Vu>> {
        loop {
            let notified = self.returned.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(vu) = self.try_take() {
                return Some(vu);
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = cancel.cancelled() => return None,
            }
        }
    }

    /// Sends the current `vus` / `vus_max` values to the observer.
    pub fn emit_vus(&self) {
        self.observer.on_event(Event::Vus {
            active: self.progress.active_vus(),
            initialized: self.progress.initialized_vus(),
        });
    }
}
