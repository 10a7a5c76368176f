//! [`Metrics`]: the run's [`Registry`] as a [`SampleSink`], with a live
//! read handle.
//!
//! The samples consumer task is the only writer (one lock per batch);
//! readers (the 2 s threshold evaluation, the end-of-test summary, later
//! the REST API's `/v1/metrics`) take the lock briefly through
//! [`Metrics::read`], never across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use k6r_core::metrics::{Breakdown, Delta, MetricsError, Registry, Sample};
use k6r_core::threshold::{ThresholdError, Thresholds};

use crate::samples::SampleSink;

/// The run's registry, shared between the consumer task that feeds it and
/// its readers. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Metrics(Arc<Mutex<Registry>>);

impl Metrics {
    /// A handle on `registry` (built-ins declared; declare the script's
    /// custom metrics and build thresholds before the run).
    pub fn new(registry: Registry) -> Self {
        Metrics(Arc::new(Mutex::new(registry)))
    }

    /// The registry of a script's run: [`Registry::for_script`].
    pub fn for_script(
        custom: &[Arc<k6r_core::metrics::Metric>],
        breakdown: Breakdown,
    ) -> Result<Self, MetricsError> {
        Registry::for_script(custom, breakdown).map(Metrics::new)
    }

    /// Builds the `thresholds` option against this registry (k6's
    /// messages on error: exit 104).
    pub fn thresholds(
        &self,
        option: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Thresholds, ThresholdError> {
        Thresholds::build(option, &mut self.lock())
    }

    /// Registers the autopilot's SLOs against this registry (their
    /// submetrics made): each one's registry name, in order.
    pub fn slos(
        &self,
        slos: &[k6r_core::autopilot::Slo],
    ) -> Result<Vec<String>, k6r_core::autopilot::AutopilotError> {
        k6r_core::autopilot::Slo::register(slos, &mut self.lock())
    }

    /// What changed since the previous call (a cluster agent's
    /// `MetricDelta`): see [`Registry::take_delta`].
    pub fn take_delta(&self) -> Delta {
        self.lock().take_delta()
    }

    /// Runs `f` on the registry as it is now.
    pub fn read<R>(&self, f: impl FnOnce(&Registry) -> R) -> R {
        f(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SampleSink for Metrics {
    fn add(&mut self, batch: &[Sample]) {
        self.lock().add(batch);
    }
}
