//! [`Plant`]: what the autopilot asks of the run it steers.

use std::future::Future;

use k6r_core::autopilot::Reading;

/// Why a rate could not be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlantError {
    /// The scenario has not started: try again.
    NotStarted,
    /// The scenario (or the run) is over: the autopilot is done.
    Ended,
    /// Anything else, in words: the autopilot stops steering.
    Refused(String),
}

/// The run as the autopilot sees it. Called from the pilot task only.
pub trait Plant: Send {
    /// Sets the scenario's rate, per second, for the whole test.
    fn set_rate(&mut self, per_second: f64) -> impl Future<Output = Result<(), PlantError>> + Send;

    /// The run now: the cumulative sinks named in `metrics` (registry
    /// names) and each load generator's CPU time; `None` when it could
    /// not be read.
    fn read(&mut self, metrics: &[String]) -> impl Future<Output = Option<Reading>> + Send;
}
