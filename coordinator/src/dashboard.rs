//! The cluster as the dashboard's [`Source`]: the current run from its
//! actor, and the agents' table from the run's parts and the registry.
//! The source is the same [`Cluster`] that answers k6's REST API.

use std::time::Duration;

use k6r_api::{dashboard::FrameAgent, RunAgent};
use k6r_dashboard::{RunSample, Sampled, Source};

use crate::{
    registry::{AgentInfo, AgentState},
    rest::cluster::Cluster,
};

/// How long a tick waits for the run's actor or the registry (a busy
/// actor makes the tick skip rather than queue).
const ASK_TIMEOUT: Duration = Duration::from_secs(1);

impl Source for Cluster {
    async fn sample(&mut self) -> Option<Sampled> {
        let agents = tokio::time::timeout(ASK_TIMEOUT, self.registry().list())
            .await
            .ok()?
            .ok()?;
        let run = tokio::time::timeout(ASK_TIMEOUT, async {
            match self.runs().link().await {
                Some(link) => link.sample().await,
                None => None,
            }
        })
        .await
        .ok()?;
        let agents = merge_agents(run.as_ref(), &agents);
        Some(Sampled { run, agents })
    }
}

/// The run's agents first (their part and, when the registry knows
/// them, CPUs and heartbeat age), then the other connected agents.
fn merge_agents(sample: Option<&RunSample>, agents: &[AgentInfo]) -> Vec<FrameAgent> {
    let in_run: Vec<&RunAgent> = sample
        .map(|s| s.agents.iter().map(|a| &a.agent).collect())
        .unwrap_or_default();
    let known = |id: &str| agents.iter().find(|a| a.id.as_str() == id);
    let mut out: Vec<FrameAgent> = in_run
        .iter()
        .map(|a| {
            let info = known(&a.id);
            FrameAgent {
                name: a.name.clone(),
                state: a.state.clone(),
                vus: a.vus,
                iterations: a.iterations,
                cpus: info.map_or(0, |i| i.capacity.cpus),
                heartbeat_age_secs: info.map(|i| i.last_heartbeat_age.as_secs_f64()),
            }
        })
        .collect();
    out.extend(
        agents
            .iter()
            .filter(|a| a.state == AgentState::Connected)
            .filter(|a| !in_run.iter().any(|r| r.id == a.id.as_str()))
            .map(|a| FrameAgent {
                name: a.name.clone(),
                state: "connected".into(),
                vus: 0,
                iterations: 0,
                cpus: a.capacity.cpus,
                heartbeat_age_secs: Some(a.last_heartbeat_age.as_secs_f64()),
            }),
    );
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use k6r_api::RunState;
    use k6r_dashboard::{AgentPart, Headline};

    use super::*;
    use crate::registry::{AgentId, Capacity, Version};

    fn info(id: &str, name: &str, state: AgentState) -> AgentInfo {
        AgentInfo {
            id: AgentId::new(id),
            name: name.into(),
            version: Version::current(),
            capacity: Capacity {
                cpus: 4,
                memory_bytes: 0,
                max_vus: None,
            },
            state,
            last_heartbeat_age: Duration::from_millis(250),
            connected_since: SystemTime::now(),
        }
    }

    fn sample() -> RunSample {
        RunSample {
            id: "r".into(),
            state: RunState::Running,
            paused: false,
            stopped: false,
            outcome: None,
            elapsed_ms: 1000,
            vus: 3,
            vus_max: 5,
            iterations: 7,
            agents: vec![AgentPart {
                agent: RunAgent {
                    id: "agent-1".into(),
                    name: "w1".into(),
                    segment: "0:1".into(),
                    pinned: Vec::new(),
                    lead: true,
                    state: "running".into(),
                    vus: 3,
                    vus_max: 5,
                    iterations: 7,
                },
                headline: None,
            }],
            headline: Headline::default(),
            thresholds: Vec::new(),
            scenarios: Vec::new(),
            autopilot: None,
        }
    }

    #[test]
    fn agents_join_the_run_and_the_registry() {
        let agents = [
            info("agent-1", "w1", AgentState::Connected),
            info("agent-2", "w2", AgentState::Connected),
            info("agent-3", "gone", AgentState::Disconnected),
        ];
        let table = merge_agents(Some(&sample()), &agents);
        let names: Vec<(&str, &str, u32)> = table
            .iter()
            .map(|a| (a.name.as_str(), a.state.as_str(), a.cpus))
            .collect();
        assert_eq!(names, [("w1", "running", 4), ("w2", "connected", 4)]);
        assert_eq!(table[0].heartbeat_age_secs, Some(0.25));
        assert_eq!(table[0].vus, 3);
        assert_eq!(merge_agents(None, &agents).len(), 2);
    }
}
