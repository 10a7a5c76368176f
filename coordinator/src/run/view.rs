//! What a run looks like from outside: its [`RunView`] (published on a
//! `watch` after every step of the actor) and k6's [`Status`] of it.

use k6r_api::{ExecutionStatus, RunAgent, RunState, RunView, ScenarioView, Status};
use k6r_proto::v1;

use super::actor::{Phase, RunActor};

fn agent_state(state: v1::RunState) -> &'static str {
    match state {
        v1::RunState::Unspecified => "assigned",
        v1::RunState::Initializing => "initializing",
        v1::RunState::Ready => "ready",
        v1::RunState::Running => "running",
        v1::RunState::Paused => "paused",
        v1::RunState::Draining => "draining",
        v1::RunState::Done => "done",
    }
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The sum of the agents' counts, which are wire values: saturating, so
/// an agent's `u64::MAX` neither panics the actor nor wraps.
pub(super) fn saturating_sum(counts: impl Iterator<Item = u64>) -> u64 {
    counts.fold(0, u64::saturating_add)
}

impl RunActor {
    /// The run as `GET /v1/runs/{id}` shows it.
    pub(super) fn view(&self) -> RunView {
        let starts: Vec<i64> = self
            .slots
            .iter()
            .filter_map(|s| s.started_unix_nanos)
            .collect();
        let all_started = !self.slots.is_empty()
            && self
                .slots
                .iter()
                .all(|s| s.lost || s.started_unix_nanos.is_some());
        let start_skew_ms = match (starts.iter().max(), starts.iter().min()) {
            (Some(max), Some(min)) if all_started => Some(max.abs_diff(*min) as f64 / 1e6),
            _ => None,
        };
        RunView {
            id: self.id.clone(),
            state: self.run_state(),
            elapsed_ms: u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX),
            vus: saturating_sum(self.slots.iter().map(|s| s.vus)),
            vus_max: saturating_sum(self.slots.iter().map(|s| s.vus_max)),
            iterations: saturating_sum(self.slots.iter().map(|s| s.iterations)),
            interrupted: saturating_sum(self.slots.iter().map(|s| s.interrupted)),
            agents: self.run_agents(),
            scenarios: self.scenario_views(),
            start_skew_ms,
            result: self.outcome.clone(),
            autopilot: self.autopilot.as_ref().map(|r| r.borrow().clone()),
        }
    }

    /// Where the run is, as its view says.
    pub(super) fn run_state(&self) -> RunState {
        match self.phase {
            Phase::Waiting => RunState::Waiting,
            Phase::Initializing => RunState::Initializing,
            Phase::Setup => RunState::Setup,
            Phase::Running | Phase::Draining => RunState::Running,
            Phase::Teardown => RunState::Teardown,
            Phase::Finished => RunState::Finished,
        }
    }

    /// Every agent's part, as the view shows it.
    pub(super) fn run_agents(&self) -> Vec<RunAgent> {
        self.slots
            .iter()
            .map(|s| RunAgent {
                id: s.plan.id.to_string(),
                name: s.plan.name.clone(),
                segment: s.plan.segment.clone(),
                pinned: s.plan.pinned.clone(),
                lead: s.plan.lead,
                state: if s.lost {
                    "lost".into()
                } else {
                    agent_state(s.state).into()
                },
                vus: s.vus,
                vus_max: s.vus_max,
                iterations: s.iterations,
            })
            .collect()
    }

    /// Each scenario's counters summed over the agents that report it, in
    /// the order they report them: its elapsed time the longest, ended
    /// once it has on each of them (or they are gone).
    pub(super) fn scenario_views(&self) -> Vec<ScenarioView> {
        let mut views: Vec<ScenarioView> = Vec::new();
        for slot in &self.slots {
            for part in &slot.scenarios {
                let at = match views.iter().position(|v| v.name == part.name) {
                    Some(at) => at,
                    None => {
                        views.push(ScenarioView {
                            name: part.name.clone(),
                            ended: true,
                            ..ScenarioView::default()
                        });
                        views.len() - 1
                    }
                };
                let view = &mut views[at];
                view.vus = view.vus.saturating_add(part.vus);
                view.busy_vus = view.busy_vus.saturating_add(part.busy_vus);
                view.complete = view.complete.saturating_add(part.iterations_complete);
                view.interrupted = view.interrupted.saturating_add(part.iterations_interrupted);
                view.dropped = view.dropped.saturating_add(part.dropped);
                if part.started {
                    view.elapsed_ms = view.elapsed_ms.max(Some(part.elapsed_ms));
                }
                view.ended &= part.ended || slot.scenarios_over();
            }
        }
        views
    }

    /// Publishes the view to the watchers.
    pub(super) fn publish(&self) {
        let view = self.view();
        self.view_tx.send_if_modified(|old| {
            if *old == view {
                false
            } else {
                *old = view;
                true
            }
        });
    }

    /// k6's status of the run, summed over the agents.
    pub(super) fn status(&self) -> Status {
        let failed = self.outcome.as_ref().is_some_and(|o| o.exit_code != 0);
        // Between Start and the common start instant the agents' scenarios
        // do not run yet (a scale would be refused): still setup for k6.
        let begun = self
            .slots
            .iter()
            .filter(|s| s.active())
            .all(|s| s.started_unix_nanos.is_some());
        let status = match self.phase {
            Phase::Waiting => ExecutionStatus::Created,
            Phase::Initializing => ExecutionStatus::InitVus,
            Phase::Setup => ExecutionStatus::Setup,
            Phase::Running if !begun => ExecutionStatus::Setup,
            Phase::Running | Phase::Draining => ExecutionStatus::Running,
            Phase::Teardown => ExecutionStatus::Teardown,
            Phase::Finished if failed => ExecutionStatus::Interrupted,
            Phase::Finished => ExecutionStatus::Ended,
        };
        Status {
            status,
            paused: Some(self.paused),
            vus: Some(saturating_i64(saturating_sum(
                self.slots.iter().map(|s| s.vus),
            ))),
            vus_max: Some(saturating_i64(saturating_sum(
                self.slots.iter().map(|s| s.vus_max),
            ))),
            stopped: self.stopped,
            running: status.is_running(),
            tainted: self.submission.merged.tainted(),
        }
    }
}
