//! A ramping-vus scenario's VU steps while it runs ([`LiveRamp`]): the
//! plan's steps until the first change. A `factor` at `T` multiplies the
//! targets of the stages left after `T`, each rounded to the nearest
//! whole VU (halves away from zero, as Go's `math.Round`); the stage
//! under way at `T` ramps from the VUs the whole test has at `T` to its
//! new target over what is left of it, and the stages' times stay.
//!
//! An `extend` (or a longer `duration`) moves the regular end later: the
//! VUs hold at the last stage's target over the added time (a stage of
//! that length with that target), and the gracefulRampDown / gracefulStop
//! windows close from the new end as they did from the old one. A
//! `factor` after it treats the held time as one more stage.
//!
//! Every instance computes the same whole-test ramp from `T` (the same
//! VUs at `T`, the same targets) and takes its share of it by its tuple,
//! as at start: the instances of a sequence still add up to the whole
//! ramp, and the steps before `T` are kept as they were.

use super::ramping;
use super::{ScenarioPlan, Step, Work};
use crate::duration::Duration;
use crate::options::{RampingVusConfig, Stage};
use crate::segment::Tuple;

/// The VU steps of one ramping-vus scenario on this instance, changeable
/// while it runs.
#[derive(Clone, Debug)]
pub struct LiveRamp {
    /// The whole test's ramp from `origin` on (`startVUs`: the VUs at
    /// `origin`).
    ramp: RampingVusConfig,
    /// Where `ramp` starts, from the scenario's start (the last change).
    origin: Duration,
    /// `ramp`'s raw steps for the whole test, from `origin`.
    whole: Vec<Step>,
    tuple: Tuple,
    graceful_stop: Duration,
    raw: Vec<Step>,
    graceful: Vec<Step>,
}

impl LiveRamp {
    /// The steps of a ramping-vus scenario's plan (`None` for the other
    /// executors).
    pub fn of(plan: &ScenarioPlan) -> Option<LiveRamp> {
        let Work::RampingVus {
            raw_steps,
            graceful_steps,
            config,
            tuple,
            ..
        } = &plan.work
        else {
            return None;
        };
        Some(LiveRamp {
            whole: ramping::raw_steps(config, &Tuple::full()),
            ramp: config.clone(),
            origin: Duration::ZERO,
            tuple: tuple.clone(),
            graceful_stop: plan.graceful_stop,
            raw: raw_steps.clone(),
            graceful: graceful_steps.clone(),
        })
    }

    /// When this instance's VUs start and are asked to stop, closed by a
    /// zero step at the end of the stages (the regular end).
    pub fn raw_steps(&self) -> &[Step] {
        &self.raw
    }

    /// How long this instance's VUs stay reserved: a falling count
    /// hard-stops the top VUs.
    pub fn graceful_steps(&self) -> &[Step] {
        &self.graceful
    }

    /// The whole test's planned VUs at `at` (from the scenario's start,
    /// not before the last change).
    pub fn whole_vus_at(&self, at: Duration) -> u64 {
        Step::planned_at(&self.whole, at - self.origin.min(at))
    }

    /// The regular end, from the scenario's start: where the stages end
    /// (VUs still running after a ramp to zero have stopped before).
    pub fn end(&self) -> Duration {
        self.origin + ramping::stages_end(&self.ramp)
    }

    /// Moves the regular end to `new_end` (from the scenario's start),
    /// the VUs held at the last stage's target until then. An end not
    /// later than the current one is left as it is.
    pub fn extend_to(&mut self, new_end: Duration) {
        let end = self.end();
        if new_end <= end {
            return;
        }
        let held = self
            .ramp
            .stages()
            .last()
            .map_or(self.ramp.start_vus(), |s| s.target.unwrap_or_default());
        let mut stages = self.ramp.stages().to_vec();
        stages.push(Stage::new(new_end - end, held));
        let ramp = RampingVusConfig {
            stages: Some(stages),
            ..self.ramp.clone()
        };
        self.restart(self.origin, ramp);
    }

    /// Multiplies the targets of the stages left at `at` (from the
    /// scenario's start, not before the last change) by `factor`. A ramp
    /// whose stages are over is left as it is.
    pub fn scale(&mut self, at: Duration, factor: f64) {
        let at = at.max(self.origin);
        let since = at - self.origin;
        let mut stages = Vec::new();
        let mut start = Duration::ZERO;
        for stage in self.ramp.stages() {
            let length = stage.duration.unwrap_or_default();
            let end = start + length;
            if end > since {
                let left = if start < since { end - since } else { length };
                let target = (stage.target.unwrap_or_default() as f64 * factor).round();
                stages.push(Stage::new(left, target.max(0.0) as i64));
            }
            start = end;
        }
        if stages.is_empty() {
            return;
        }
        let ramp = RampingVusConfig {
            start_vus: Some(self.whole_vus_at(at) as i64),
            stages: Some(stages),
            ..self.ramp.clone()
        };
        self.restart(at, ramp);
    }

    /// Follows `ramp` from `at` on (from the scenario's start, not before
    /// the last change): the steps before `at` stay, this instance's share
    /// of `ramp` follows, closed at its end.
    fn restart(&mut self, at: Duration, ramp: RampingVusConfig) {
        let mut raw: Vec<Step> = self.raw.iter().copied().filter(|s| s.offset < at).collect();
        raw.extend(
            ramping::raw_steps(&ramp, &self.tuple)
                .into_iter()
                .map(|s| Step::vus(s.offset + at, s.planned_vus)),
        );
        let stages_end = at + ramping::stages_end(&ramp);
        (self.raw, self.graceful) = ramping::close(
            raw,
            stages_end,
            ramp.graceful_ramp_down(),
            self.graceful_stop,
        );
        self.whole = ramping::raw_steps(&ramp, &Tuple::full());
        self.ramp = ramp;
        self.origin = at;
    }
}

#[cfg(test)]
#[path = "live_ramp_tests.rs"]
mod tests;
