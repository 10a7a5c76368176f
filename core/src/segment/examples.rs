//! The spec's worked examples (§3.1, §3.4, §3.6) through the public API.

use super::*;

fn seg(text: &str) -> Segment {
    Segment::parse(text).unwrap()
}

/// The tuple of `segment` inside `sequence`.
fn tuple(segment: &str, sequence: &str) -> Tuple {
    Tuple::new(
        Some(&seg(segment)),
        Some(&Sequence::parse(sequence).unwrap()),
    )
    .unwrap()
}

/// One tuple per segment of a full sequence.
fn all(sequence: &str) -> Vec<Tuple> {
    let parsed = Sequence::parse(sequence).unwrap();
    parsed
        .segments()
        .iter()
        .map(|s| Tuple::new(Some(s), Some(&parsed)).unwrap())
        .collect()
}

fn thirds() -> Vec<Tuple> {
    all("0,1/3,2/3,1")
}

fn scales(tuple: &Tuple, values: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    values.map(|v| tuple.scale(v)).collect()
}

fn firsts(tuple: &Tuple, count: usize) -> Vec<i64> {
    tuple.global_indexes().take(count).collect()
}

fn sequence_of(tuple: &Tuple) -> String {
    let points: Vec<String> = std::iter::once("0".to_owned())
        .chain(tuple.sequence().iter().map(|s| s.bounds().1.to_string()))
        .collect();
    points.join(",")
}

/// VU ids of the first `vus` VUs of an instance: `(local __VU, global idInTest)`.
fn vu_ids(tuple: &Tuple, vus: i64) -> Vec<(i64, i64)> {
    let mut index = tuple.index();
    (0..tuple.scale(vus)).map(|_| index.next()).collect()
}

#[test]
fn tuple_basics() {
    let full = Tuple::full();
    assert!(full.segment().is_full());
    assert_eq!((full.lcd(), full.start(), full.offsets()), (1, 0, &[1][..]));
    assert_eq!(full.scale(17), 17);
    assert!(full.owns(0) && full.owns(12345) && !full.owns(-1));
    assert_eq!(firsts(&full, 3), [0, 1, 2]);
    let none = Tuple::new(None, None).unwrap();
    assert_eq!(
        (none.sequence(), none.segment_index()),
        (full.sequence(), 0)
    );
    assert!(Tuple::new(Some(&Segment::full()), None)
        .unwrap()
        .segment()
        .is_full());

    let middle = tuple("1/3:2/3", "0,1/3,2/3,1");
    assert_eq!(middle.segment().to_string(), "1/3:2/3");
    assert_eq!(middle.segment_index(), 1);
    assert_eq!(
        (middle.lcd(), middle.start(), middle.offsets()),
        (3, 1, &[3][..])
    );
    assert_eq!(middle.to_string(), "1/3:2/3 in 0,1/3,2/3,1");
    assert!(format!("{middle:?}").contains("lcd: 3"));

    // a segment alone is filled around (§3.2)
    let alone = Tuple::new(Some(&seg("1/3:2/3")), None).unwrap();
    assert_eq!(sequence_of(&alone), "0,1/3,2/3,1");
    assert_eq!(alone.segment_index(), 1);
    let first = Tuple::new(Some(&seg("1/3")), None).unwrap();
    assert_eq!(sequence_of(&first), "0,1/3,1");
    assert_eq!((first.start(), first.offsets()), (1, &[3][..]));
    // a partial sequence is filled too; the segment may be any of its own
    let partial = tuple("1/3:2/3", "1/3,2/3");
    assert_eq!(sequence_of(&partial), "0,1/3,2/3,1");
    assert_eq!(partial.segment_index(), 1);
}

