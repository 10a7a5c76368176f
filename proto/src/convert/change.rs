//! k6r-core's live scenario change ([`Change`]) ↔ the wire's
//! `ScenarioChange` (with the common instant beside it).

use k6r_core::steer::Change;
use k6r_core::Duration;

use crate::v1;

/// A change of `scenario` to apply at `at_unix_nanos`.
pub fn change_to_wire(scenario: &str, change: &Change, at_unix_nanos: i64) -> v1::ScenarioChange {
    v1::ScenarioChange {
        scenario: scenario.to_owned(),
        rate: change.rate,
        time_unit_nanos: change.time_unit.map(|d| d.as_nanos()),
        factor: change.factor,
        vus: change.vus,
        paused: change.paused,
        extend_nanos: change.extend.map(|d| d.as_nanos()),
        duration_nanos: change.duration.map(|d| d.as_nanos()),
        at_unix_nanos,
    }
}

impl From<&v1::ScenarioChange> for Change {
    fn from(wire: &v1::ScenarioChange) -> Change {
        Change {
            rate: wire.rate,
            time_unit: wire.time_unit_nanos.map(Duration::from_nanos),
            factor: wire.factor,
            vus: wire.vus,
            paused: wire.paused,
            extend: wire.extend_nanos.map(Duration::from_nanos),
            duration: wire.duration_nanos.map(Duration::from_nanos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_round_trips() {
        let change = Change {
            rate: Some(200),
            time_unit: Some(Duration::SECOND),
            paused: Some(false),
            extend: Some(Duration::from_secs(30)),
            ..Change::default()
        };
        let wire = change_to_wire("s", &change, 7);
        assert_eq!(wire.at_unix_nanos, 7);
        assert_eq!(Change::from(&wire), change);
    }
}
