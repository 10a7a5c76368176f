//! The coordinator's `POST /v1/runs` body: decoded, accepted as a
//! [`Submission`] (archive, options, weights checked), split over agents,
//! and each agent's part read back as the agent reads it.

use k6r_api::RunRequest;
use k6r_coordinator::registry::AgentId;
use k6r_coordinator::run::plan;
use k6r_coordinator::run::Submission;
use k6r_core::segment::{Segment, Sequence};

/// At most this many agents share the run in the split.
const MAX_AGENTS: usize = 8;

/// Submits the input.
pub fn run(data: &[u8]) {
    let Ok(request) = serde_json::from_slice::<RunRequest>(crate::capped(data)) else {
        return;
    };
    let Ok(submission) = Submission::try_from(request) else {
        return;
    };
    let names = submission
        .weights
        .keys()
        .cloned()
        .chain(["agent-a".to_owned(), "agent-b".to_owned()])
        .take(MAX_AGENTS);
    let agents = names
        .enumerate()
        .map(|(i, name)| (AgentId::new(format!("agent-{i}")), name))
        .collect();
    let weight_of = |name: &str| submission.weights.get(name).copied().unwrap_or(1);
    let split = plan::split(agents, weight_of, &submission.pinned);
    let sequence = Sequence::parse(&split.sequence).ok();
    for agent in &split.agents {
        // What the coordinator checks against the agent's capacity, and
        // what the agent runs: its part of the options.
        let segment = Segment::parse(&agent.segment).ok();
        let part = submission
            .options
            .part(segment, sequence.clone(), &agent.excluded);
        crate::options::consume(part, &agent.pinned);
    }
}