/// The "can't be found" rows of §3.1.
#[test]
fn segment_not_in_sequence() {
    let thirds = Sequence::parse("0,1/3,2/3,1").unwrap();
    let err = |segment: Option<&str>, sequence: &Sequence| {
        let segment = segment.map(seg);
        Tuple::new(segment.as_ref(), Some(sequence)).unwrap_err()
    };
    assert_eq!(
        err(None, &thirds).to_string(),
        "provided segment 0:1 can't be found in sequence 0,1/3,2/3,1"
    );
    assert_eq!(
        err(Some("1/3:1/2"), &thirds).to_string(),
        "provided segment 1/3:1/2 can't be found in sequence 0,1/3,2/3,1"
    );
    assert_eq!(
        err(Some("1/3:1/2"), &thirds),
        SegmentError::NotInSequence {
            segment: seg("1/3:1/2"),
            sequence: thirds.clone()
        }
    );
    // only the given segments count, not the filled-in edges (observed)
    let partial = Sequence::parse("1/3,2/3").unwrap();
    assert_eq!(
        err(Some("0:1/3"), &partial).to_string(),
        "provided segment 0:1/3 can't be found in sequence 1/3,2/3"
    );
    // an explicitly empty sequence matches nothing (observed with k6 v1.1.0)
    let empty = Sequence::parse("").unwrap();
    assert_eq!(
        err(None, &empty).to_string(),
        "provided segment 0:1 can't be found in sequence "
    );
    // equal values match whatever their spelling
    assert!(Tuple::new(Some(&seg("2/6:0.666666")), Some(&thirds)).is_err());
    assert!(Tuple::new(Some(&seg("2/6:4/6")), Some(&thirds)).is_ok());
    // k6r's own limit
    let err = Tuple::new(Some(&seg("0:1/10000019")), None).unwrap_err();
    assert!(matches!(err, SegmentError::LcdTooLarge { .. }));
}

