//! The run for the dashboard: a [`RunSample`] read off the actor's state
//! in one step (no view, no merged metrics JSON), with the headline
//! metrics of each scenario and agent.

use k6r_api::dashboard::{FrameAutopilot, FrameThreshold};
use k6r_dashboard::{AgentPart, Headline, RunSample, ScenarioPart};

use super::{actor::RunActor, view::saturating_sum};

impl RunActor {
    /// The run now, for the dashboard.
    pub(super) fn sample(&self) -> RunSample {
        let merged = &self.submission.merged;
        let registry = merged.registry();
        let thresholds = merged
            .thresholds()
            .map(|t| {
                t.metrics
                    .iter()
                    .flat_map(|m| {
                        m.thresholds.iter().map(|t| FrameThreshold {
                            metric: m.key.clone(),
                            source: t.source.clone(),
                            failing: t.last_failed,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        RunSample {
            id: self.id.clone(),
            state: self.run_state(),
            paused: self.paused,
            stopped: self.stopped,
            outcome: self
                .outcome
                .as_ref()
                .map(|o| (o.exit_code, o.message.clone())),
            elapsed_ms: u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX),
            vus: saturating_sum(self.slots.iter().map(|s| s.vus)),
            vus_max: saturating_sum(self.slots.iter().map(|s| s.vus_max)),
            iterations: saturating_sum(self.slots.iter().map(|s| s.iterations)),
            agents: self.agent_parts(),
            headline: Headline::default(),
            thresholds,
            scenarios: self.scenario_parts(),
            autopilot: self
                .autopilot
                .as_ref()
                .map(|report| FrameAutopilot::from(&*report.borrow())),
        }
        .with_headlines(registry)
    }

    /// Each agent's part, with its headline metrics: an agent that has
    /// sent none yet made no request (a line at 0 on the page, not none:
    /// an agent that runs nothing, beside a pinned scenario, sends none).
    fn agent_parts(&self) -> Vec<AgentPart> {
        let merged = &self.submission.merged;
        self.run_agents()
            .into_iter()
            .zip(&self.slots)
            .map(|(agent, slot)| AgentPart {
                agent,
                headline: Some(
                    merged
                        .of_agent(&slot.plan.id)
                        .map(Headline::of_set)
                        .unwrap_or_default(),
                ),
            })
            .collect()
    }

    /// Each scenario's VUs and iterations summed over the agents, in the
    /// order the agents report them.
    fn scenario_parts(&self) -> Vec<ScenarioPart> {
        self.scenario_views()
            .into_iter()
            .map(|v| ScenarioPart {
                name: v.name,
                vus: v.vus,
                iterations: v.complete,
                headline: None,
            })
            .collect()
    }
}
