//! Arrival-rate schedules: when each iteration of this instance starts.
//!
//! Both executors number the iterations of the whole test `g = 0, 1, 2...`
//! and an instance starts exactly the `g` its (re-segmented) tuple owns, at
//! the time the unsegmented test would. The float operations mirror k6's
//! so that the times agree to the nanosecond.

use crate::duration::Duration;
use crate::options::Stage;
use crate::segment::Tuple;

/// One scheduled iteration start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// The iteration's number in the whole test (`exec.scenario.iterationInTest`).
    pub global: i64,
    /// Its number in this instance (`exec.scenario.iterationInInstance`).
    pub local: i64,
    /// When it starts, relative to the scenario start.
    pub offset: Duration,
}

/// constant-arrival-rate: iteration `g` starts at `g × period`.
#[derive(Clone, Debug)]
pub struct ConstantSchedule {
    /// `timeUnit / rate`, computed as a float and truncated to nanoseconds.
    pub period: Duration,
    /// Iterations start while the offset is at most this. (k6 races a tick
    /// that falls exactly on the end against the end; k6r always runs it,
    /// which is what k6 does in most observed runs.)
    pub duration: Duration,
    /// The tuple re-segmented by `maxVUs` that says which `g` are ours;
    /// `None` when this instance has no share of `maxVUs`, hence no ticks.
    pub tuple: Option<Tuple>,
}

impl ConstantSchedule {
    /// The schedule of `rate` iterations per `time_unit` for `duration`.
    pub fn new(rate: i64, time_unit: Duration, duration: Duration, tuple: Option<Tuple>) -> Self {
        // k6: time.Duration(float64 of 1 / (rate / timeUnit)).
        let period = if rate > 0 {
            let p = time_unit.as_nanos() as f64 / rate as f64;
            Duration::from_nanos(p as i64)
        } else {
            Duration::ZERO
        };
        ConstantSchedule {
            period,
            duration,
            tuple,
        }
    }

    /// This instance's iteration starts, in order. Finite: they stop at
    /// the end of `duration`.
    pub fn ticks(&self) -> impl Iterator<Item = Tick> + '_ {
        let period = self.period.as_nanos();
        let end = self.duration.as_nanos();
        self.tuple
            .iter()
            .flat_map(Tuple::global_indexes)
            .enumerate()
            .map(move |(local, g)| Tick {
                global: g,
                local: local as i64,
                offset: Duration::from_nanos(period.saturating_mul(g)),
            })
            .take_while(move |t| period > 0 && t.offset.as_nanos() <= end)
    }
}

/// ramping-arrival-rate: the rate moves linearly through the stages and
/// iteration `k` (1-based) starts where the area under the rate reaches `k`.
#[derive(Clone, Debug)]
pub struct RampingSchedule {
    /// The rate at the start, per `time_unit`.
    pub start_rate: i64,
    /// The unit of all rates.
    pub time_unit: Duration,
    /// `(duration, target rate)` of each stage.
    pub stages: Vec<(Duration, i64)>,
    /// The tuple re-segmented by `maxVUs` that says which `k` are ours;
    /// `None` when this instance has no share, hence no ticks.
    pub tuple: Option<Tuple>,
}

impl RampingSchedule {
    /// The schedule of a ramping-arrival-rate scenario.
    pub fn new(
        start_rate: i64,
        time_unit: Duration,
        stages: &[Stage],
        tuple: Option<Tuple>,
    ) -> Self {
        RampingSchedule {
            start_rate,
            time_unit,
            stages: stages
                .iter()
                .map(|s| (s.duration.unwrap_or_default(), s.target.unwrap_or_default()))
                .collect(),
            tuple,
        }
    }

    /// The sum of the stage durations: no iteration starts after it.
    pub fn duration(&self) -> Duration {
        self.stages
            .iter()
            .fold(Duration::ZERO, |acc, (d, _)| acc + *d)
    }

    /// This instance's iteration starts, in order; finite.
    pub fn ticks(&self) -> RampingTicks {
        let time_unit = self.time_unit.as_nanos() as f64;
        let (has_offsets, start) = match &self.tuple {
            Some(t) => (!t.offsets().is_empty(), t.start()),
            None => (false, 0),
        };
        RampingTicks {
            schedule: self.clone(),
            next_offset: 0,
            // Without a share there is nothing to walk.
            stage: if has_offsets { 0 } else { self.stages.len() },
            stage_start: Duration::ZERO,
            from: self.start_rate as f64 / time_unit,
            done_so_far: 0.0,
            end_count: 0.0,
            stage_open: false,
            i: (start + 1) as f64,
            local: 0,
        }
    }
}

