//! Property tests: random sequences with small denominators.

use std::collections::BTreeSet;

use num_rational::Ratio;
use proptest::prelude::*;

use super::*;

/// Cut points strictly inside (0, 1) as reduced `num/den` texts, sorted.
fn cuts(max_points: usize) -> impl Strategy<Value = Vec<Ratio<i64>>> {
    prop::collection::vec(
        (1_i64..=12).prop_flat_map(|den| (1..den.max(2), Just(den))),
        0..=max_points,
    )
    .prop_map(|pairs| {
        let set: BTreeSet<Ratio<i64>> = pairs
            .into_iter()
            .map(|(num, den)| Ratio::new(num, den))
            .filter(|r| *r > Ratio::from_integer(0) && *r < Ratio::from_integer(1))
            .collect();
        set.into_iter().collect()
    })
}

/// A full sequence `0,cuts…,1`.
fn full_sequence() -> impl Strategy<Value = Sequence> {
    cuts(6).prop_map(|cuts| {
        let mut points = vec!["0".to_owned()];
        points.extend(cuts.iter().map(ToString::to_string));
        points.push("1".to_owned());
        Sequence::parse(&points.join(",")).unwrap()
    })
}

fn tuples(sequence: &Sequence) -> Vec<Tuple> {
    sequence
        .segments()
        .iter()
        .map(|s| Tuple::new(Some(s), Some(sequence)).unwrap())
        .collect()
}

/// k6's own `O(LCD × segments)` loop, verbatim, as a reference for the heap
/// version: returns `(start, offsets)` per segment.
fn k6_striping(tuple: &Tuple) -> Vec<(i64, Vec<i64>)> {
    let lcd = tuple.lcd();
    let shares: Vec<i64> = tuple
        .sequence()
        .iter()
        .map(|s| {
            let (from, to) = s.bounds();
            let length = to - from;
            length.numer() * (lcd / length.denom())
        })
        .collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].cmp(&shares[a])); // stable
    let mut chosen = vec![0_i64; shares.len()];
    let mut indexes: Vec<Vec<i64>> = vec![Vec::new(); shares.len()];
    for i in 0..lcd {
        for (rank, &s) in order.iter().enumerate() {
            let (num, den) = (chosen[rank] * lcd, shares[s]);
            if i > num / den || (i == num / den && num % den == 0) {
                chosen[rank] += 1;
                indexes[s].push(i);
                break;
            }
        }
    }
    indexes
        .into_iter()
        .map(|ix| {
            let mut offsets: Vec<i64> = ix.windows(2).map(|w| w[1] - w[0]).collect();
            offsets.push(ix[0] + lcd - ix[ix.len() - 1]);
            (ix[0], offsets)
        })
        .collect()
}

