//! The autopilot of a distributed run (`RunRequest.autopilot`): the run
//! as its [`Plant`]. Rates are set as any live change is, on every agent
//! at one common instant; readings are the merged metrics and each
//! agent's CPU (its process and its threads, from its last status). The
//! pilot task runs beside the run's actor, which owns the task's stop
//! and publishes its report in the run's view.

use k6r_api::scenarios::State;
use k6r_autopilot::{Plant, PlantError};
use k6r_core::autopilot::{CpuTime, Plan, Reading, Report};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::actor::RunActor;
use super::RunLink;

/// How often agents send their metrics: a second, or a fifth of one
/// when the autopilot reads them (its windows are differences of the
/// merged sinks, which move one agent's delta at a time).
pub(super) fn metrics_interval_ms(autopilot: bool) -> u32 {
    if autopilot {
        200
    } else {
        1000
    }
}

/// The least settling time after a change: the agents' metrics of the
/// time before it have arrived (two of their intervals).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

/// Starts the pilot of `plan` over the run behind `link` on `tasks`;
/// `names` are its SLOs' names in the merged registry. It ends with its
/// scenario, or when `stop` fires. Its report as it goes.
pub(super) fn spawn(
    plan: &Plan,
    names: Vec<String>,
    link: RunLink,
    stop: CancellationToken,
    tasks: &mut JoinSet<()>,
) -> watch::Receiver<Report> {
    let search = plan.search();
    let (publish, report) = watch::channel(search.report().clone());
    let plant = RunPlant {
        link,
        scenario: plan.scenario.clone(),
    };
    tasks.spawn(async move {
        k6r_autopilot::pilot(plant, search, names, publish, stop).await;
    });
    report
}

/// The run as the pilot sees it.
struct RunPlant {
    link: RunLink,
    scenario: String,
}

impl Plant for RunPlant {
    async fn started(&mut self) -> Result<f64, PlantError> {
        let scenarios = self.link.scenarios().await.ok_or(PlantError::Ended)?;
        let scenario = scenarios
            .into_iter()
            .find(|s| s.id == self.scenario)
            .map(|s| s.attributes);
        match scenario {
            None => Err(PlantError::NotStarted),
            Some(s) => match (s.state, s.rate) {
                (State::Waiting, _) => Err(PlantError::NotStarted),
                (State::Ended, _) => Err(PlantError::Ended),
                // Its agents' statuses have not told it yet.
                (State::Running | State::Paused, None) => Err(PlantError::Unavailable),
                (State::Running | State::Paused, Some(rate)) => Ok(rate),
            },
        }
    }

    async fn set_rate(&mut self, per_second: f64) -> Result<(), PlantError> {
        let change = Plan::rate_change(per_second);
        match self
            .link
            .change_scenario(self.scenario.clone(), change)
            .await
        {
            // The run's actor is gone: the run is over.
            None => Err(PlantError::Ended),
            Some(applied) => applied.map(drop).map_err(PlantError::from),
        }
    }

    async fn read(&mut self, metrics: &[String]) -> Result<Reading, PlantError> {
        let (reading, ended) = self
            .link
            .reading(self.scenario.clone(), metrics.to_vec())
            .await
            .ok_or(PlantError::Ended)?;
        if ended {
            return Err(PlantError::Ended);
        }
        Ok(reading)
    }

    fn min_settle(&self) -> std::time::Duration {
        SETTLE
    }
}

impl RunActor {
    /// The run now, as the autopilot reads it: the merged sinks named in
    /// `metrics`, each active agent's CPU (`AGENT/process`,
    /// `AGENT/thread/TID`), and whether `scenario` (or the run) is over.
    pub(super) fn reading(&self, scenario: &str, metrics: &[String]) -> (Reading, bool) {
        let ended = self.phase == super::actor::Phase::Finished
            || self.scenarios().iter().any(|s| {
                s.id == scenario && s.attributes.state == k6r_api::scenarios::State::Ended
            });
        let sinks = Reading::sinks_of(self.submission.merged.registry(), metrics);
        let cpu = self
            .slots
            .iter()
            .filter(|s| s.active())
            .flat_map(|s| {
                s.cpu.iter().map(|c| {
                    let time = CpuTime {
                        busy: c.busy_seconds,
                        cores: c.cores,
                    };
                    (format!("{}/{}", s.plan.name, c.name), time)
                })
            })
            .collect();
        let reading = Reading {
            at: self.elapsed(),
            sinks,
            cpu,
        };
        (reading, ended)
    }
}
