//! The execution plan: every scenario compiled once for this instance, and
//! the merged plan of the whole test that gives its duration and VU needs.
//!
//! Each scenario yields execution steps `(offset, planned VUs, max
//! unplanned VUs)` relative to its start ([`ScenarioPlan::steps`]). The test
//! plan shifts them by `startTime` and walks them in time order (ties in
//! `(startTime, name)` order), keeping per scenario its latest values.
//! After *each* step, not each distinct offset, the sums across scenarios
//! are a step of the test at that step's offset, unless they equal the
//! last one kept: so, as in k6, a scenario's start (say `startVUs`) counts
//! against another scenario starting at the same instant even when a
//! zero-length stage lowers it at once, and a test whose scenarios need no
//! VUs in this segment lasts until the first scenario's start. From it:
//! - max planned VUs: the VUs initialised before the start;
//! - max possible VUs: planned + unplanned, what `k6 inspect` calls `maxVUs`;
//! - total duration: the offset of the last step (`totalDuration`).
//!
//! [`describe`] words the plan the way `k6 run`'s banner does; [`live`]
//! is an arrival-rate scenario's schedule as live changes edit it (over a
//! rate `curve`), [`live_ramp`] a ramping-vus scenario's steps as a live
//! `factor` edits them.

pub mod arrival;
mod curve;
pub mod describe;
pub mod live;
pub mod live_ramp;
mod ramping;
mod scenario;

pub use arrival::{ConstantSchedule, RampingSchedule, RampingTicks, Tick};
pub use live::LiveSchedule;
pub use live_ramp::LiveRamp;
pub use scenario::{ScenarioPlan, Work};

use crate::duration::Duration;
use crate::options::Options;
use crate::segment::{SegmentError, Tuple};

/// k6's execution step: from `offset` on, this many VUs are needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Time since the start (of the scenario, or of the test when merged).
    pub offset: Duration,
    /// VUs needed from then on.
    pub planned_vus: u64,
    /// VUs that may be initialised on demand (arrival-rate executors).
    pub max_unplanned_vus: u64,
}

impl Step {
    /// A step with planned VUs only.
    pub const fn vus(offset: Duration, planned_vus: u64) -> Step {
        Step {
            offset,
            planned_vus,
            max_unplanned_vus: 0,
        }
    }

    /// The planned VUs of the last of `steps` at or before `offset` (0
    /// before the first).
    pub fn planned_at(steps: &[Step], offset: Duration) -> u64 {
        steps
            .iter()
            .take_while(|s| s.offset <= offset)
            .last()
            .map_or(0, |s| s.planned_vus)
    }
}

/// The plan of a whole test for one instance (one execution segment).
#[derive(Clone, Debug)]
pub struct TestPlan {
    tuple: Tuple,
    scenarios: Vec<ScenarioPlan>,
    steps: Vec<Step>,
}

impl TestPlan {
    /// Compiles validated options (after
    /// [`Options::derive_scenarios`](crate::options::Options::derive_scenarios)
    /// and [`Options::validate`](crate::options::Options::validate)) for the
    /// segment they name.
    pub fn new(options: &Options) -> Result<TestPlan, SegmentError> {
        let tuple = Tuple::new(
            options.execution_segment.as_ref(),
            options.execution_segment_sequence.as_ref(),
        )?;
        Ok(TestPlan::with_tuple(options, tuple))
    }

    /// Compiles validated options for an explicit execution tuple (the
    /// coordinator's choice of segment wins over the script's).
    pub fn with_tuple(options: &Options, tuple: Tuple) -> TestPlan {
        let scenarios: Vec<ScenarioPlan> = options
            .scenarios_in_order()
            .into_iter()
            .map(|s| ScenarioPlan::new(s, &tuple))
            .collect();
        let steps = merge(&scenarios);
        TestPlan {
            tuple,
            scenarios,
            steps,
        }
    }

    /// Like [`TestPlan::new`], but the scenarios named in `pinned` run
    /// whole (the full `0:1` segment) on this instance while every other
    /// scenario runs its share of the options' segment: a cluster pins an
    /// externally-controlled scenario to one agent. Iteration numbers of a
    /// pinned scenario are those of a single-instance run.
    pub fn with_pinned(options: &Options, pinned: &[String]) -> Result<TestPlan, SegmentError> {
        let tuple = Tuple::new(
            options.execution_segment.as_ref(),
            options.execution_segment_sequence.as_ref(),
        )?;
        let full = Tuple::full();
        let scenarios: Vec<ScenarioPlan> = options
            .scenarios_in_order()
            .into_iter()
            .map(|s| {
                let whole = pinned.contains(&s.name);
                ScenarioPlan::new(s, if whole { &full } else { &tuple })
            })
            .collect();
        let steps = merge(&scenarios);
        Ok(TestPlan {
            tuple,
            scenarios,
            steps,
        })
    }

    /// The execution tuple this plan was compiled for (VU ids are striped
    /// with it).
    pub fn tuple(&self) -> &Tuple {
        &self.tuple
    }

    /// The scenarios in `(startTime, name)` order.
    pub fn scenarios(&self) -> &[ScenarioPlan] {
        &self.scenarios
    }

    /// The merged steps of the whole test.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// VUs to initialise before the start.
    pub fn max_planned_vus(&self) -> u64 {
        self.steps.iter().map(|s| s.planned_vus).max().unwrap_or(0)
    }

    /// The most VUs the test may use: `maxVUs` of `k6 inspect`.
    pub fn max_possible_vus(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| s.planned_vus + s.max_unplanned_vus)
            .max()
            .unwrap_or(0)
    }

    /// The time of the last step, graceful stops included: `totalDuration`.
    pub fn total_duration(&self) -> Duration {
        self.steps.last().map_or(Duration::ZERO, |s| s.offset)
    }
}

/// Merges the scenarios' steps into the test's (see the module docs).
fn merge(scenarios: &[ScenarioPlan]) -> Vec<Step> {
    let mut tracked: Vec<(Step, usize)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(id, sc)| {
            sc.steps.iter().map(move |s| {
                let mut s = *s;
                s.offset = s.offset + sc.start_time;
                (s, id)
            })
        })
        .collect();
    // Stable: equal steps of one scenario keep their order.
    tracked.sort_by_key(|(s, id)| (s.offset, *id));
    let mut planned = vec![0u64; scenarios.len()];
    let mut unplanned = vec![0u64; scenarios.len()];
    let mut out: Vec<Step> = Vec::new();
    for (step, id) in &tracked {
        planned[*id] = step.planned_vus;
        unplanned[*id] = step.max_unplanned_vus;
        let sum = Step {
            offset: step.offset,
            planned_vus: planned.iter().sum(),
            max_unplanned_vus: unplanned.iter().sum(),
        };
        let same = out.last().is_some_and(|last| {
            last.planned_vus == sum.planned_vus && last.max_unplanned_vus == sum.max_unplanned_vus
        });
        if !same {
            out.push(sum);
        }
    }
    out
}

#[cfg(test)]
mod tests;