/// Iterator over a [`RampingSchedule`]: k6's `cal` as a state machine.
#[derive(Clone, Debug)]
pub struct RampingTicks {
    schedule: RampingSchedule,
    next_offset: usize,
    stage: usize,
    stage_start: Duration,
    /// Rate at the start of the current stage, per nanosecond.
    from: f64,
    done_so_far: f64,
    end_count: f64,
    stage_open: bool,
    /// The 1-based cumulative iteration number of the next candidate.
    i: f64,
    local: i64,
}

impl Iterator for RampingTicks {
    type Item = Tick;

    fn next(&mut self) -> Option<Tick> {
        let time_unit = self.schedule.time_unit.as_nanos() as f64;
        loop {
            let &(stage_duration, target) = self.schedule.stages.get(self.stage)?;
            let to = target as f64 / time_unit;
            let dur = stage_duration.as_nanos() as f64;
            if !self.stage_open {
                self.end_count += if self.from != to {
                    dur * ((to - self.from) / 2.0 + self.from)
                } else {
                    dur * to
                };
                self.stage_open = true;
            }
            if self.i <= self.end_count {
                let k = self.i - self.done_so_far;
                let t = if self.from != to {
                    let radicand = dur * (self.from * self.from * dur + 2.0 * k * (to - self.from));
                    (self.from * dur - radicand.max(0.0).sqrt()) / (self.from - to)
                } else {
                    k / to
                };
                let tick = Tick {
                    global: self.i as i64 - 1,
                    local: self.local,
                    offset: Duration::from_nanos(t as i64) + self.stage_start,
                };
                self.local += 1;
                let offsets = self
                    .schedule
                    .tuple
                    .as_ref()
                    .map_or(&[1][..], |t| t.offsets());
                let step = offsets[self.next_offset % offsets.len()];
                self.next_offset += 1;
                self.i += step as f64;
                return Some(tick);
            }
            self.done_so_far = self.end_count;
            self.from = to;
            self.stage_start = self.stage_start + stage_duration;
            self.stage += 1;
            self.stage_open = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ticks: impl Iterator<Item = Tick>) -> Vec<i64> {
        ticks.map(|t| t.offset.as_nanos() / 1_000_000).collect()
    }

    fn ramping(start: i64, stages: &[(i64, i64)], tuple: Option<Tuple>) -> RampingSchedule {
        let stages: Vec<Stage> = stages
            .iter()
            .map(|(ms, t)| Stage::new(Duration::from_millis(*ms), *t))
            .collect();
        RampingSchedule::new(start, Duration::SECOND, &stages, tuple)
    }

    #[test]
    fn constant_rate_starts_at_zero_and_truncates_the_period() {
        let s = ConstantSchedule::new(10, Duration::SECOND, Duration::SECOND, Some(Tuple::full()));
        assert_eq!(
            ms(s.ticks()),
            [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
        );
        let s = ConstantSchedule::new(3, Duration::SECOND, Duration::SECOND, Some(Tuple::full()));
        assert_eq!(s.period, Duration::from_nanos(333_333_333));
    }

    #[test]
    fn ramping_rate_matches_observed_k6_times() {
        // Observed with k6 v1.1.0 (§2.3): constant 10/s → 100ms, 200ms, ...
        assert_eq!(
            ms(ramping(10, &[(1000, 10)], Some(Tuple::full())).ticks()),
            [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
        );
        // 0→10/s over 2s: 634, 895, 1097, 1266, 1416, 1551, 1675, 1790, 1898, 2000.
        assert_eq!(
            ms(ramping(0, &[(2000, 10)], Some(Tuple::full())).ticks()),
            [632, 894, 1095, 1264, 1414, 1549, 1673, 1788, 1897, 2000]
        );
        // 5→10→0 over 1s + 1s: 12 iterations.
        let t = ms(ramping(5, &[(1000, 10), (1000, 0)], Some(Tuple::full())).ticks());
        assert_eq!(t.len(), 12);
        assert_eq!(t[0], 183);
    }
}
