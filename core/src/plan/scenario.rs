//! One scenario compiled for this instance: how many VUs when, and the
//! executor's work, all already scaled to the instance's segment.

use super::arrival::{ConstantSchedule, RampingSchedule};
use super::ramping;
use super::Step;
use crate::duration::Duration;
use crate::options::{
    ConstantArrivalRateConfig, Executor, ExecutorKind, ExternallyControlledConfig,
    IterationsConfig, RampingArrivalRateConfig, RampingVusConfig, Scenario,
};
use crate::segment::Tuple;

/// A scenario's plan for this instance. Schedulers follow it; nothing in it
/// is re-derived from the options at run time.
#[derive(Clone, Debug)]
pub struct ScenarioPlan {
    /// The scenario's name.
    pub name: String,
    /// Its executor type.
    pub kind: ExecutorKind,
    /// The function it runs.
    pub exec: String,
    /// Delay after the test start.
    pub start_time: Duration,
    /// Time iterations get after the regular end (zero for
    /// externally-controlled, which has none).
    pub graceful_stop: Duration,
    /// VU requirements relative to the scenario start (k6's execution steps).
    pub steps: Vec<Step>,
    /// What the executor does, scaled to this instance.
    pub work: Work,
    /// The tuple that stripes `exec.scenario.iterationInTest` for the
    /// VU-driven executors: re-segmented by `vus` for shared-iterations,
    /// the instance's own otherwise (arrival-rate executors number their
    /// iterations by tick instead). `None` when re-segmenting left this
    /// instance no share.
    pub iteration_tuple: Option<Tuple>,
}

/// An executor's work for this instance.
#[derive(Clone, Debug)]
pub enum Work {
    /// `iterations` shared first-come-first-served by `vus` VUs.
    SharedIterations {
        /// This instance's VUs.
        vus: u64,
        /// This instance's iterations.
        iterations: u64,
        /// Regular end.
        max_duration: Duration,
    },
    /// Each VU runs `iterations_per_vu` iterations (not scaled).
    PerVuIterations {
        /// This instance's VUs.
        vus: u64,
        /// Iterations of each VU.
        iterations_per_vu: u64,
        /// Regular end.
        max_duration: Duration,
    },
    /// `vus` VUs loop for `duration`.
    ConstantVus {
        /// This instance's VUs.
        vus: u64,
        /// Regular end.
        duration: Duration,
    },
    /// VUs follow the ramp.
    RampingVus {
        /// When VUs start and are asked to stop gracefully, closed by a
        /// zero step at the end of the stages.
        raw_steps: Vec<Step>,
        /// How long VUs stay reserved (the requirements): a falling count
        /// here hard-stops the top VUs.
        graceful_steps: Vec<Step>,
        /// Time of the last raw step: no iteration starts after it.
        regular_end: Duration,
        /// Time of the last graceful step: everything is stopped by then.
        hard_end: Duration,
        /// The whole test's ramp as given, which a live `factor` edits
        /// ([`LiveRamp`](super::LiveRamp)).
        config: RampingVusConfig,
        /// The tuple the steps are this instance's share of.
        tuple: Tuple,
    },
    /// Iterations start on a fixed schedule.
    ConstantArrivalRate {
        /// VUs initialised before the start.
        pre_allocated_vus: u64,
        /// The most VUs (initialised on demand up to this).
        max_vus: u64,
        /// This instance's iteration starts.
        schedule: ConstantSchedule,
    },
    /// Iterations start on a ramped schedule.
    RampingArrivalRate {
        /// VUs initialised before the start.
        pre_allocated_vus: u64,
        /// The most VUs.
        max_vus: u64,
        /// This instance's iteration starts.
        schedule: RampingSchedule,
    },
    /// VUs set from outside.
    ExternallyControlled {
        /// Active VUs at the start (scaled).
        vus: u64,
        /// Initialised VUs (scaled).
        max_vus: u64,
        /// `None` runs until stopped.
        duration: Option<Duration>,
    },
}

