//! k6r's `/v1/scenarios` on one machine: each scenario as a resource, from
//! its [`Steer`] handle (what live changes made of it) and its live
//! counters; and a change applied through the handle.

use k6r_api::scenarios::{Scenario, ScenarioResource, State};
use k6r_api::Resource;
use k6r_core::steer::{Change, ChangeError};
use k6r_engine::{Progress, ScenarioSnapshot, Steer};
use k6r_rest::BoxFuture;

/// The scenarios of a run, in plan order.
#[derive(Clone, Debug, Default)]
pub struct Scenarios {
    steers: Vec<Steer>,
}

impl Scenarios {
    /// Over the engine's handles (`Engine::steering`).
    pub fn new(steers: Vec<Steer>) -> Scenarios {
        Scenarios { steers }
    }

    /// Every scenario now.
    pub fn resources(&self, progress: &Progress) -> Vec<ScenarioResource> {
        let snapshot = progress.snapshot();
        self.steers
            .iter()
            .map(|steer| {
                let counters = snapshot
                    .scenarios
                    .iter()
                    .find(|s| s.name == steer.scenario());
                resource(steer, counters)
            })
            .collect()
    }

    /// Applies `change` to scenario `name` now; the scenario after it.
    pub fn apply(
        &self,
        name: String,
        change: Change,
        progress: Progress,
    ) -> BoxFuture<Result<ScenarioResource, ChangeError>> {
        let steer = self.steers.iter().find(|s| s.scenario() == name).cloned();
        Box::pin(async move {
            let steer = steer.ok_or(ChangeError::NoScenario(name))?;
            steer.apply(change).await?;
            let snapshot = progress.snapshot();
            let counters = snapshot
                .scenarios
                .iter()
                .find(|s| s.name == steer.scenario());
            Ok(resource(&steer, counters))
        })
    }
}

/// One scenario as a resource.
pub fn resource(steer: &Steer, counters: Option<&ScenarioSnapshot>) -> ScenarioResource {
    let live = steer.live();
    let ended = live.ended || counters.is_some_and(|c| c.ended);
    let state = match () {
        () if ended => State::Ended,
        () if !live.started => State::Waiting,
        () if live.paused => State::Paused,
        () => State::Running,
    };
    let attributes = Scenario {
        executor: steer.kind().name().to_string(),
        state,
        progress: counters.map_or(0.0, |c| c.progress),
        vus: counters.map_or(0, |c| c.active_vus),
        vus_target: live.vus,
        rate: live.rate.map(|r| (r * 1000.0).round() / 1000.0),
        duration: live
            .end
            .map(|d| k6r_core::Duration::from_nanos(d.as_nanos() as i64).to_string()),
        iterations: counters.map_or(0, |c| c.complete),
        dropped_iterations: counters.map_or(0, |c| c.dropped),
    };
    Resource::new("scenarios", steer.scenario(), attributes)
}
