//! Live changes of a running scenario (k6r's extension beside k6's
//! `PATCH /v1/status`): what may be changed, for which executor, and k6's
//! style of refusal. Written once for every place that takes a change:
//! the REST API of a run on one machine, the coordinator's (which splits
//! nothing itself: every agent applies the whole change to its own
//! segment with [`part_of`], the rule that split the scenario at start),
//! and the engine that applies it.
//!
//! | field | executors |
//! |---|---|
//! | `rate` (+ `timeUnit`) | constant-arrival-rate |
//! | `factor` | ramping-arrival-rate, constant-arrival-rate, ramping-vus (the targets of the stages left; `plan::live_ramp`) |
//! | `vus` | constant-vus |
//! | `paused` | every executor |
//! | `extend` / `duration` | constant-vus, constant-arrival-rate, ramping-arrival-rate, ramping-vus (the last target held to the new end) |

use std::fmt;

use crate::duration::Duration;
use crate::options::ExecutorKind;
use crate::segment::Tuple;

/// The most a `factor` may multiply by (and 1 / the least).
pub const MAX_FACTOR: f64 = 1_000.0;

/// A change of one scenario; `None` fields are left as they are. The
/// values are the whole test's (not split by segment).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    /// constant-arrival-rate: iterations per `time_unit`.
    pub rate: Option<i64>,
    /// The unit of `rate` (default: the scenario's).
    pub time_unit: Option<Duration>,
    /// Multiplies the rate, or the remaining stage targets.
    pub factor: Option<f64>,
    /// constant-vus: the VUs.
    pub vus: Option<i64>,
    /// Pause (`true`) or resume (`false`).
    pub paused: Option<bool>,
    /// Lengthens the scenario by this much.
    pub extend: Option<Duration>,
    /// Sets the scenario's duration (from its start); never shorter than
    /// it is.
    pub duration: Option<Duration>,
}

/// A field of [`Change`], as the API spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `rate`
    Rate,
    /// `timeUnit`
    TimeUnit,
    /// `factor`
    Factor,
    /// `vus`
    Vus,
    /// `paused`
    Paused,
    /// `extend`
    Extend,
    /// `duration`
    Duration,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Rate => "rate",
            Field::TimeUnit => "timeUnit",
            Field::Factor => "factor",
            Field::Vus => "vus",
            Field::Paused => "paused",
            Field::Extend => "extend",
            Field::Duration => "duration",
        })
    }
}

/// Why a change is refused. Every message names the field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ChangeError {
    /// The body changes nothing.
    #[error(
        "the change is empty: give one of rate, timeUnit, factor, vus, paused, extend, duration"
    )]
    Empty,
    /// The field does not apply to the executor.
    #[error("{field} can't be changed for the {executor} executor")]
    NotFor {
        /// The field.
        field: Field,
        /// The scenario's executor.
        executor: ExecutorKind,
    },
    /// The value is out of range.
    #[error("{field} {reason}")]
    Invalid {
        /// The field.
        field: Field,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No scenario has the name.
    #[error("no scenario named {0:?}")]
    NoScenario(String),
    /// The scenario has not started yet.
    #[error("scenario {0:?} has not started yet")]
    NotStarted(String),
    /// The scenario is over.
    #[error("scenario {0:?} has ended")]
    Ended(String),
    /// Another change is being applied (a cluster applies one at a time).
    #[error("another change is being applied")]
    Busy,
    /// An agent refused it (a cluster).
    #[error("{0}")]
    Agent(String),
    /// The new duration is shorter than the current one.
    #[error("duration {asked} is shorter than the scenario's current duration {current}")]
    Shorter {
        /// The duration asked.
        asked: Duration,
        /// The scenario's current duration.
        current: Duration,
    },
}