fn scaled(tuple: &Tuple, value: i64) -> u64 {
    tuple.scale(value.max(0)).max(0) as u64
}

impl ScenarioPlan {
    /// Compiles a validated scenario for the instance of `tuple`.
    pub fn new(scenario: &Scenario, tuple: &Tuple) -> ScenarioPlan {
        let graceful_stop = match scenario.executor.kind() {
            ExecutorKind::ExternallyControlled => Duration::ZERO,
            _ => scenario.graceful_stop(),
        };
        let (steps, work) = compile(&scenario.executor, tuple, graceful_stop);
        let iteration_tuple = match &scenario.executor {
            Executor::SharedIterations(c) => tuple.resegment(c.vus()),
            _ => Some(tuple.clone()),
        };
        ScenarioPlan {
            iteration_tuple,
            name: scenario.name.clone(),
            kind: scenario.executor.kind(),
            exec: scenario.exec().to_string(),
            start_time: scenario.start_time(),
            graceful_stop,
            steps,
            work,
        }
    }

    /// Whether this instance has anything to run for the scenario (k6's
    /// `HasWork`); scenarios without work are skipped but still listed.
    pub fn has_work(&self) -> bool {
        match &self.work {
            Work::SharedIterations {
                vus, iterations, ..
            } => *vus > 0 && *iterations > 0,
            Work::PerVuIterations { vus, .. } | Work::ConstantVus { vus, .. } => *vus > 0,
            Work::RampingVus { raw_steps, .. } => raw_steps.iter().any(|s| s.planned_vus > 0),
            Work::ConstantArrivalRate { max_vus, .. }
            | Work::RampingArrivalRate { max_vus, .. } => *max_vus > 0,
            Work::ExternallyControlled { .. } => true,
        }
    }

    /// The most VUs this scenario may hold at once (planned + unplanned).
    pub fn max_vus(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| s.planned_vus + s.max_unplanned_vus)
            .max()
            .unwrap_or(0)
    }
}

/// A scenario's VU steps and work for the instance of `tuple`, each
/// executor's steps ending `graceful_stop` after its regular end.
fn compile(executor: &Executor, tuple: &Tuple, graceful_stop: Duration) -> (Vec<Step>, Work) {
    match executor {
        Executor::SharedIterations(c) => shared_iterations(c, tuple, graceful_stop),
        Executor::PerVuIterations(c) => {
            let vus = scaled(tuple, c.vus());
            let work = Work::PerVuIterations {
                vus,
                iterations_per_vu: c.iterations().max(0) as u64,
                max_duration: c.max_duration(),
            };
            (end_at(vus, c.max_duration() + graceful_stop), work)
        }
        Executor::ConstantVus(c) => {
            let vus = scaled(tuple, c.vus());
            let work = Work::ConstantVus {
                vus,
                duration: c.duration(),
            };
            (end_at(vus, c.duration() + graceful_stop), work)
        }
        Executor::RampingVus(c) => ramping_vus(c, tuple, graceful_stop),
        Executor::ConstantArrivalRate(c) => constant_arrival_rate(c, tuple, graceful_stop),
        Executor::RampingArrivalRate(c) => ramping_arrival_rate(c, tuple, graceful_stop),
        Executor::ExternallyControlled(c) => externally_controlled(c, tuple),
    }
}

fn shared_iterations(
    c: &IterationsConfig,
    tuple: &Tuple,
    graceful_stop: Duration,
) -> (Vec<Step>, Work) {
    let vus = scaled(tuple, c.vus());
    // Iterations are split by the tuple re-segmented by the VUs,
    // so an instance without VUs gets no iterations either.
    let iterations = tuple
        .resegment(c.vus())
        .map_or(0, |t| scaled(&t, c.iterations()));
    let steps = if vus == 0 {
        vec![Step::vus(Duration::ZERO, 0)]
    } else {
        end_at(vus, c.max_duration() + graceful_stop)
    };
    let work = Work::SharedIterations {
        vus,
        iterations,
        max_duration: c.max_duration(),
    };
    (steps, work)
}

