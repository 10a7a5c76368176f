//! An arrival-rate scenario's schedule while it runs ([`LiveSchedule`]):
//! k6's own ticks until the first change, then the ticks of a rate
//! `Curve` (`plan::curve`) that the changes edit.
//!
//! Iteration starts keep k6's semantics across a change: the whole test's
//! iteration `g` starts where the area under the rate reaches it (`g` for
//! constant-arrival-rate, whose first tick is at 0, `g + 1` for
//! ramping-arrival-rate). A change at `T` keeps the curve before `T`, so
//! the area is continuous: no burst to catch up, no gap, and the first
//! iteration after `T` comes when the new rate says. Every instance
//! computes the same curve from the same changes at the same `T` and
//! starts the `g` its stripe owns, so the split by segment is the one of
//! the start. A pause flattens the curve from `T` (the area stops; ticks
//! that would have come are not due, so not dropped); a resume at `T₂`
//! continues with the rate the curve had at `T₂`.

use super::arrival::{RampingTicks, Tick};
use super::curve::{Curve, Piece};
use super::Work;
use crate::duration::Duration;
use crate::segment::Tuple;
use crate::steer::{Change, ChangeError};

/// Where the ticks come from.
#[derive(Debug)]
enum Source {
    /// k6's constant ticks: our `k`-th index starts at `g × period`.
    Constant { period: i64, k: i64 },
    /// k6's ramping ticks.
    Ramping(Box<RampingTicks>),
    /// After a change: where the curve's area reaches `g + base`.
    Curve { k: i64 },
}

/// The ticks of one arrival-rate scenario on this instance, changeable
/// while it runs.
#[derive(Debug)]
pub struct LiveSchedule {
    tuple: Option<Tuple>,
    source: Source,
    curve: Curve,
    /// The area at which iteration 0 starts.
    base: f64,
    /// The unit of the scenario's rates.
    time_unit: Duration,
    /// While paused: the curve to continue with on resume (from the pause
    /// on).
    resume: Option<Vec<Piece>>,
    /// Whether a change was made (the scenario then lasts to its regular
    /// end even without ticks left, in case another comes).
    changed: bool,
}

impl LiveSchedule {
    /// The schedule of an arrival-rate scenario's work (`None` for the
    /// other executors).
    pub fn of(work: &Work) -> Option<LiveSchedule> {
        match work {
            Work::ConstantArrivalRate { schedule, .. } => {
                let period = schedule.period.as_nanos();
                let end = schedule.duration.as_nanos() as f64;
                let rate = if period > 0 { 1.0 / period as f64 } else { 0.0 };
                Some(LiveSchedule {
                    tuple: schedule.tuple.clone(),
                    source: Source::Constant { period, k: 0 },
                    curve: Curve {
                        pieces: vec![Piece::constant(0.0, end, rate)],
                    },
                    base: 0.0,
                    time_unit: Duration::SECOND,
                    resume: None,
                    changed: false,
                })
            }
            Work::RampingArrivalRate { schedule, .. } => {
                let unit = schedule.time_unit.as_nanos() as f64;
                let mut pieces = Vec::new();
                let (mut start, mut from) = (0.0, schedule.start_rate as f64 / unit);
                for (d, target) in &schedule.stages {
                    let to = *target as f64 / unit;
                    let len = d.as_nanos() as f64;
                    pieces.push(Piece {
                        start,
                        len,
                        from,
                        to,
                    });
                    start += len;
                    from = to;
                }
                Some(LiveSchedule {
                    tuple: schedule.tuple.clone(),
                    source: Source::Ramping(Box::new(schedule.ticks())),
                    curve: Curve { pieces },
                    base: 1.0,
                    time_unit: schedule.time_unit,
                    resume: None,
                    changed: false,
                })
            }
            _ => None,
        }
    }

    /// The regular end: no iteration starts after it.
    pub fn end(&self) -> Duration {
        Duration::from_nanos(self.curve.end().round() as i64)
    }

    /// Whether paused.
    pub fn paused(&self) -> bool {
        self.resume.is_some()
    }

