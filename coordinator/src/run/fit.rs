//! Whether a split run fits its agents: each agent's part could need at
//! most the VUs that agent holds (its `--max-vus`, or what its memory
//! holds, as it reported them in Hello). A run that does not fit is
//! refused before any agent makes a VU, naming each agent that is short.

use k6r_core::capacity::VuCapacity;
use k6r_core::options::Options;
use k6r_core::plan::TestPlan;
use k6r_core::segment::{Segment, Sequence};

use super::plan::Plan;
use crate::registry::Capacity;

/// `Err` with why, when some agent of `plan` cannot hold its part of a
/// run of `options`; `capacity_of` gives each agent's reported capacity.
pub(super) fn check(
    options: &Options,
    plan: &Plan,
    capacity_of: impl Fn(&crate::registry::AgentId) -> Capacity,
) -> Result<(), String> {
    let sequence = Sequence::parse(&plan.sequence).map_err(|e| e.to_string())?;
    let mut short = Vec::new();
    for agent in &plan.agents {
        let segment = Segment::parse(&agent.segment).map_err(|e| e.to_string())?;
        let part = options.part(Some(segment), Some(sequence.clone()), &agent.excluded);
        let needed = TestPlan::with_pinned(&part, &agent.pinned)
            .map_err(|e| e.to_string())?
            .max_possible_vus();
        let reported = capacity_of(&agent.id);
        let capacity = VuCapacity::new(reported.max_vus, Some(reported.memory_bytes));
        if capacity.check(needed).is_err() {
            short.push(format!(
                "{} ({}) could need {needed} VUs and holds at most {capacity}",
                agent.name, agent.segment
            ));
        }
    }
    if short.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the run does not fit its agents: {}",
        short.join("; ")
    ))
}
