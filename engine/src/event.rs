//! Events for the metrics layer, delivered through an [`Observer`].
//!
//! The engine calls the observer synchronously from its tasks, so an
//! implementation must be cheap and must not block: the metrics task's
//! implementation forwards into its own channel (or aggregates locally).

use std::sync::Arc;
use std::time::Duration;

use crate::vu::VuId;

/// Something the metrics layer turns into samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An iteration ran to its end (`iterations` + `iteration_duration`),
    /// including a `minIterationDuration` sleep.
    IterationCompleted {
        /// Its scenario.
        scenario: Arc<str>,
        /// The VU that ran it.
        vu: VuId,
        /// From its start to its end.
        duration: Duration,
    },
    /// An iteration was interrupted (no `iterations` sample in k6).
    IterationInterrupted {
        /// Its scenario.
        scenario: Arc<str>,
        /// The VU that ran it.
        vu: VuId,
    },
    /// A `dropped_iterations` sample.
    DroppedIterations {
        /// Its scenario.
        scenario: Arc<str>,
        /// The sample's value.
        count: u64,
        /// The VU, for per-vu-iterations (the `vu` tag when enabled).
        vu: Option<VuId>,
    },
    /// A live change took effect (now): a `k6r_scenario_change` sample.
    ScenarioChanged {
        /// Its scenario.
        scenario: Arc<str>,
        /// Its summary line.
        line: String,
        /// Its instant, from the scenario's start.
        at: Duration,
    },
    /// The `vus` / `vus_max` gauges changed.
    Vus {
        /// Active VUs (`vus`).
        active: u64,
        /// Initialised VUs (`vus_max`).
        initialized: u64,
    },
}

/// Receives the engine's [`Event`]s.
pub trait Observer: Send + Sync + 'static {
    /// Called once per event, from engine tasks; must not block.
    fn on_event(&self, event: Event);
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopObserver;

impl Observer for NoopObserver {
    fn on_event(&self, _event: Event) {}
}

/// Forwards events into an unbounded channel (for a metrics task that
/// owns its state).
impl Observer for tokio::sync::mpsc::UnboundedSender<Event> {
    fn on_event(&self, event: Event) {
        // A closed receiver means nobody wants metrics any more.
        let _ = self.send(event);
    }
}

/// A shared observer.
pub type SharedObserver = Arc<dyn Observer>;