    /// Whether a change was made.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// The whole test's rate at `at`, per second.
    pub fn rate_per_second(&self, at: Duration) -> f64 {
        self.curve.rate(at.as_nanos() as f64) * 1e9
    }

    /// The next iteration start of this instance, in order.
    pub fn next_tick(&mut self) -> Option<Tick> {
        let tuple = self.tuple.as_ref()?;
        let end = self.curve.end();
        match &mut self.source {
            Source::Constant { period, k } => {
                let g = tuple.global_index(*k)?;
                let offset = period.saturating_mul(g);
                if *period <= 0 || offset as f64 > end {
                    return None;
                }
                let tick = Tick {
                    global: g,
                    local: *k,
                    offset: Duration::from_nanos(offset),
                };
                *k += 1;
                Some(tick)
            }
            Source::Ramping(ticks) => ticks.next(),
            Source::Curve { k } => {
                let g = tuple.global_index(*k)?;
                let t = self.curve.time_of(g as f64 + self.base)?;
                let tick = Tick {
                    global: g,
                    local: *k,
                    offset: Duration::from_nanos(t.ceil() as i64),
                };
                *k += 1;
                Some(tick)
            }
        }
    }

    /// Applies `change` at `at` (from the scenario start). `pending`, the
    /// tick taken from [`next_tick`](Self::next_tick) and not started,
    /// is given back: ticks from it on follow the new curve. Call
    /// `next_tick` again afterwards.
    pub fn apply(
        &mut self,
        at: Duration,
        change: &Change,
        pending: Option<Tick>,
    ) -> Result<(), ChangeError> {
        let t = at.as_nanos() as f64;
        let current = self.end();
        let new_end = change.new_end(current)?.as_nanos() as f64;
        // The first iteration not due before `at`, the same on every
        // instance; and never one this instance already started.
        let due = (self.curve.area(t) - self.base).ceil().max(0.0) as i64;
        let floor = match pending {
            Some(p) => Some(p.global),
            None => self.peek_global(),
        };
        let first = floor.map_or(due, |f| f.max(due));
        let edit = |tail: &mut Vec<Piece>| {
            if let Some(rate) = change.rate {
                let unit = change.time_unit.unwrap_or(self.time_unit).as_nanos() as f64;
                let r = rate as f64 / unit;
                let end = tail.last().map_or(t, |p| p.start + p.len);
                *tail = vec![Piece::constant(t, end - t, r)];
            }
            if let Some(f) = change.factor {
                for (i, p) in tail.iter_mut().enumerate() {
                    // The rate at `at` stays; the targets are scaled (a
                    // constant rate is scaled at once).
                    if i > 0 || p.from == p.to {
                        p.from *= f;
                    }
                    p.to *= f;
                }
            }
        };
        match &mut self.resume {
            Some(tail) => {
                edit(tail);
                let mut c = Curve {
                    pieces: std::mem::take(tail),
                };
                c.extend_to(new_end);
                *tail = c.pieces;
            }
            None => {
                let mut tail = self.curve.clip(t, self.curve.end());
                edit(&mut tail);
                self.curve.splice(t, tail);
            }
        }
        self.curve.extend_to(new_end);
        match change.paused {
            Some(true) if self.resume.is_none() => {
                let tail = self.curve.clip(t, self.curve.end());
                let end = self.curve.end();
                self.curve.splice(t, vec![Piece::constant(t, end - t, 0.0)]);
                self.resume = Some(tail);
            }
            Some(false) => {
                if let Some(tail) = self.resume.take() {
                    let held = Curve { pieces: tail };
                    let rest = held.clip(t, held.end());
                    self.curve.splice(t, rest);
                    self.curve.extend_to(new_end);
                }
            }
            _ => {}
        }
        let k = self.tuple.as_ref().map_or(0, |tu| tu.scale(first));
        self.source = Source::Curve { k };
        self.changed = true;
        Ok(())
    }

    /// The whole-test number of the next tick, without taking it.
    fn peek_global(&self) -> Option<i64> {
        match &self.source {
            Source::Constant { k, .. } | Source::Curve { k } => {
                self.tuple.as_ref()?.global_index(*k)
            }
            Source::Ramping(ticks) => ticks.as_ref().clone().next().map(|t| t.global),
        }
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
