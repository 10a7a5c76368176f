//! Live counters for progress output and `exec.instance`: complete and
//! interrupted iterations per scenario and in total, active and
//! initialised VUs. Atomics, so readers never wait for the engine.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The counters of one scenario.
#[derive(Debug, Default)]
pub struct ScenarioCounters {
    complete: AtomicU64,
    interrupted: AtomicU64,
    dropped: AtomicU64,
    active_vus: AtomicU64,
}

/// A copy of a scenario's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioSnapshot {
    /// The scenario's name.
    pub name: String,
    /// Iterations that ran to the end (thrown ones included).
    pub complete: u64,
    /// Iterations cut short.
    pub interrupted: u64,
    /// Iterations dropped (the sum of its `dropped_iterations` samples).
    pub dropped: u64,
    /// VUs active in it now.
    pub active_vus: u64,
}

impl ScenarioCounters {
    pub(crate) fn add_complete(&self) {
        self.complete.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_interrupted(&self) {
        self.interrupted.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn add_active(&self, n: u64) {
        self.active_vus.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn sub_active(&self, n: u64) {
        // Saturating: a bookkeeping slip must not wrap the gauge.
        let _ = self
            .active_vus
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
    }
}

/// All counters of a test; cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Progress {
    scenarios: Arc<[(String, Arc<ScenarioCounters>)]>,
    initialized_vus: Arc<AtomicU64>,
}

/// A copy of all counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Per scenario, in plan order.
    pub scenarios: Vec<ScenarioSnapshot>,
    /// Sum of complete iterations.
    pub complete: u64,
    /// Sum of interrupted iterations.
    pub interrupted: u64,
    /// Active VUs in all scenarios.
    pub active_vus: u64,
    /// Initialised VUs.
    pub initialized_vus: u64,
}

impl Progress {
    pub(crate) fn new(names: impl IntoIterator<Item = String>) -> Progress {
        Progress {
            scenarios: names
                .into_iter()
                .map(|n| (n, Arc::new(ScenarioCounters::default())))
                .collect(),
            initialized_vus: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) fn scenario(&self, name: &str) -> Arc<ScenarioCounters> {
        self.scenarios
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(Arc::default, |(_, c)| Arc::clone(c))
    }

    pub(crate) fn initialized(&self) -> &AtomicU64 {
        &self.initialized_vus
    }

    /// Active VUs in all scenarios now.
    pub fn active_vus(&self) -> u64 {
        self.scenarios
            .iter()
            .map(|(_, c)| c.active_vus.load(Ordering::Relaxed))
            .sum()
    }

    /// Initialised VUs now.
    pub fn initialized_vus(&self) -> u64 {
        self.initialized_vus.load(Ordering::Relaxed)
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> Snapshot {
        let scenarios: Vec<ScenarioSnapshot> = self
            .scenarios
            .iter()
            .map(|(name, c)| ScenarioSnapshot {
                name: name.clone(),
                complete: c.complete.load(Ordering::Relaxed),
                interrupted: c.interrupted.load(Ordering::Relaxed),
                dropped: c.dropped.load(Ordering::Relaxed),
                active_vus: c.active_vus.load(Ordering::Relaxed),
            })
            .collect();
        Snapshot {
            complete: scenarios.iter().map(|s| s.complete).sum(),
            interrupted: scenarios.iter().map(|s| s.interrupted).sum(),
            active_vus: scenarios.iter().map(|s| s.active_vus).sum(),
            initialized_vus: self.initialized_vus(),
            scenarios,
        }
    }
}
