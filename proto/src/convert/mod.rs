//! Wire ↔ std conversions shared by the coordinator and the agent.
//!
//! The wire carries instants as unix nanoseconds (`int64`) and intervals as
//! milliseconds (`uint32`); the code on both sides works with
//! [`SystemTime`] and [`Duration`]. Incoming values are validated here
//! (`TryFrom`), so a zero heartbeat interval never reaches a timer.
//!
//! Every message also converts into its envelope (`AgentMessage::from(hello)`,
//! `CoordinatorMessage::from(welcome)`), which keeps the `oneof` plumbing out
//! of the session code.
//!
//! # Layout
//! - this module: instants, intervals and the envelopes.
//! - `change`: k6r-core's live scenario change ↔ `ScenarioChange`
//!   ([`change_to_wire`], `Change::from(&wire)`).
//! - `delta`: k6r-core's `metrics::Delta` ↔ `MetricDelta`
//!   ([`v1::MetricDelta::new`], `Delta::try_from(&MetricDelta)`).
//! - `sink`: the sinks, exact sums and histogram buckets inside it.
//! - [`delta_error`]: [`MetricDeltaError`], why a `MetricDelta` is refused.
//! - `options`: k6r-core's `Options` ↔ `Options` (an Assign's),
//!   thresholds included (`v1::Options::try_from(&options)`,
//!   `Options::try_from(&wire)`).
//! - `scenario`: the scenarios, their executors and stages inside it.
//! - `json`: free-form user JSON (`raw`, a scenario's `options`) ↔
//!   `JsonValue`.
//! - [`options_error`]: [`OptionsWireError`], why options do not convert,
//!   naming the field (`options.scenarios["load"].executor: missing`).

mod change;
mod delta;
pub mod delta_error;
mod json;
mod options;
pub mod options_error;
mod scenario;
mod sink;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use change::change_to_wire;
pub use delta_error::MetricDeltaError;
pub use options_error::OptionsWireError;

use crate::v1::{self, agent_message, coordinator_message};

/// A wire value that does not make sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// A required field (or `oneof`) is absent.
    #[error("missing field `{field}`")]
    Missing {
        /// The field's name in the `.proto`.
        field: &'static str,
    },
    /// A field is present but out of range.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The field's name in the `.proto`.
        field: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
}

/// `t` as nanoseconds since the unix epoch, saturating at `i64`'s range
/// (instants before 1970 are negative).
pub fn to_unix_nanos(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_nanos())
            .map(|n| -n)
            .unwrap_or(i64::MIN),
    }
}

/// The instant `nanos` after (or, when negative, before) the unix epoch.
pub fn from_unix_nanos(nanos: i64) -> SystemTime {
    let magnitude = Duration::from_nanos(nanos.unsigned_abs());
    if nanos >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// `d` in whole milliseconds, saturating at `u32::MAX` (about 49 days).
pub fn to_millis_u32(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

impl From<SystemTime> for v1::Heartbeat {
    fn from(now: SystemTime) -> Self {
        Self {
            unix_nanos: to_unix_nanos(now),
        }
    }
}

impl From<&v1::Heartbeat> for SystemTime {
    fn from(heartbeat: &v1::Heartbeat) -> Self {
        from_unix_nanos(heartbeat.unix_nanos)
    }
}

impl v1::Welcome {
    /// A welcome for `agent_id`, asking for a heartbeat every
    /// `heartbeat_interval`, stamped with the coordinator's clock `now`.
    pub fn new(agent_id: impl Into<String>, heartbeat_interval: Duration, now: SystemTime) -> Self {
        Self {
            agent_id: agent_id.into(),
            heartbeat_interval_ms: to_millis_u32(heartbeat_interval),
            unix_nanos: to_unix_nanos(now),
        }
    }

    /// The heartbeat interval the coordinator asked for; zero is refused.
    pub fn heartbeat_interval(&self) -> Result<Duration, ConvertError> {
        match self.heartbeat_interval_ms {
            0 => Err(ConvertError::Invalid {
                field: "heartbeat_interval_ms",
                reason: "must be at least 1 ms",
            }),
            ms => Ok(Duration::from_millis(u64::from(ms))),
        }
    }
}

/// `impl From<$msg> for $envelope` for every variant of a `oneof kind`.
macro_rules! envelope {
    ($envelope:ident, $kind:ident: $($variant:ident($msg:ident)),+ $(,)?) => {
        $(
            impl From<v1::$msg> for v1::$envelope {
                fn from(msg: v1::$msg) -> Self {
                    Self { kind: Some($kind::Kind::$variant(msg)) }
                }
            }
        )+
    };
}

envelope!(AgentMessage, agent_message:
    Hello(Hello),
    Heartbeat(Heartbeat),
    Status(RunStatus),
    Metrics(MetricDelta),
    SetupDone(SetupDone),
    Done(RunDone),
    Error(AgentError),
    ControlAck(ControlAck),
);

envelope!(CoordinatorMessage, coordinator_message:
    Welcome(Welcome),
    Assign(Assign),
    Start(Start),
    Control(Control),
    RunSetup(RunSetup),
    RunTeardown(RunTeardown),
    Abort(Abort),
    Refused(Refused),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_nanos_round_trip_both_sides_of_the_epoch() {
        for nanos in [0, 1, 1_700_000_000_123_456_789, -5_000_000_000] {
            assert_eq!(to_unix_nanos(from_unix_nanos(nanos)), nanos);
        }
    }

    #[test]
    fn welcome_carries_the_interval_and_refuses_zero() {
        let w = v1::Welcome::new("agent-1", Duration::from_millis(1500), UNIX_EPOCH);
        assert_eq!(w.heartbeat_interval(), Ok(Duration::from_millis(1500)));
        let zero = v1::Welcome {
            heartbeat_interval_ms: 0,
            ..w
        };
        assert!(matches!(
            zero.heartbeat_interval(),
            Err(ConvertError::Invalid {
                field: "heartbeat_interval_ms",
                ..
            })
        ));
    }

    #[test]
    fn messages_wrap_into_their_envelope() {
        let msg = v1::AgentMessage::from(v1::Heartbeat::from(UNIX_EPOCH));
        assert!(matches!(
            msg.kind,
            Some(agent_message::Kind::Heartbeat(v1::Heartbeat {
                unix_nanos: 0
            }))
        ));
        let msg = v1::CoordinatorMessage::from(v1::Refused {
            reason: "no".into(),
        });
        assert!(matches!(
            msg.kind,
            Some(coordinator_message::Kind::Refused(_))
        ));
    }
}
