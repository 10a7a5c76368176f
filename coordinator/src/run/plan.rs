//! Splitting a run over agents: the execution-segment sequence from the
//! weights, each agent's segment, the lead, and where the scenarios that
//! cannot be split (externally-controlled) run.
//!
//! k6r-core has no constructor for a sequence from weights, so the points
//! are computed here as reduced fractions and parsed with
//! [`Sequence::parse`], which checks them.

use k6r_core::segment::Sequence;

use crate::registry::AgentId;

/// One agent's part of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentPlan {
    /// The agent.
    pub id: AgentId,
    /// Its name.
    pub name: String,
    /// Its segment in k6's syntax (`1/3:2/3`).
    pub segment: String,
    /// Scenarios it runs whole.
    pub pinned: Vec<String>,
    /// Scenarios it leaves out.
    pub excluded: Vec<String>,
    /// Whether it runs setup and teardown.
    pub lead: bool,
}

/// The whole split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The sequence in k6's syntax (`0,1/2,3/4,1`).
    pub sequence: String,
    /// One entry per agent, in name order; the first is the lead.
    pub agents: Vec<AgentPlan>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn fraction(num: u64, den: u64) -> String {
    if num == 0 {
        return "0".into();
    }
    let g = gcd(num, den);
    let (num, den) = (num / g, den / g);
    if den == 1 {
        num.to_string()
    } else {
        format!("{num}/{den}")
    }
}

/// The sequence's points for `weights`, in k6's syntax: `[1, 1, 1]` →
/// `0,1/3,2/3,1`, `[2, 1, 1]` → `0,1/2,3/4,1`.
pub fn sequence(weights: &[u32]) -> String {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    let mut points = vec!["0".to_owned()];
    let mut acc = 0u64;
    for w in weights {
        acc += u64::from(*w);
        points.push(fraction(acc, total));
    }
    points.join(",")
}

/// Splits a run over `agents` (id, name), which are sorted by name here:
/// agent i gets segment i of the weighted sequence (weight 1 unless
/// `weight_of` says), the first is the lead and runs every `pinned`
/// scenario whole; the others exclude them.
pub fn split(
    mut agents: Vec<(AgentId, String)>,
    weight_of: impl Fn(&str) -> u32,
    pinned: &[String],
) -> Plan {
    agents.sort_by(|a, b| a.1.cmp(&b.1));
    let weights: Vec<u32> = agents.iter().map(|(_, n)| weight_of(n).max(1)).collect();
    let text = sequence(&weights);
    let parsed = Sequence::parse(&text).expect("weighted points are increasing within 0..=1");
    let agents = agents
        .into_iter()
        .zip(parsed.segments())
        .enumerate()
        .map(|(i, ((id, name), segment))| AgentPlan {
            id,
            name,
            segment: segment.to_string(),
            pinned: if i == 0 { pinned.to_vec() } else { Vec::new() },
            excluded: if i == 0 { Vec::new() } else { pinned.to_vec() },
            lead: i == 0,
        })
        .collect();
    Plan {
        sequence: text,
        agents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agents(names: &[&str]) -> Vec<(AgentId, String)> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (AgentId::new(format!("agent-{i}")), (*n).to_owned()))
            .collect()
    }

    #[test]
    fn equal_weights_give_equal_segments_in_name_order() {
        let plan = split(agents(&["c", "a", "b"]), |_| 1, &[]);
        assert_eq!(plan.sequence, "0,1/3,2/3,1");
        let got: Vec<_> = plan
            .agents
            .iter()
            .map(|a| (a.name.as_str(), a.segment.as_str(), a.lead))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "0:1/3", true),
                ("b", "1/3:2/3", false),
                ("c", "2/3:1", false)
            ]
        );
    }

    #[test]
    fn weights_shape_the_sequence_and_pinned_scenarios_go_to_the_lead() {
        let plan = split(
            agents(&["w1", "w2", "w3"]),
            |n| if n == "w1" { 2 } else { 1 },
            &["ctl".to_owned()],
        );
        assert_eq!(plan.sequence, "0,1/2,3/4,1");
        assert_eq!(plan.agents[0].segment, "0:1/2");
        assert_eq!(plan.agents[2].segment, "3/4:1");
        assert_eq!(plan.agents[0].pinned, ["ctl"]);
        assert_eq!(plan.agents[1].excluded, ["ctl"]);
        assert!(plan.agents[1].pinned.is_empty());
    }

    #[test]
    fn one_agent_runs_everything() {
        let plan = split(agents(&["solo"]), |_| 5, &[]);
        assert_eq!(plan.sequence, "0,1");
        assert_eq!(plan.agents[0].segment, "0:1");
    }
}
