//! Agent loss: the run follows who is connected (the registry's count of
//! connected agents changes on every loss, and the run then lists the
//! agents), and applies `--on-agent-loss`.

use k6r_api::OnAgentLoss;
use k6r_core::exit::ExitCode;

use super::actor::{Phase, RunActor};
use crate::registry::{AgentId, AgentState};

impl RunActor {
    /// Notices lost agents (and, while waiting, enough connected ones).
    pub(super) async fn check_agents(&mut self) {
        let Ok(agents) = self.registry.list().await else {
            return;
        };
        if self.phase == Phase::Waiting {
            let wanted = self.submission.agents.unwrap_or(self.settings.agents);
            let mut ready: Vec<(AgentId, String)> = agents
                .iter()
                .filter(|a| a.state == AgentState::Connected)
                .map(|a| (a.id.clone(), a.name.clone()))
                .collect();
            if ready.len() >= wanted {
                ready.sort_by(|a, b| a.1.cmp(&b.1));
                ready.truncate(wanted);
                let capacity_of = |id: &AgentId| {
                    agents
                        .iter()
                        .find(|a| &a.id == id)
                        .map(|a| a.capacity)
                        .unwrap_or_default()
                };
                self.assign(ready, capacity_of).await;
            }
            return;
        }
        let gone: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.active())
            .filter(|(_, s)| {
                agents
                    .iter()
                    .find(|a| a.id == s.plan.id)
                    .is_none_or(|a| a.state != AgentState::Connected)
            })
            .map(|(i, _)| i)
            .collect();
        for i in gone {
            self.lose(i).await;
        }
    }

    pub(super) async fn lose(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        slot.lost = true;
        let label = slot.label();
        let mut what = format!("agent {label} was lost");
        if !slot.plan.pinned.is_empty() {
            what.push_str(&format!(
                ", with the externally-controlled scenario {} pinned to it",
                slot.plan.pinned.join(", ")
            ));
        }
        let lead = slot.plan.lead;
        let when = match self.started {
            Some(started) => format!(
                "at {:.1}s",
                tokio::time::Instant::now()
                    .saturating_duration_since(started)
                    .as_secs_f64()
            ),
            None => "before the start".to_owned(),
        };
        what.push_str(&format!(" {when}"));
        self.lost.push(format!("{label} {when}"));
        if self.phase == Phase::Finished {
            return;
        }
        let must_abort = self.submission.on_agent_loss == OnAgentLoss::Abort
            || (lead && matches!(self.phase, Phase::Setup | Phase::Initializing));
        if must_abort {
            self.fail(
                ExitCode::AgentLost.code(),
                format!("{what}; the run was aborted (--on-agent-loss abort)"),
            )
            .await;
        } else {
            tracing::warn!("{what}; the run goes on without it");
            self.notes
                .push(format!("{what}; the run went on without it"));
        }
    }
}
