//! One agent's part of a cluster run: the options with its execution
//! segment of the run's sequence, and without the scenarios another agent
//! runs whole. The agent runs these options; the coordinator plans with
//! them (how many VUs the part could need).

use crate::segment::{Segment, Sequence};

use super::{Options, OptionsError};

impl Options {
    /// The part of these options that `segment` of `sequence` runs,
    /// leaving out `excluded` scenarios. The shortcut options become the
    /// `default` scenario first (an unset `vus` is 1, as in `k6 run`).
    pub fn part(
        &self,
        segment: Option<Segment>,
        sequence: Option<Sequence>,
        excluded: &[String],
    ) -> Result<Options, OptionsError> {
        let mut part = self.clone();
        if segment.is_some() {
            part.execution_segment = segment;
        }
        if sequence.is_some() {
            part.execution_segment_sequence = sequence;
        }
        if part.scenarios.is_none() {
            part.unset_vus = 1;
            part.derive_scenarios()?;
        }
        if let Some(scenarios) = &mut part.scenarios {
            for name in excluded {
                scenarios.remove(name);
            }
        }
        Ok(part)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::TestPlan;

    #[test]
    fn a_part_plans_its_segment_without_the_excluded_scenarios() {
        let (options, _) = Options::from_json(&json!({"scenarios": {
            "load": {"executor": "constant-vus", "vus": 9, "duration": "1m"},
            "ctl": {"executor": "externally-controlled", "vus": 1, "maxVUs": 50, "duration": "1m"},
        }}))
        .unwrap();
        let part = options
            .part(
                Some(Segment::parse("1/3:2/3").unwrap()),
                Some(Sequence::parse("0,1/3,2/3,1").unwrap()),
                &["ctl".to_owned()],
            )
            .unwrap();
        assert_eq!(TestPlan::new(&part).unwrap().max_possible_vus(), 3);
        let (shortcut, _) = Options::from_json(&json!({"duration": "1m"})).unwrap();
        let whole = shortcut.part(None, None, &[]).unwrap();
        assert_eq!(TestPlan::new(&whole).unwrap().max_possible_vus(), 1);
    }
}
