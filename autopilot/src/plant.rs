//! [`Plant`]: what the autopilot asks of the run it steers.

use std::future::Future;
use std::time::Duration;

use k6r_core::autopilot::Reading;
use k6r_core::steer::ChangeError;

/// Why a rate could not be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlantError {
    /// The scenario has not started: try again.
    NotStarted,
    /// The run can't be read or changed right now: try again.
    Unavailable,
    /// The scenario (or the run) is over: the autopilot is done.
    Ended,
    /// Anything else, in words: the autopilot stops steering.
    Refused(String),
}

impl From<ChangeError> for PlantError {
    /// A refused rate change, as the pilot acts on it.
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::NotStarted(_) => PlantError::NotStarted,
            ChangeError::Ended(_) => PlantError::Ended,
            other => PlantError::Refused(other.to_string()),
        }
    }
}

/// The run as the autopilot sees it. Called from the pilot task only.
pub trait Plant: Send {
    /// The scenario's rate, per second, for the whole test, once it has
    /// started ([`PlantError::NotStarted`] before): the rate the pilot
    /// finds, which it then owns (it remembers each rate it sets).
    fn started(&mut self) -> impl Future<Output = Result<f64, PlantError>> + Send;

    /// Sets the scenario's rate, per second, for the whole test.
    fn set_rate(&mut self, per_second: f64) -> impl Future<Output = Result<(), PlantError>> + Send;

    /// The run now: the cumulative sinks named in `metrics` (registry
    /// names) and each load generator's CPU time; [`PlantError::Ended`]
    /// once the scenario is over.
    fn read(
        &mut self,
        metrics: &[String],
    ) -> impl Future<Output = Result<Reading, PlantError>> + Send;

    /// The least time a change must settle before a window starts: how
    /// late the plant's readings are (a cluster's metrics arrive by
    /// interval). Default: none.
    fn min_settle(&self) -> Duration {
        Duration::ZERO
    }
}
