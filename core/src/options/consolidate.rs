//! The last step of k6's consolidation, written once for every place that
//! runs or inspects a test: the CLI's `run` and `inspect`, the
//! coordinator's submit and each agent's part.
//!
//! The layers are stacked first ([`Options::apply`]); then the shortcut
//! options become the `default` scenario and the result is validated.

use super::{Options, OptionsError, Warning};

/// What the options are consolidated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `k6 run` (locally, on the coordinator or on an agent): its `--vus`
    /// flag defaults to 1, so an unset `vus` runs 1 VU; once the shortcuts
    /// have become the `default` scenario they are cleared, so the options
    /// hold one description of the work and consolidating them again (on
    /// the coordinator, then on each agent) changes nothing.
    Run,
    /// `k6 inspect`: an unset `vus` stays 0 (so `{duration: '2s'}` fails
    /// validation, as in k6) and the shortcuts are kept for printing.
    Inspect,
}

impl Options {
    /// Turns the shortcuts into the `default` scenario (returning k6's
    /// warnings) and validates the options, against the script's `exports`
    /// when given.
    pub fn consolidate(
        &mut self,
        purpose: Purpose,
        exports: Option<&[String]>,
    ) -> Result<Vec<Warning>, OptionsError> {
        if purpose == Purpose::Run {
            self.unset_vus = 1;
        }
        let warnings = self.derive_scenarios()?;
        if purpose == Purpose::Run {
            self.duration = None;
            self.iterations = None;
            self.stages = None;
        }
        self.validate(exports)?;
        Ok(warnings)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::TestPlan;

    fn options(json: serde_json::Value) -> Options {
        Options::from_json(&json).unwrap().0
    }

    #[test]
    fn a_run_reads_an_unset_vus_as_one_and_inspect_as_zero() {
        let mut run = options(json!({"duration": "2s"}));
        run.consolidate(Purpose::Run, None).unwrap();
        assert_eq!(TestPlan::new(&run).unwrap().max_possible_vus(), 1);
        let mut inspect = options(json!({"duration": "2s"}));
        assert!(inspect.consolidate(Purpose::Inspect, None).is_err());
    }

    #[test]
    fn consolidating_a_run_twice_changes_nothing() {
        let mut once = options(json!({"vus": 3, "stages": [{"duration": "1s", "target": 5}]}));
        once.consolidate(Purpose::Run, None).unwrap();
        assert_eq!(once.stages, None);
        let mut twice = once.clone();
        twice.consolidate(Purpose::Run, None).unwrap();
        assert_eq!(twice, once);
    }

    #[test]
    fn inspect_keeps_the_shortcuts_and_both_refuse_a_conflict() {
        let mut inspect = options(json!({"vus": 2, "duration": "2s"}));
        inspect.consolidate(Purpose::Inspect, None).unwrap();
        assert!(inspect.duration.is_some() && inspect.scenarios.is_some());
        for purpose in [Purpose::Run, Purpose::Inspect] {
            let mut both = options(json!({
                "duration": "2s",
                "scenarios": {"s": {"executor": "constant-vus", "vus": 1, "duration": "1s"}},
            }));
            let error = both.consolidate(purpose, None).unwrap_err().to_string();
            assert!(
                error.contains("duration") && error.contains("scenarios"),
                "{error}"
            );
        }
    }
}
