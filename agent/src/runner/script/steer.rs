//! A live scenario change (a `ScenarioChange` Control): applied to this
//! agent's segment of the scenario at the coordinator's common instant,
//! by the engine's handle (which splits it as the scenario was split at
//! start), and acknowledged then with the scenario after it.

use std::time::SystemTime;

use k6r_core::steer::Change;
use k6r_engine::{Live, Steer};
use k6r_proto::convert::from_unix_nanos;
use k6r_proto::v1;

use super::report::Acker;

/// Applies `wire` at its instant on a task of its own, then acks `seq`.
pub(super) fn apply(steering: &[Steer], wire: v1::ScenarioChange, seq: u64, acker: Acker) {
    let steer = steering
        .iter()
        .find(|s| s.scenario() == wire.scenario)
        .cloned();
    let change = Change::from(&wire);
    let at = from_unix_nanos(wire.at_unix_nanos);
    // The wall-clock instant on this machine's monotonic clock.
    let instant = match at.duration_since(SystemTime::now()) {
        Ok(ahead) => tokio::time::Instant::now() + ahead,
        Err(_) => tokio::time::Instant::now(),
    };
    tokio::spawn(async move {
        let Some(steer) = steer else {
            let error = format!("no scenario named {:?}", wire.scenario);
            return acker.send(seq, error, None).await;
        };
        // What the change finds (the published state: a ramping rate may
        // have moved on a little by the instant).
        let before = steer.live();
        match steer.apply_at(change, Some(instant)).await {
            Ok(live) => {
                let mut wire = to_wire(&live);
                wire.rate_before = before.rate;
                wire.vus_before = before.vus;
                acker.send(seq, String::new(), Some(wire)).await;
            }
            Err(e) => acker.send(seq, e.to_string(), None).await,
        }
    });
}

/// `live` on the wire (a change's ack, a status's scenario).
pub(super) fn to_wire(live: &Live) -> v1::ScenarioLive {
    v1::ScenarioLive {
        paused: live.paused,
        vus: live.vus,
        rate: live.rate,
        end_nanos: live
            .end
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        ended: live.ended,
        rate_before: None,
        vus_before: None,
    }
}
