//! Live scenario changes on a cluster (k6r's `/v1/scenarios`): a change
//! is validated against the scenario's executor once here
//! (`k6r_core::steer`), then sent whole to every agent with one common
//! instant chosen ahead, as the Start instant is (`change_delay` from
//! now, `--change-delay`, 250 ms by default). Each agent applies it to its own segment with the rules that
//! split the scenario at start (a rate by the tick stripes, `vus` by
//! `Tuple::scale`), so the parts sum to the change. The PATCH is answered
//! once every agent applied it: the scenario after it, summed over them.
//!
//! A scenario's state (paused, VUs set, rate, regular end) is what its
//! agents' engines publish, as one process reads its own: each status
//! carries it, and a change's ack replaces it until the next status.

use std::time::{Duration, SystemTime};

use k6r_api::scenarios::{Scenario, ScenarioResource, State};
use k6r_api::Resource;
use k6r_core::options::ExecutorKind;
use k6r_core::steer::{Change, ChangeError};
use k6r_proto::convert::change_to_wire;
use k6r_proto::v1::{self, control::Action};
use tokio::sync::oneshot;

use super::actor::{Phase, RunActor};
use super::control::{Waiter, What};

/// A scenario as its agents' engines publish it, summed over them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Steered {
    pub paused: bool,
    pub vus: Option<u64>,
    pub rate: Option<f64>,
    pub end: Option<Duration>,
}

impl Steered {
    /// The agents' states, as one.
    pub(super) fn of<'a, I>(lives: I) -> Steered
    where
        I: IntoIterator<Item = &'a v1::ScenarioLive> + Clone,
    {
        let lives = || lives.clone().into_iter();
        Steered {
            paused: lives().any(|l| l.paused),
            vus: lives().filter_map(|l| l.vus).reduce(u64::saturating_add),
            // The whole test's rate: every agent has the same.
            rate: lives().find_map(|l| l.rate),
            end: lives()
                .find_map(|l| l.end_nanos)
                .map(|n| Duration::from_nanos(n.max(0) as u64)),
        }
    }
}

/// One change applied on the cluster, for the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedChange {
    /// The scenario.
    pub scenario: String,
    /// What changed.
    pub change: Change,
    /// When, from the run's start.
    pub at: Duration,
    /// The rate before and after, per second, once applied.
    pub rate: Option<(f64, f64)>,
    /// The VUs before and after (summed over the agents), once applied.
    pub vus: Option<(u64, u64)>,
}

impl AppliedChange {
    /// Its summary line.
    pub fn line(&self) -> String {
        let at = k6r_core::Duration::from_nanos(self.at.as_nanos() as i64);
        k6r_core::steer::summary_line(&self.scenario, &self.change, at, self.rate, self.vus)
    }
}

impl RunActor {
    fn kind_of(&self, name: &str) -> Option<ExecutorKind> {
        self.submission
            .options
            .scenarios
            .as_ref()?
            .get(name)
            .map(|s| s.executor.kind())
    }

    /// `PATCH /v1/scenarios/{name}`.
    pub(super) async fn change_scenario(
        &mut self,
        name: String,
        change: Change,
        reply: oneshot::Sender<Result<ScenarioResource, ChangeError>>,
    ) {
        if let Err(e) = self.admit(&name, &change) {
            let _ = reply.send(Err(e));
            return;
        }
        let delay = self.settings.change_delay;
        let at = SystemTime::now() + delay;
        let nanos = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let wire = change_to_wire(&name, &change, nanos);
        let sends = self
            .slots
            .iter()
            .filter(|s| s.active())
            .map(|s| {
                let action = Action::ScenarioChange(wire.clone());
                (s.plan.id.clone(), action, What::Scenario)
            })
            .collect();
        let offset = self
            .started
            .map(|s| (tokio::time::Instant::now() + delay).saturating_duration_since(s))
            .unwrap_or_default();
        self.changes.push(AppliedChange {
            scenario: name.clone(),
            change,
            at: offset,
            rate: None,
            vus: None,
        });
        let waiter = Waiter::Scenario { name, reply };
        self.dispatch(sends, waiter).await;
    }