proptest! {
    #[test]
    fn striping_matches_k6s_loop(sequence in full_sequence()) {
        let all = tuples(&sequence);
        let reference = k6_striping(&all[0]);
        for (tuple, (start, offsets)) in all.iter().zip(&reference) {
            prop_assert_eq!(tuple.start(), *start);
            prop_assert_eq!(tuple.offsets(), &offsets[..]);
            prop_assert_eq!(tuple.offsets().iter().sum::<i64>(), tuple.lcd());
        }
    }

    #[test]
    fn scales_partition_every_value(sequence in full_sequence(), value in 0_i64..400) {
        let all = tuples(&sequence);
        let total: i64 = all.iter().map(|t| t.scale(value)).sum();
        prop_assert_eq!(total, value);
        for tuple in &all {
            let owned = (0..value).filter(|&g| tuple.owns(g)).count() as i64;
            prop_assert_eq!(tuple.scale(value), owned);
            prop_assert!(tuple.scale(value) <= tuple.scale(value + 1));
        }
        let lcd = all[0].lcd();
        for g in 0..2 * lcd + 3 {
            prop_assert_eq!(all.iter().filter(|t| t.owns(g)).count(), 1, "index {}", g);
        }
    }

    #[test]
    fn indexes_agree_with_ownership(sequence in full_sequence(), value in 0_i64..200) {
        for tuple in tuples(&sequence) {
            let globals: Vec<i64> = tuple.global_indexes().take(50).collect();
            prop_assert!(globals.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(globals.iter().all(|&g| tuple.owns(g)));
            let expected: Vec<i64> = (0..globals[49] + 1).filter(|&g| tuple.owns(g)).collect();
            prop_assert_eq!(&globals, &expected);

            let mut index = tuple.index();
            for (k, &g) in globals.iter().enumerate() {
                prop_assert_eq!(index.next(), (k as i64 + 1, g + 1));
            }
            for k in (0..globals.len() - 1).rev() {
                prop_assert_eq!(index.prev(), (k as i64 + 1, globals[k] + 1));
            }
            let (scaled, unscaled) = index.go_to(value);
            prop_assert_eq!(scaled, tuple.scale(value));
            let last = (0..value).rev().find(|&g| tuple.owns(g)).map_or(0, |g| g + 1);
            prop_assert_eq!(unscaled, last);
        }
    }

    #[test]
    fn resegmenting_partitions_the_same_way(
        sequence in full_sequence(),
        value in 1_i64..120,
        probe in 0_i64..300,
    ) {
        let all = tuples(&sequence);
        let re: Vec<Option<Tuple>> = all.iter().map(|t| t.resegment(value)).collect();
        for (tuple, new) in all.iter().zip(&re) {
            let share = tuple.scale(value);
            prop_assert_eq!(new.is_some(), share > 0);
            if let Some(new) = new {
                // the new length is the VU share
                let (from, to) = new.segment().bounds();
                prop_assert_eq!(to - from, Ratio::new(share, value));
                // a multiple of the LCD keeps the tuple
                if value % tuple.lcd() == 0 {
                    prop_assert_eq!(new.segment(), tuple.segment());
                }
            }
        }
        let present: Vec<&Tuple> = re.iter().flatten().collect();
        for new in &present {
            prop_assert_eq!(new.sequence(), present[0].sequence());
        }
        prop_assert_eq!(present.iter().map(|t| t.scale(probe)).sum::<i64>(), probe);
        for g in 0..2 * present[0].lcd() + 3 {
            prop_assert_eq!(present.iter().filter(|t| t.owns(g)).count(), 1);
        }
    }

    /// A partial sequence stripes like its filled version.
    #[test]
    fn partial_sequences_are_filled(cuts in cuts(5).prop_filter("two points", |c| c.len() >= 2)) {
        let text: Vec<String> = cuts.iter().map(ToString::to_string).collect();
        let partial = Sequence::parse(&text.join(",")).unwrap();
        let filled = Sequence::parse(&format!("0,{},1", text.join(","))).unwrap();
        for segment in partial.segments() {
            let a = Tuple::new(Some(segment), Some(&partial)).unwrap();
            let b = Tuple::new(Some(segment), Some(&filled)).unwrap();
            prop_assert_eq!(a.sequence(), b.sequence());
            prop_assert_eq!((a.lcd(), a.start(), a.offsets()), (b.lcd(), b.start(), b.offsets()));
        }
    }

    #[test]
    fn display_round_trips(sequence in full_sequence()) {
        prop_assert_eq!(&Sequence::parse(&sequence.to_string()).unwrap(), &sequence);
        for segment in sequence.segments() {
            prop_assert_eq!(&Segment::parse(&segment.to_string()).unwrap(), segment);
        }
    }

    /// Nothing panics or hangs, whatever the text.
    #[test]
    fn any_text_is_safe(
        text in "[-+0-9./:%_eEpPxXbBoO, a]{0,24}",
        value in any::<i64>(),
    ) {
        let segment = Segment::parse(&text).ok();
        let sequence = Sequence::parse(&text).ok();
        for (seg, seq) in [(segment.as_ref(), None), (None, sequence.as_ref()), (segment.as_ref(), sequence.as_ref())] {
            if let Ok(tuple) = Tuple::new(seg, seq) {
                let _ = tuple.scale(value);
                let _ = tuple.owns(value);
                let _ = tuple.resegment(value.rem_euclid(1000));
                let mut index = tuple.index();
                let _ = index.go_to(value);
                let _ = index.next();
                let _ = index.prev();
                let _ = tuple.global_indexes().take(3).count();
            }
        }
    }
}
