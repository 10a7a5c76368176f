use super::*;
use crate::options::Stage;
use crate::plan::{ConstantSchedule, RampingSchedule};
use crate::segment::{Segment, Sequence};

fn constant(rate: i64, secs: i64, tuple: Tuple) -> LiveSchedule {
    LiveSchedule::of(&Work::ConstantArrivalRate {
        pre_allocated_vus: 1,
        max_vus: 1,
        schedule: ConstantSchedule::new(
            rate,
            Duration::SECOND,
            Duration::from_secs(secs),
            Some(tuple),
        ),
    })
    .unwrap()
}

fn ms(t: &Tick) -> i64 {
    t.offset.as_nanos() / 1_000_000
}

fn drain(s: &mut LiveSchedule) -> Vec<Tick> {
    std::iter::from_fn(|| s.next_tick()).collect()
}

/// The ticks before `at`, and the first one at or after it (not started).
fn until(s: &mut LiveSchedule, at: Duration) -> (Vec<Tick>, Option<Tick>) {
    let mut before = Vec::new();
    loop {
        match s.next_tick() {
            Some(t) if t.offset < at => before.push(t),
            other => return (before, other),
        }
    }
}

fn rate(r: i64) -> Change {
    Change {
        rate: Some(r),
        ..Change::default()
    }
}

#[test]
fn unchanged_it_is_k6s_schedule() {
    let mut live = constant(10, 1, Tuple::full());
    let old = ConstantSchedule::new(10, Duration::SECOND, Duration::SECOND, Some(Tuple::full()));
    assert_eq!(drain(&mut live), old.ticks().collect::<Vec<_>>());
    let stages = [Stage::new(Duration::from_secs(2), 10)];
    let schedule = RampingSchedule::new(0, Duration::SECOND, &stages, Some(Tuple::full()));
    let mut live = LiveSchedule::of(&Work::RampingArrivalRate {
        pre_allocated_vus: 1,
        max_vus: 1,
        schedule: schedule.clone(),
    })
    .unwrap();
    assert_eq!(drain(&mut live), schedule.ticks().collect::<Vec<_>>());
}

#[test]
fn a_new_rate_starts_where_the_old_one_left_no_burst_no_gap() {
    let mut live = constant(10, 2, Tuple::full());
    let mut ticks = Vec::new();
    let pending = loop {
        let t = live.next_tick().unwrap();
        if t.offset >= Duration::SECOND {
            break t;
        }
        ticks.push(t);
    };
    assert_eq!(ticks.len(), 10);
    live.apply(Duration::SECOND, &rate(20), Some(pending))
        .unwrap();
    let after = drain(&mut live);
    assert_eq!(after[0].global, 10);
    assert_eq!(ms(&after[0]), 1000);
    assert_eq!(ms(&after[1]), 1050);
    assert_eq!(after.len(), 21);
    assert_eq!(
        live.rate_per_second(Duration::from_millis(1500)).round(),
        20.0
    );
}

#[test]
fn instances_split_a_change_as_they_split_the_start() {
    let seq = Sequence::parse("0,1/4,1").unwrap();
    let tuples: Vec<Tuple> = seq
        .segments()
        .iter()
        .map(|s: &Segment| Tuple::new(Some(s), Some(&seq)).unwrap())
        .collect();
    let run = |tuple: Tuple| {
        let mut live = constant(100, 2, tuple);
        let mut before = Vec::new();
        let pending = loop {
            match live.next_tick() {
                Some(t) if t.offset < Duration::from_millis(700) => before.push(t.global),
                other => break other,
            }
        };
        live.apply(Duration::from_millis(700), &rate(300), pending)
            .unwrap();
        before.extend(drain(&mut live).iter().map(|t| t.global));
        before
    };
    let mut all: Vec<i64> = tuples.into_iter().flat_map(run).collect();
    all.sort();
    let whole = run(Tuple::full());
    assert_eq!(all, whole);
    // 70 before, 300/s for 1.3 s after (+ the tick at the end).
    assert_eq!(whole.len(), 70 + 390 + 1);
}

#[test]
fn a_pause_stops_the_ticks_and_a_resume_goes_on_at_the_rate_then() {
    let mut live = constant(10, 3, Tuple::full());
    let pause = Change {
        paused: Some(true),
        ..Change::default()
    };
    let (mut ticks, pending) = until(&mut live, Duration::from_millis(500));
    live.apply(Duration::from_millis(500), &pause, pending)
        .unwrap();
    ticks.extend(drain(&mut live));
    assert!(ticks.iter().all(|t| t.offset <= Duration::from_millis(500)));
    assert!(live.paused());
    let resume = Change {
        paused: Some(false),
        ..Change::default()
    };
    live.apply(Duration::from_secs(2), &resume, None).unwrap();
    ticks.extend(drain(&mut live));
    // 0..=500 ms, then a period after the resume (the pause came on a
    // tick: a whole period was still to go).
    let after: Vec<i64> = ticks.iter().skip(6).map(ms).collect();
    assert_eq!(after[0], 2100);
    assert_eq!(after.len(), 10);
    assert!(ticks.windows(2).all(|w| w[0].global + 1 == w[1].global));
}

#[test]
fn a_factor_scales_the_remaining_targets_and_extend_holds_the_last() {
    let stages = [Stage::new(Duration::from_secs(2), 100)];
    let schedule = RampingSchedule::new(100, Duration::SECOND, &stages, Some(Tuple::full()));
    let mut live = LiveSchedule::of(&Work::RampingArrivalRate {
        pre_allocated_vus: 1,
        max_vus: 1,
        schedule,
    })
    .unwrap();
    let change = Change {
        factor: Some(2.0),
        extend: Some(Duration::SECOND),
        ..Change::default()
    };
    let (before, pending) = until(&mut live, Duration::SECOND);
    live.apply(Duration::SECOND, &change, pending).unwrap();
    assert_eq!(live.end(), Duration::from_secs(3));
    assert_eq!(
        live.rate_per_second(Duration::from_millis(1500)).round(),
        200.0
    );
    assert_eq!(
        live.rate_per_second(Duration::from_millis(2500)).round(),
        200.0
    );
    let n = before.len() + drain(&mut live).len();
    assert_eq!(n, 100 + 200 + 200);
}
