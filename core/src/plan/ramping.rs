//! ramping-vus: when each of this instance's VUs starts and stops.
//!
//! Every instance walks the *global* VU numbers that belong to its segment
//! (the segmented index) and starts or stops each of them at the time the
//! unsegmented test would, so the instances of a sequence add up to the
//! whole ramp. Two step lists come out: the raw one (when VUs are started
//! and asked to stop gracefully) and the graceful one (how long VUs stay
//! reserved, which is when ramped-down VUs are hard-stopped).

use super::Step;
use crate::duration::Duration;
use crate::options::{RampingVusConfig, Stage};
use crate::segment::Tuple;

/// `duration × numerator / denominator`, truncated toward zero as Go's
/// integer division is; in 128 bits so no stage length overflows.
fn fraction(duration: Duration, numerator: i64, denominator: i64) -> Duration {
    let v = i128::from(duration.as_nanos()) * i128::from(numerator) / i128::from(denominator);
    Duration::from_nanos(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// The raw steps of §2.4: `(offset, planned VUs)` relative to the scenario
/// start, without a closing zero step.
pub(crate) fn raw_steps(config: &RampingVusConfig, tuple: &Tuple) -> Vec<Step> {
    let mut index = tuple.index();
    let mut from = config.start_vus();
    let (mut scaled, mut unscaled) = index.go_to(from);
    let mut steps = vec![Step::vus(Duration::ZERO, scaled.max(0) as u64)];
    let add = |steps: &mut Vec<Step>, offset: Duration, vus: i64| {
        let vus = vus.max(0) as u64;
        if steps.last().is_some_and(|s| s.planned_vus != vus) {
            steps.push(Step::vus(offset, vus));
        }
    };
    let mut till_end = Duration::ZERO;
    for Stage { duration, target } in config.stages() {
        let (stage_duration, target) = (duration.unwrap_or_default(), target.unwrap_or_default());
        till_end = till_end + stage_duration;
        let diff = target - from;
        if diff == 0 {
            continue;
        }
        if stage_duration.is_zero() {
            (scaled, unscaled) = index.go_to(target);
            add(&mut steps, till_end, scaled);
            from = target;
            continue;
        }
        // The index may sit one element past the last VU of the previous
        // stage (k6's walk leaves it there); both branches start from the
        // current position, exactly as k6 does, and duplicates are dropped.
        if unscaled > target {
            while unscaled > target {
                let at = till_end - fraction(stage_duration, target - unscaled + 1, diff);
                add(&mut steps, at, scaled - 1);
                (scaled, unscaled) = index.prev();
            }
        } else {
            while unscaled <= target {
                let at = till_end - fraction(stage_duration, target - unscaled, diff);
                add(&mut steps, at, scaled);
                (scaled, unscaled) = index.next();
            }
        }
        from = target;
    }
    steps
}

/// The graceful ramp-down reservation of §2.4: a VU asked to stop stays
/// reserved for `graceful_ramp_down`, unless the ramp rises again to at
/// least the reserved count within that window (the dip is absorbed).
/// `end` is the scenario's hard end (stages + gracefulStop).
pub(crate) fn graceful_steps(
    raw: &[Step],
    graceful_ramp_down: Duration,
    end: Duration,
) -> Vec<Step> {
    let Some(first) = raw.first() else {
        return Vec::new();
    };
    let mut out = vec![*first];
    let mut last = first.planned_vus;
    let mut lookahead = 0;
    let mut i = 1;
    while i < raw.len() {
        let step = raw[i];
        if step.planned_vus >= last {
            if step.planned_vus > last {
                out.push(step);
                last = step.planned_vus;
            }
            i += 1;
            continue;
        }
        let reserved_until = step.offset + graceful_ramp_down;
        // Remember how far down the slope we already looked (k6 does the
        // same, and it keeps this linear).
        lookahead = lookahead.max(i);
        let mut jumped = false;
        while lookahead < raw.len() {
            let ahead = raw[lookahead];
            if ahead.offset > reserved_until {
                break;
            }
            if ahead.planned_vus >= last {
                i = lookahead;
                jumped = true;
                break;
            }
            lookahead += 1;
        }
        if jumped {
            continue;
        }
        if reserved_until >= end {
            break;
        }
        out.push(Step::vus(reserved_until, step.planned_vus));
        last = step.planned_vus;
        i += 1;
    }
    out
}

/// The execution requirements of a ramping-vus scenario: the graceful
/// steps (or the raw ones without a ramp-down window), closed by a zero
/// step at `end` unless they already end at zero.
pub(crate) fn requirements(raw: &[Step], graceful_ramp_down: Duration, end: Duration) -> Vec<Step> {
    let mut steps = if graceful_ramp_down.as_nanos() > 0 {
        graceful_steps(raw, graceful_ramp_down, end)
    } else {
        raw.to_vec()
    };
    if steps.last().is_some_and(|s| s.planned_vus != 0) {
        steps.push(Step::vus(end, 0));
    }
    steps
}

/// The end of `c`'s stages.
pub(crate) fn stages_end(c: &RampingVusConfig) -> Duration {
    c.stages().iter().fold(Duration::ZERO, |acc, s| {
        acc + s.duration.unwrap_or_default()
    })
}

/// A scenario's raw steps as the executor follows them (closed by a zero
/// at `stages_end`; its last step is the regular end) and its
/// requirements (the graceful steps, ending `graceful_stop` after the
/// stages at the latest).
pub(crate) fn close(
    mut raw: Vec<Step>,
    stages_end: Duration,
    graceful_ramp_down: Duration,
    graceful_stop: Duration,
) -> (Vec<Step>, Vec<Step>) {
    let steps = requirements(&raw, graceful_ramp_down, stages_end + graceful_stop);
    if raw.last().is_some_and(|s| s.planned_vus != 0) {
        raw.push(Step::vus(stages_end, 0));
    }
    (raw, steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(start: i64, stages: &[(i64, i64)]) -> RampingVusConfig {
        RampingVusConfig {
            start_vus: Some(start),
            unset_vus: 1,
            stages: Some(
                stages
                    .iter()
                    .map(|(secs, target)| Stage::new(Duration::from_secs(*secs), *target))
                    .collect(),
            ),
            graceful_ramp_down: None,
        }
    }

    fn pairs(steps: &[Step]) -> Vec<(i64, u64)> {
        steps
            .iter()
            .map(|s| (s.offset.as_nanos() / 1_000_000, s.planned_vus))
            .collect()
    }

    #[test]
    fn raw_steps_match_k6_vectors() {
        let full = Tuple::full();
        assert_eq!(
            pairs(&raw_steps(
                &config(0, &[(2, 2), (2, 0), (2, 2), (2, 0)]),
                &full
            )),
            [
                (0, 0),
                (1000, 1),
                (2000, 2),
                (3000, 1),
                (4000, 0),
                (5000, 1),
                (6000, 2),
                (7000, 1),
                (8000, 0)
            ]
        );
        assert_eq!(
            pairs(&raw_steps(&config(2, &[(0, 5), (2, 3)]), &full)),
            [(0, 2), (0, 5), (1000, 4), (2000, 3)]
        );
        assert_eq!(
            pairs(&raw_steps(&config(3, &[(2, 5)]), &full)),
            [(0, 3), (1000, 4), (2000, 5)]
        );
    }

    #[test]
    fn graceful_dip_is_absorbed_and_window_is_capped() {
        let full = Tuple::full();
        // 0→10→0 over 10s each; with 30s ramp-down and 30s gracefulStop
        // every stop is reserved past the end: one step up, then the end.
        let raw = raw_steps(&config(0, &[(10, 10), (10, 0)]), &full);
        let req = requirements(&raw, Duration::from_secs(30), Duration::from_secs(50));
        assert_eq!(req.last().unwrap().offset, Duration::from_secs(50));
        assert_eq!(req.iter().map(|s| s.planned_vus).max(), Some(10));
        // A dip from 2 to 1 that rises back within the window is absorbed.
        let raw = raw_steps(&config(2, &[(1, 1), (1, 2), (1, 0)]), &full);
        let req = requirements(&raw, Duration::from_secs(5), Duration::from_secs(33));
        assert_eq!(pairs(&req)[..1], [(0, 2)]);
        assert!(req
            .iter()
            .skip(1)
            .all(|s| s.planned_vus == 0 || s.offset >= Duration::from_secs(2)));
    }

    #[test]
    fn trailing_zero_stages_do_not_extend_the_plan() {
        // Observed with k6 inspect: totalDuration 2s (gracefulRampDown 1s),
        // 1s (gracefulRampDown 0).
        let c = config(2, &[(1, 2), (0, 0), (4, 0)]);
        let raw = raw_steps(&c, &Tuple::full());
        let end = Duration::from_secs(15);
        assert_eq!(
            requirements(&raw, Duration::SECOND, end)
                .last()
                .unwrap()
                .offset,
            Duration::from_secs(2)
        );
        assert_eq!(
            requirements(&raw, Duration::ZERO, end)
                .last()
                .unwrap()
                .offset,
            Duration::SECOND
        );
    }
}