    /// Whether `change` of `name` may be sent now.
    fn admit(&self, name: &str, change: &Change) -> Result<(), ChangeError> {
        let kind = self
            .kind_of(name)
            .ok_or_else(|| ChangeError::NoScenario(name.to_owned()))?;
        change.validate(kind)?;
        if !matches!(self.phase, Phase::Running) {
            return Err(match self.started {
                None => ChangeError::NotStarted(name.to_owned()),
                Some(_) => ChangeError::Ended(name.to_owned()),
            });
        }
        if self.pending.is_some() {
            return Err(ChangeError::Busy);
        }
        Ok(())
    }

    /// Every scenario of the run now.
    pub(super) fn scenarios(&self) -> Vec<ScenarioResource> {
        let Some(scenarios) = self.submission.options.scenarios.as_ref() else {
            return Vec::new();
        };
        scenarios
            .iter()
            .map(|(name, s)| self.scenario(name, s.executor.kind()))
            .collect()
    }

    /// One scenario, summed over the agents' statuses.
    pub(super) fn scenario(&self, name: &str, kind: ExecutorKind) -> ScenarioResource {
        let statuses: Vec<&v1::ScenarioStatus> =
            self.slots.iter().filter_map(|s| s.status(name)).collect();
        let steered = Steered::of(statuses.iter().filter_map(|s| s.live.as_ref()));
        let started = statuses.iter().any(|s| s.started);
        let ended = !statuses.is_empty() && statuses.iter().all(|s| s.ended);
        let state = match () {
            () if ended || matches!(self.phase, Phase::Finished) => State::Ended,
            () if !started => State::Waiting,
            () if steered.paused => State::Paused,
            () => State::Running,
        };
        let elapsed = statuses.iter().map(|s| s.elapsed_ms).max().unwrap_or(0);
        let progress = match (ended, steered.end) {
            (true, _) => 1.0,
            (false, Some(end)) if !end.is_zero() => {
                (elapsed as f64 / end.as_millis() as f64).min(1.0)
            }
            _ => 0.0,
        };
        let attributes = Scenario {
            executor: kind.name().to_string(),
            state,
            progress,
            vus: statuses.iter().map(|s| s.vus).sum(),
            vus_target: steered.vus.filter(|_| self.every_part_set(name)),
            rate: steered.rate.map(|r| (r * 1000.0).round() / 1000.0),
            duration: steered
                .end
                .map(|d| k6r_core::Duration::from_nanos(d.as_nanos() as i64).to_string()),
            iterations: statuses.iter().map(|s| s.iterations_complete).sum(),
            dropped_iterations: statuses.iter().map(|s| s.dropped).sum(),
        };
        Resource::new("scenarios", name, attributes)
    }

    /// Whether every agent running a part of `name` has published the
    /// VUs it is set to: each does once its executor starts, and their
    /// statuses arrive apart, so a sum before that would be a part.
    fn every_part_set(&self, name: &str) -> bool {
        self.slots
            .iter()
            .filter(|s| s.active() && s.runs(name))
            .all(|s| s.live(name).is_some_and(|l| l.vus.is_some()))
    }

    /// Every agent applied a change of `name` (with their states after
    /// it), or the first refusal.
    pub(super) fn scenario_changed(
        &mut self,
        name: &str,
        lives: &[v1::ScenarioLive],
        error: Option<String>,
    ) -> Result<ScenarioResource, ChangeError> {
        if let Some(message) = error {
            return Err(ChangeError::Agent(message));
        }
        let after = Steered::of(lives);
        let before_rate = lives.iter().find_map(|l| l.rate_before);
        let before_vus = lives
            .iter()
            .filter_map(|l| l.vus_before)
            .reduce(|a, b| a + b);
        if let Some(last) = self.changes.iter_mut().rev().find(|c| c.scenario == name) {
            last.rate = before_rate.zip(after.rate);
            last.vus = before_vus.zip(after.vus);
        }
        let kind = self.kind_of(name).unwrap_or(ExecutorKind::ConstantVus);
        Ok(self.scenario(name, kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agents_states_sum_to_the_scenarios() {
        let live = |vus, paused| v1::ScenarioLive {
            paused,
            vus: Some(vus),
            rate: Some(400.0),
            end_nanos: Some(60_000_000_000),
            ended: false,
            rate_before: Some(100.0),
            vus_before: None,
        };
        let steered = Steered::of(&[live(3, false), live(2, true)]);
        assert_eq!(steered.vus, Some(5));
        assert!(steered.paused);
        assert_eq!(steered.rate, Some(400.0));
        assert_eq!(steered.end, Some(Duration::from_secs(60)));
    }
}
