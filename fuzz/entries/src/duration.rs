//! k6's duration strings: Go's syntax (`1m30s`, CLI flags) and the
//! extended one of options (`1d2h`, bare milliseconds), plus what is done
//! with a parsed duration (printing, rounding, `std` conversion).

use k6r_core::Duration;

/// Parses the input both ways, and as a JSON options value.
pub fn run(data: &[u8]) {
    let text = crate::text(data);
    for parsed in [Duration::parse_go(&text), Duration::parse_extended(&text)]
        .into_iter()
        .flatten()
    {
        exercise(parsed);
    }
    let json = serde_json::Value::String(text.into_owned());
    if let Ok(Some(parsed)) = Duration::from_json(&json) {
        exercise(parsed);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(crate::capped(data)) {
        if let Ok(Some(parsed)) = Duration::from_json(&value) {
            exercise(parsed);
        }
    }
}

fn exercise(d: Duration) {
    let printed = d.to_string();
    // Go's `Duration.String` always parses back to the same value.
    assert_eq!(
        Duration::parse_go(&printed),
        Ok(d),
        "{printed} does not read back"
    );
    let _ = d.to_std();
    let _ = d.as_secs_f64();
    for m in [Duration::from_nanos(1), Duration::SECOND, d] {
        let _ = d.round(m);
    }
    let _ = serde_json::to_string(&d);
}