fn ramping_vus(c: &RampingVusConfig, tuple: &Tuple, graceful_stop: Duration) -> (Vec<Step>, Work) {
    let raw = ramping::raw_steps(c, tuple);
    let end = ramping::stages_end(c);
    let (raw_steps, steps) = ramping::close(raw, end, c.graceful_ramp_down(), graceful_stop);
    let work = Work::RampingVus {
        regular_end: raw_steps.last().map_or(Duration::ZERO, |s| s.offset),
        hard_end: steps.last().map_or(Duration::ZERO, |s| s.offset),
        raw_steps,
        graceful_steps: steps.clone(),
        config: c.clone(),
        tuple: tuple.clone(),
    };
    (steps, work)
}

fn constant_arrival_rate(
    c: &ConstantArrivalRateConfig,
    tuple: &Tuple,
    graceful_stop: Duration,
) -> (Vec<Step>, Work) {
    let (pre, max) = arrival_vus(tuple, c.pre_allocated_vus(), c.max_vus());
    let ticks_tuple = tuple.resegment(c.max_vus());
    let steps = arrival_steps(pre, max, c.duration() + graceful_stop);
    let schedule = ConstantSchedule::new(c.rate(), c.time_unit(), c.duration(), ticks_tuple);
    let work = Work::ConstantArrivalRate {
        pre_allocated_vus: pre,
        max_vus: max,
        schedule,
    };
    (steps, work)
}

fn ramping_arrival_rate(
    c: &RampingArrivalRateConfig,
    tuple: &Tuple,
    graceful_stop: Duration,
) -> (Vec<Step>, Work) {
    let (pre, max) = arrival_vus(tuple, c.pre_allocated_vus(), c.max_vus());
    let ticks_tuple = tuple.resegment(c.max_vus());
    let schedule = RampingSchedule::new(c.start_rate(), c.time_unit(), c.stages(), ticks_tuple);
    let steps = arrival_steps(pre, max, schedule.duration() + graceful_stop);
    let work = Work::RampingArrivalRate {
        pre_allocated_vus: pre,
        max_vus: max,
        schedule,
    };
    (steps, work)
}

fn externally_controlled(c: &ExternallyControlledConfig, tuple: &Tuple) -> (Vec<Step>, Work) {
    let max_vus = scaled(tuple, c.max_vus());
    let duration = Some(c.duration()).filter(|d| d.as_nanos() > 0);
    let mut steps = vec![Step::vus(Duration::ZERO, max_vus)];
    if let Some(d) = duration {
        steps.push(Step::vus(d, 0));
    }
    let work = Work::ExternallyControlled {
        vus: scaled(tuple, c.vus()),
        max_vus,
        duration,
    };
    (steps, work)
}

/// `[(0, vus), (end, 0)]`
fn end_at(vus: u64, end: Duration) -> Vec<Step> {
    vec![Step::vus(Duration::ZERO, vus), Step::vus(end, 0)]
}

/// An arrival-rate scenario's pre-allocated and most VUs, scaled to the
/// instance of `tuple` (the most never below the pre-allocated).
fn arrival_vus(tuple: &Tuple, pre_allocated: i64, max_vus: i64) -> (u64, u64) {
    let pre = scaled(tuple, pre_allocated);
    (pre, scaled(tuple, max_vus).max(pre))
}

/// `[(0, pre, max − pre), (end, 0, 0)]`
fn arrival_steps(pre: u64, max: u64, end: Duration) -> Vec<Step> {
    vec![
        Step {
            offset: Duration::ZERO,
            planned_vus: pre,
            max_unplanned_vus: max - pre,
        },
        Step::vus(end, 0),
    ]
}