/// The ScaleInt64 tables of §3.4 (values 1..=12).
#[test]
fn scale_tables() {
    let t = thirds();
    assert_eq!(scales(&t[0], 1..=12), [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    assert_eq!(scales(&t[1], 1..=12), [0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]);
    assert_eq!(scales(&t[2], 1..=12), [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
    let q = all("0,1/2,3/4,1");
    assert_eq!(scales(&q[0], 1..=12), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    assert_eq!(scales(&q[1], 1..=12), [0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    assert_eq!(scales(&q[2], 1..=12), [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3]);
    for tuple in t.iter().chain(&q) {
        assert_eq!(tuple.scale(0), 0);
    }
}

/// The re-segmentation examples of §3.4.
#[test]
fn resegmentation() {
    let t = thirds();
    let by = |value: i64| sequence_of(&t[0].resegment(value).unwrap());
    assert_eq!(by(20), "0,7/20,7/10,1");
    assert_eq!(by(10), "0,2/5,7/10,1");
    assert_eq!(by(2), "0,1/2,1");
    assert_eq!(by(4), "0,1/2,3/4,1");
    assert_eq!(by(3), "0,1/3,2/3,1");
    assert_eq!(by(30), "0,1/3,2/3,1");
    // our segment is tracked
    let middle = t[1].resegment(20).unwrap();
    assert_eq!(middle.segment().to_string(), "7/20:7/10");
    assert_eq!(middle.segment_index(), 1);
    // dropped segments: the third gets nothing of 2 VUs
    assert!(t[2].resegment(2).is_none());
    assert_eq!(t[1].resegment(2).unwrap().segment().to_string(), "1/2:1");
    assert!(t[1].resegment(1).is_none());
    assert_eq!(t[0].resegment(1).unwrap().segment().to_string(), "0:1");
    // values below 1 give no tuple (k6: "cannot generate new sequence")
    assert!(t[0].resegment(0).is_none());
    assert!(t[0].resegment(-3).is_none());
    // unsegmented stays unsegmented
    assert!(Tuple::full().resegment(7).unwrap().segment().is_full());
}

/// §3.6 example 1: 10 VUs in thirds.
#[test]
fn example_1_ten_vus_in_thirds() {
    let t = thirds();
    assert_eq!(t.iter().map(|t| t.scale(10)).collect::<Vec<_>>(), [4, 3, 3]);
    assert_eq!(vu_ids(&t[0], 10), [(1, 1), (2, 4), (3, 7), (4, 10)]);
    assert_eq!(vu_ids(&t[1], 10), [(1, 2), (2, 5), (3, 8)]);
    assert_eq!(vu_ids(&t[2], 10), [(1, 3), (2, 6), (3, 9)]);
}

/// §3.6 example 2: shared-iterations, 10 VUs, 30 iterations.
#[test]
fn example_2_shared_iterations_10_30() {
    let t = thirds();
    let re: Vec<Tuple> = t.iter().map(|t| t.resegment(10).unwrap()).collect();
    assert_eq!(sequence_of(&re[0]), "0,2/5,7/10,1");
    let iterations: Vec<i64> = re.iter().map(|t| t.scale(30)).collect();
    assert_eq!(iterations, [12, 9, 9]);
    assert_eq!(
        firsts(&re[0], 12),
        [0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28]
    );
    assert_eq!(firsts(&re[1], 9), [1, 4, 7, 11, 14, 17, 21, 24, 27]);
    assert_eq!(firsts(&re[2], 9), [2, 6, 9, 12, 16, 19, 22, 26, 29]);
}

/// §3.6 examples 3 and 4: shared-iterations with 3 and 2 VUs, 7 iterations.
#[test]
fn examples_3_4_shared_iterations_7() {
    let t = thirds();
    // 3 VUs: divisible by the LCD, same tuple
    let re: Vec<Tuple> = t.iter().map(|t| t.resegment(3).unwrap()).collect();
    assert_eq!(re.iter().map(|t| t.scale(7)).collect::<Vec<_>>(), [3, 2, 2]);
    assert_eq!(firsts(&re[0], 3), [0, 3, 6]);
    assert_eq!(firsts(&re[1], 2), [1, 4]);
    assert_eq!(firsts(&re[2], 2), [2, 5]);
    assert_eq!(vu_ids(&t[0], 3), [(1, 1)]);
    assert_eq!(vu_ids(&t[1], 3), [(1, 2)]);
    assert_eq!(vu_ids(&t[2], 3), [(1, 3)]);
    // 2 VUs: 1/1/0, re-segmented to 0,1/2,1, the third has no work
    assert_eq!(t.iter().map(|t| t.scale(2)).collect::<Vec<_>>(), [1, 1, 0]);
    let first = t[0].resegment(2).unwrap();
    let second = t[1].resegment(2).unwrap();
    assert_eq!(sequence_of(&first), "0,1/2,1");
    assert!(t[2].resegment(2).is_none());
    assert_eq!((first.scale(7), second.scale(7)), (4, 3));
    assert_eq!(firsts(&first, 4), [0, 2, 4, 6]);
    assert_eq!(firsts(&second, 3), [1, 3, 5]);
}

/// §3.6 example 5: per-vu-iterations, 5 VUs × 2 iterations, base tuple.
#[test]
fn example_5_per_vu_iterations() {
    let t = thirds();
    let vus: Vec<i64> = t.iter().map(|t| t.scale(5)).collect();
    assert_eq!(vus, [2, 2, 1]);
    assert_eq!(firsts(&t[0], 4), [0, 3, 6, 9]);
    assert_eq!(firsts(&t[1], 4), [1, 4, 7, 10]);
    assert_eq!(firsts(&t[2], 2), [2, 5]);
}

/// §3.6 example 6: constant-arrival-rate 100/s for 1s (ticks 0..=100).
#[test]
fn example_6_constant_arrival_rate() {
    let t = thirds();
    assert_eq!(t.iter().map(|t| t.scale(20)).collect::<Vec<_>>(), [7, 7, 6]);
    let re: Vec<Tuple> = t.iter().map(|t| t.resegment(20).unwrap()).collect();
    assert_eq!(sequence_of(&re[0]), "0,7/20,7/10,1");
    assert_eq!(re[0].lcd(), 20);
    assert_eq!(firsts(&re[0], 8), [0, 3, 6, 9, 12, 15, 18, 20]);
    let ticks_below = |n: i64| re.iter().map(|t| t.scale(n)).collect::<Vec<_>>();
    assert_eq!(ticks_below(100)[0], 35);
    assert_eq!(ticks_below(101), [36, 35, 30]); // observed, sum 101
    let owners: Vec<usize> = (0..=100)
        .map(|g| re.iter().filter(|t| t.owns(g)).count())
        .collect();
    assert!(owners.iter().all(|&n| n == 1));
    // maxVUs 30: plain thirds
    let re: Vec<Tuple> = t.iter().map(|t| t.resegment(30).unwrap()).collect();
    assert_eq!(
        t.iter().map(|t| t.scale(30)).collect::<Vec<_>>(),
        [10, 10, 10]
    );
    assert_eq!(
        re.iter().map(|t| t.scale(100)).collect::<Vec<_>>(),
        [34, 33, 33]
    );
    assert_eq!(
        re.iter().map(|t| t.scale(101)).collect::<Vec<_>>(),
        [34, 34, 33]
    );
}

/// §3.6 example 7 (the segment part): ramping 0→6 VUs, VU numbers per third.
#[test]
fn example_7_ramping_vu_numbers() {
    let t = thirds();
    let numbers = |tuple: &Tuple| {
        let mut index = tuple.index();
        let (count, _) = index.go_to(6);
        let mut index = tuple.index();
        (0..count).map(|_| index.next().1).collect::<Vec<_>>()
    };
    assert_eq!(numbers(&t[0]), [1, 4]);
    assert_eq!(numbers(&t[1]), [2, 5]);
    assert_eq!(numbers(&t[2]), [3, 6]);
    // 0→10: the last VU number of each third at the top of the ramp
    let tops: Vec<(i64, i64)> = t.iter().map(|t| t.index().go_to(10)).collect();
    assert_eq!(tops, [(4, 10), (3, 8), (3, 9)]);
}

/// §3.6 example 8: ramping-arrival-rate with 4 max VUs → event numbers.
#[test]
fn example_8_ramping_arrival_rate() {
    let t = thirds();
    assert_eq!(t.iter().map(|t| t.scale(4)).collect::<Vec<_>>(), [2, 1, 1]);
    let re: Vec<Tuple> = t.iter().map(|t| t.resegment(4).unwrap()).collect();
    assert_eq!(sequence_of(&re[0]), "0,1/2,3/4,1");
    assert_eq!(firsts(&re[0], 5), [0, 2, 4, 6, 8]);
    assert_eq!(firsts(&re[1], 3), [1, 5, 9]);
    assert_eq!(firsts(&re[2], 2), [3, 7]);
}

/// §3.6 example 9: a segment given without a sequence.
#[test]
fn example_9_segment_alone() {
    let alone = Tuple::new(Some(&seg("0:1/3")), None).unwrap();
    assert_eq!(alone.scale(10), 3);
    assert_eq!(vu_ids(&alone, 10), [(1, 2), (2, 5), (3, 8)]);
    assert_eq!(firsts(&alone, 3), [1, 4, 7]);
    let inside = tuple("0:1/3", "0,1/3,2/3,1");
    assert_eq!(vu_ids(&inside, 10), [(1, 1), (2, 4), (3, 7), (4, 10)]);
    assert_eq!(
        Tuple::new(Some(&seg("50%:75%")), None).unwrap().scale(10),
        3
    );
    assert_eq!(
        Tuple::new(Some(&seg("0.2:2/3")), None).unwrap().scale(10),
        5
    );
}

/// §3.6 example 10: one VU, middle third → no work.
#[test]
fn example_10_no_work() {
    let middle = tuple("1/3:2/3", "0,1/3,2/3,1");
    assert_eq!(middle.scale(1), 0);
    assert_eq!(format!("{:.2}", middle.segment().length_percent()), "33.33");
}

/// The resegment fallback when the new LCD would pass MAX_LCD.
#[test]
fn resegment_past_the_limit_keeps_the_partition() {
    let t = thirds();
    let value = 3 * MAX_LCD + 1; // new lengths (k/value) have a huge LCD
    let re: Vec<Tuple> = t.iter().map(|t| t.resegment(value).unwrap()).collect();
    for (old, new) in t.iter().zip(&re) {
        assert_eq!(sequence_of(new), sequence_of(old));
        assert!(new.scale(value) >= 1);
    }
    assert_eq!(re.iter().map(|t| t.scale(value)).sum::<i64>(), value);
}
