//! One agent's part of a cluster run: the options with its execution
//! segment of the run's sequence, and without the scenarios another agent
//! runs whole. The agent runs these options; the coordinator plans with
//! them (how many VUs the part could need).

use crate::segment::{Segment, Sequence};

use super::Options;

impl Options {
    /// The part of these options that `segment` of `sequence` runs,
    /// leaving out `excluded` scenarios. The options are consolidated for
    /// a run first ([`Options::consolidate`]), so their scenarios are the
    /// work; the part is validated by whoever runs it.
    pub fn part(
        &self,
        segment: Option<Segment>,
        sequence: Option<Sequence>,
        excluded: &[String],
    ) -> Options {
        let mut part = self.clone();
        if segment.is_some() {
            part.execution_segment = segment;
        }
        if sequence.is_some() {
            part.execution_segment_sequence = sequence;
        }
        if let Some(scenarios) = &mut part.scenarios {
            for name in excluded {
                scenarios.remove(name);
            }
        }
        part
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::options::Purpose;
    use crate::plan::TestPlan;

    #[test]
    fn a_part_plans_its_segment_without_the_excluded_scenarios() {
        let (mut options, _) = Options::from_json(&json!({"scenarios": {
            "load": {"executor": "constant-vus", "vus": 9, "duration": "1m"},
            "ctl": {"executor": "externally-controlled", "vus": 1, "maxVUs": 50, "duration": "1m"},
        }}))
        .unwrap();
        options.consolidate(Purpose::Run, None).unwrap();
        let part = options.part(
            Some(Segment::parse("1/3:2/3").unwrap()),
            Some(Sequence::parse("0,1/3,2/3,1").unwrap()),
            &["ctl".to_owned()],
        );
        assert_eq!(TestPlan::new(&part).unwrap().max_possible_vus(), 3);
        let (mut shortcut, _) = Options::from_json(&json!({"duration": "1m"})).unwrap();
        shortcut.consolidate(Purpose::Run, None).unwrap();
        let whole = shortcut.part(None, None, &[]);
        assert_eq!(TestPlan::new(&whole).unwrap().max_possible_vus(), 1);
    }
}
