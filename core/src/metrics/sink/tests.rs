//! Property tests: merging any split of a sample stream equals one sink
//! over the whole stream, and trend percentiles stay within the
//! histogram's bound of k6's exact definition.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;

use super::*;
use crate::metrics::histogram::MAX_RELATIVE_ERROR;

const KINDS: [MetricType; 4] = [
    MetricType::Counter,
    MetricType::Gauge,
    MetricType::Rate,
    MetricType::Trend,
];

fn at(i: usize) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + i as u64)
}

/// k6's percentile over sorted values: linear between closest ranks.
fn exact_percentile(sorted: &[f64], n: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        len => {
            let i = n / 100.0 * (len - 1) as f64;
            let (lo, hi) = (sorted[i.floor() as usize], sorted[i.ceil() as usize]);
            lo + (hi - lo) * (i - i.floor())
        }
    }
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        -1e6..1e6f64,
        (-12i32..9, 1.0..10.0f64).prop_map(|(e, m)| m * 10f64.powi(e)),
        (0u32..1000).prop_map(f64::from),
    ]
}

proptest! {
    #[test]
    fn any_split_merges_to_the_single_sink(
        values in prop::collection::vec(value(), 0..300),
        parts in prop::collection::vec(0usize..4, 300),
        reverse in any::<bool>(),
    ) {
        for kind in KINDS {
            let mut whole = Sink::new(kind);
            let mut split = vec![Sink::new(kind); 4];
            for (i, &v) in values.iter().enumerate() {
                whole.add(v, at(i));
                split[parts[i]].add(v, at(i));
            }
            if reverse {
                split.reverse();
            }
            let mut merged = Sink::new(kind);
            for s in &split {
                merged.merge(s).unwrap();
            }
            prop_assert_eq!(&merged, &whole);
            let d = Duration::from_secs(3);
            for stat in [Stat::Count, Stat::Rate, Stat::Value, Stat::Min, Stat::Max,
                         Stat::Avg, Stat::Med, Stat::Percentile(95.0), Stat::Passes] {
                let (a, b) = (merged.stat(stat, d), whole.stat(stat, d));
                prop_assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{:?} {:?}", kind, stat);
            }
            // The serialised delta merges the same way.
            let wire = serde_json::to_string(&split[0]).unwrap();
            let back: Sink = serde_json::from_str(&wire).unwrap();
            prop_assert_eq!(&back, &split[0]);
        }
    }

    #[test]
    fn trend_percentiles_are_within_the_bound(
        exps in prop::collection::vec((-6.0..7.0f64, any::<bool>()), 1..2000),
        negative in any::<bool>(),
    ) {
        // Log-uniform magnitudes from 1 ns to hours (in ms), one sign.
        let sign = if negative { -1.0 } else { 1.0 };
        let mut values: Vec<f64> = exps
            .iter()
            .map(|&(e, zero)| if zero && e > 6.5 { 0.0 } else { sign * 10f64.powf(e) })
            .collect();
        let mut t = TrendSink::default();
        values.iter().for_each(|&v| t.add(v));
        values.sort_by(f64::total_cmp);
        for n in [0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0] {
            let exact = exact_percentile(&values, n);
            let got = t.percentile(n);
            let err = if exact == 0.0 { got.abs() } else { ((got - exact) / exact).abs() };
            prop_assert!(err <= MAX_RELATIVE_ERROR * (1.0 + 1e-9), "p({}) {} vs {} ({})", n, got, exact, err);
        }
        prop_assert_eq!(t.min(), values[0]);
        prop_assert_eq!(t.max(), values[values.len() - 1]);
    }
}

#[test]
fn merge_refuses_other_types_and_take_leaves_empty() {
    let mut c = Sink::new(MetricType::Counter);
    c.add(2.0, at(0));
    let err = c.merge(&Sink::new(MetricType::Trend)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot merge a trend sink into a counter sink"
    );
    let delta = c.take();
    assert!(c.is_empty() && !delta.is_empty());
    assert_eq!(delta.stat(Stat::Count, Duration::from_secs(1)), Some(2.0));
    assert_eq!(
        delta.stat(Stat::Rate, Duration::from_millis(500)),
        Some(4.0)
    );
    assert_eq!(delta.stat(Stat::Avg, Duration::from_secs(1)), None);
    assert_eq!(
        Sink::new(MetricType::Rate).stat(Stat::Rate, Duration::ZERO),
        None
    );
}

#[test]
fn trend_memory_does_not_grow_with_samples() {
    let mut t = TrendSink::default();
    t.add(0.1);
    t.add(10_000.1);
    let mut x = 0.1f64;
    // 0.1 ms .. 10 s is 17 octaves of 128 u64 counters, plus their index.
    let bound = 18 * 128 * 8 + 32 * 16;
    for _ in 0..5 {
        for _ in 0..200_000 {
            x = (x * 1.618_033_988_7 + 0.37) % 10_000.0;
            t.add(x + 0.1);
        }
        let bytes = t.histogram().heap_bytes();
        assert!(bytes <= bound, "{bytes}");
    }
    assert_eq!(t.histogram().count(), 1_000_002);
}

/// A trend off the wire (an agent's delta) may say anything, such as a
/// minimum above its maximum: its percentiles then stay between the two
/// instead of panicking in `f64::clamp`.
#[test]
fn percentiles_of_inconsistent_wire_trends_do_not_panic() {
    let wire = r#"{"type":"trend","count":3,"min":3.0,"max":1.0,
        "sum":{"partials":[6.0],"special":0.0},
        "hist":{"zero":0,"pos":[[131072,1],[131200,1],[131328,1]],"neg":[]}}"#;
    let sink: Sink = serde_json::from_str(wire).unwrap();
    let median = sink.stat(Stat::Percentile(50.0), Duration::from_secs(1));
    assert!(
        median.is_some_and(|m| (1.0..=3.0).contains(&m)),
        "{median:?}"
    );
}
