//! Execution segments (`1/3:2/3`, `25%`) and sequences (`0,1/3,2/3,1`):
//! the tuple, its striping, scaling and re-segmentation, as an instance
//! uses them to pick its VUs, iterations and ticks.

use k6r_core::segment::{Segment, Sequence, Tuple};

/// The input's first line is a segment, the rest a sequence; each is also
/// parsed alone.
pub fn run(data: &[u8]) {
    let text = crate::text(data);
    let (segment_text, sequence_text) = text.split_once('\n').unwrap_or((&text, ""));
    let segment = Segment::parse(segment_text).ok();
    let sequence = Sequence::parse(sequence_text).ok();
    if let Ok(alone) = Sequence::parse(&text) {
        round_trip_sequence(&alone);
    }
    if let Some(segment) = &segment {
        // k6 prints reduced fractions, which parse back.
        let printed = segment.to_string();
        assert_eq!(Segment::parse(&printed).as_ref(), Ok(segment), "{printed}");
        let _ = segment.length_percent();
    }
    if let Some(sequence) = &sequence {
        round_trip_sequence(sequence);
    }
    for given in [sequence.as_ref(), None] {
        if let Ok(tuple) = Tuple::new(segment.as_ref(), given) {
            exercise(&tuple);
        }
    }
}

fn round_trip_sequence(sequence: &Sequence) {
    if sequence.segments().is_empty() {
        return;
    }
    let printed = sequence.to_string();
    assert_eq!(
        Sequence::parse(&printed).as_ref(),
        Ok(sequence),
        "{printed}"
    );
}

fn exercise(tuple: &Tuple) {
    let _ = tuple.to_string();
    let lcd = tuple.lcd();
    let mut index = tuple.index();
    for _ in 0..8 {
        index.next();
    }
    index.prev();
    let _ = index.go_to(lcd.saturating_mul(3).saturating_add(1));
    let _ = tuple.global_indexes().take(64).count();
    for value in [0, 1, 2, 7, 100, lcd - 1, lcd + 1, i64::MAX / 2, i64::MAX] {
        let _ = tuple.scale(value);
        let _ = tuple.owns(value);
        if value <= 1_000_000 {
            if let Some(re) = tuple.resegment(value) {
                let _ = re.scale(value);
                let _ = re.global_indexes().take(16).count();
            }
        }
    }
}