impl Change {
    /// Checks the change against the scenario's executor; the first
    /// refused field wins.
    pub fn validate(&self, kind: ExecutorKind) -> Result<(), ChangeError> {
        use ExecutorKind as K;
        if *self == Change::default() {
            return Err(ChangeError::Empty);
        }
        let not_for = |field| {
            Err(ChangeError::NotFor {
                field,
                executor: kind,
            })
        };
        if let Some(rate) = self.rate {
            if kind != K::ConstantArrivalRate {
                return not_for(Field::Rate);
            }
            if rate <= 0 {
                return invalid(
                    Field::Rate,
                    "must be more than 0 (pause the scenario instead)",
                );
            }
        }
        if let Some(unit) = self.time_unit {
            if kind != K::ConstantArrivalRate {
                return not_for(Field::TimeUnit);
            }
            if self.rate.is_none() {
                return invalid(Field::TimeUnit, "needs a rate");
            }
            if unit.as_nanos() <= 0 {
                return invalid(Field::TimeUnit, "must be more than 0");
            }
        }
        if let Some(factor) = self.factor {
            if !matches!(
                kind,
                K::RampingArrivalRate | K::ConstantArrivalRate | K::RampingVus
            ) {
                return not_for(Field::Factor);
            }
            if self.rate.is_some() {
                return invalid(Field::Factor, "can't be given with a rate");
            }
            if !factor.is_finite() || !(1.0 / MAX_FACTOR..=MAX_FACTOR).contains(&factor) {
                return invalid(Field::Factor, "must be between 0.001 and 1000");
            }
        }
        if let Some(vus) = self.vus {
            if kind != K::ConstantVus {
                return not_for(Field::Vus);
            }
            if vus < 1 {
                return invalid(
                    Field::Vus,
                    "must be at least 1 (pause the scenario instead)",
                );
            }
        }
        if self.extend.is_some() || self.duration.is_some() {
            let field = if self.extend.is_some() {
                Field::Extend
            } else {
                Field::Duration
            };
            if !matches!(
                kind,
                K::ConstantVus | K::ConstantArrivalRate | K::RampingArrivalRate | K::RampingVus
            ) {
                return not_for(field);
            }
            if self.extend.is_some() && self.duration.is_some() {
                return invalid(Field::Extend, "can't be given with a duration");
            }
            if self.extend.is_some_and(|d| d.as_nanos() <= 0)
                || self.duration.is_some_and(|d| d.as_nanos() <= 0)
            {
                return invalid(field, "must be more than 0");
            }
        }
        Ok(())
    }

    /// The scenario's new regular end (from its start), given the current
    /// one, or why not.
    pub fn new_end(&self, current: Duration) -> Result<Duration, ChangeError> {
        match (self.extend, self.duration) {
            (Some(extend), _) => Ok(current + extend),
            (None, Some(asked)) if asked < current => Err(ChangeError::Shorter { asked, current }),
            (None, Some(asked)) => Ok(asked),
            (None, None) => Ok(current),
        }
    }

    /// A one-line description of what changed, as the summary prints it
    /// after `scenario s: `.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(rate) = self.rate {
            let unit = self.time_unit.unwrap_or(Duration::SECOND);
            parts.push(format!("rate {rate}/{}", unit_text(unit)));
        }
        if let Some(f) = self.factor {
            parts.push(format!("factor ×{f}"));
        }
        if let Some(vus) = self.vus {
            parts.push(format!("vus {vus}"));
        }
        match self.paused {
            Some(true) => parts.push("paused".into()),
            Some(false) => parts.push("resumed".into()),
            None => {}
        }
        if let Some(d) = self.extend {
            parts.push(format!("extended by {d}"));
        }
        if let Some(d) = self.duration {
            parts.push(format!("duration {d}"));
        }
        parts.join(", ")
    }
}

/// One applied change as the end-of-test summary prints it, e.g.
/// `scenario s: rate 100/s → 200/s at 3.2s`: the rate (per second) or the
/// VUs before and after when known, else what was asked; `at` is from the
/// scenario's start.
pub fn summary_line(
    scenario: &str,
    change: &Change,
    at: Duration,
    rate: Option<(f64, f64)>,
    vus: Option<(u64, u64)>,
) -> String {
    let mut parts = Vec::new();
    let rate_changed = change.rate.is_some() || change.factor.is_some();
    match rate {
        Some((before, after)) if rate_changed => {
            parts.push(format!("rate {}/s → {}/s", number(before), number(after)));
        }
        _ => {
            if let Some(r) = change.rate {
                let unit = change.time_unit.unwrap_or(Duration::SECOND);
                parts.push(format!("rate {r}/{}", unit_text(unit)));
            }
            if let Some(f) = change.factor {
                parts.push(format!("factor ×{f}"));
            }
        }
    }
    match (vus, change.vus) {
        (Some((before, after)), Some(_)) => parts.push(format!("vus {before} → {after}")),
        (None, Some(v)) => parts.push(format!("vus {v}")),
        _ => {}
    }
    let rest = Change {
        paused: change.paused,
        extend: change.extend,
        duration: change.duration,
        ..Change::default()
    };
    if rest != Change::default() {
        parts.push(rest.describe());
    }
    let at = Duration::from_millis(at.as_nanos() / 100_000_000 * 100);
    format!("scenario {scenario}: {} at {at}", parts.join(", "))
}

/// A rate as the summary shows it: whole, or with up to 2 decimals.
fn number(n: f64) -> String {
    let rounded = (n * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

/// `s` for a second, else k6's duration text.
fn unit_text(unit: Duration) -> String {
    if unit == Duration::SECOND {
        "s".into()
    } else {
        unit.to_string()
    }
}

fn invalid(field: Field, reason: &'static str) -> Result<(), ChangeError> {
    Err(ChangeError::Invalid { field, reason })
}

/// This instance's part of a whole-test VU count: the rule that split
/// `vus` at start (k6's `ScaleInt64`), so the parts of every segment sum
/// to `value`. (A rate needs no split: every instance starts the ticks
/// its stripe owns, as at start.)
pub fn part_of(tuple: &Tuple, value: i64) -> u64 {
    tuple.scale(value.max(0)).max(0) as u64
}

#[cfg(test)]
mod tests;
