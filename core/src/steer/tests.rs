use super::*;
use crate::segment::{Segment, Sequence};

fn change() -> Change {
    Change::default()
}

#[test]
fn each_field_is_refused_where_it_does_not_apply() {
    let rate = Change {
        rate: Some(10),
        ..change()
    };
    assert_eq!(
        rate.validate(ExecutorKind::ConstantVus)
            .unwrap_err()
            .to_string(),
        "rate can't be changed for the constant-vus executor"
    );
    assert!(rate.validate(ExecutorKind::ConstantArrivalRate).is_ok());
    let vus = Change {
        vus: Some(0),
        ..change()
    };
    assert_eq!(
        vus.validate(ExecutorKind::ConstantVus)
            .unwrap_err()
            .to_string(),
        "vus must be at least 1 (pause the scenario instead)"
    );
    let paused = Change {
        paused: Some(true),
        ..change()
    };
    for kind in ExecutorKind::ALL {
        assert!(paused.validate(kind).is_ok(), "{kind}");
    }
    assert_eq!(
        change().validate(ExecutorKind::RampingVus),
        Err(ChangeError::Empty)
    );
    let factor = Change {
        factor: Some(0.0),
        ..change()
    };
    assert_eq!(
        factor
            .validate(ExecutorKind::RampingArrivalRate)
            .unwrap_err()
            .to_string(),
        "factor must be between 0.001 and 1000"
    );
    let factor = Change {
        factor: Some(2.0),
        ..change()
    };
    assert!(factor.validate(ExecutorKind::RampingVus).is_ok());
    assert_eq!(
        factor
            .validate(ExecutorKind::ConstantVus)
            .unwrap_err()
            .to_string(),
        "factor can't be changed for the constant-vus executor"
    );
}

#[test]
fn extend_and_duration_apply_to_the_time_based_executors() {
    let extend = Change {
        extend: Some(Duration::from_secs(5)),
        ..change()
    };
    let duration = Change {
        duration: Some(Duration::from_secs(60)),
        ..change()
    };
    use ExecutorKind as K;
    for kind in [
        K::ConstantVus,
        K::ConstantArrivalRate,
        K::RampingArrivalRate,
        K::RampingVus,
    ] {
        assert!(extend.validate(kind).is_ok(), "{kind}");
        assert!(duration.validate(kind).is_ok(), "{kind}");
    }
    assert_eq!(
        extend
            .validate(K::SharedIterations)
            .unwrap_err()
            .to_string(),
        "extend can't be changed for the shared-iterations executor"
    );
    assert_eq!(
        duration
            .validate(K::PerVuIterations)
            .unwrap_err()
            .to_string(),
        "duration can't be changed for the per-vu-iterations executor"
    );
}

#[test]
fn duration_only_lengthens() {
    let c = Change {
        duration: Some(Duration::from_secs(5)),
        ..change()
    };
    assert!(c.new_end(Duration::from_secs(10)).is_err());
    assert_eq!(
        c.new_end(Duration::from_secs(3)),
        Ok(Duration::from_secs(5))
    );
    let c = Change {
        extend: Some(Duration::from_secs(5)),
        ..change()
    };
    assert_eq!(
        c.new_end(Duration::from_secs(3)),
        Ok(Duration::from_secs(8))
    );
}

#[test]
fn parts_sum_to_the_whole_with_weights() {
    let seq = Sequence::parse("0,1/4,1").unwrap();
    let tuples: Vec<Tuple> = seq
        .segments()
        .iter()
        .map(|s: &Segment| Tuple::new(Some(s), Some(&seq)).unwrap())
        .collect();
    for vus in [1, 7, 100, 101] {
        let sum: u64 = tuples.iter().map(|t| part_of(t, vus)).sum();
        assert_eq!(sum, vus as u64);
    }
}

#[test]
fn the_summary_line_says_before_and_after() {
    let change = Change {
        rate: Some(200),
        ..Change::default()
    };
    assert_eq!(
        summary_line(
            "s",
            &change,
            Duration::from_millis(3_249),
            Some((100.0, 200.0)),
            None
        ),
        "scenario s: rate 100/s → 200/s at 3.2s"
    );
    let change = Change {
        vus: Some(5),
        paused: Some(true),
        ..Change::default()
    };
    assert_eq!(
        summary_line("cv", &change, Duration::from_secs(2), None, Some((2, 5))),
        "scenario cv: vus 2 → 5, paused at 2s"
    );
}
