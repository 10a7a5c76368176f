//! `GET/PATCH /v1/status`: the run's status, and k6's numeric run phase.
//!
//! ```text
//! {"data":{"type":"status","id":"default","attributes":{"status":7,"paused":false,
//!   "vus":2,"vus-max":5,"stopped":false,"running":true,"tainted":true}}}
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::envelope::{Envelope, Resource};

/// `{"data":{"type":"status","id":"default","attributes":{...}}}`.
pub type StatusEnvelope = Envelope<Resource<Status>>;

/// The attributes of the status resource, in k6's field order. The
/// nullable fields are `null` in control requests that leave them alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The run's phase.
    #[serde(default)]
    pub status: ExecutionStatus,
    /// Whether the execution is paused.
    #[serde(default)]
    pub paused: Option<bool>,
    /// Active VUs.
    #[serde(default)]
    pub vus: Option<i64>,
    /// Initialised VUs.
    #[serde(default, rename = "vus-max")]
    pub vus_max: Option<i64>,
    /// Whether the run was stopped (its context cancelled).
    #[serde(default, deserialize_with = "null_is_false")]
    pub stopped: bool,
    /// Started and not ended.
    #[serde(default, deserialize_with = "null_is_false")]
    pub running: bool,
    /// A threshold failed at its last evaluation.
    #[serde(default, deserialize_with = "null_is_false")]
    pub tainted: bool,
}

impl Status {
    /// Wraps the status in its envelope (`type` `status`, `id` `default`).
    pub fn into_envelope(self) -> StatusEnvelope {
        Envelope::new(Resource::new("status", "default", self))
    }
}

impl From<Status> for StatusEnvelope {
    fn from(status: Status) -> StatusEnvelope {
        status.into_envelope()
    }
}

/// Go decodes `null` into a plain bool as "no change" (false).
fn null_is_false<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// k6's `lib.ExecutionStatus`: a number on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExecutionStatus {
    /// 0: nothing happened yet.
    #[default]
    Created,
    /// 1: initialising VUs.
    InitVus,
    /// 2: initialising executors.
    InitExecutors,
    /// 3: initialisation done.
    InitDone,
    /// 4: `--paused`, waiting for a resume before the start.
    PausedBeforeRun,
    /// 5: started.
    Started,
    /// 6: running `setup()`.
    Setup,
    /// 7: running the scenarios.
    Running,
    /// 8: running `teardown()`.
    Teardown,
    /// 9: ended.
    Ended,
    /// 10: interrupted.
    Interrupted,
    /// A number k6 v1.1.0 does not define (kept, so nothing is lost).
    Other(u32),
}

impl ExecutionStatus {
    /// The wire number.
    pub fn code(self) -> u32 {
        match self {
            ExecutionStatus::Created => 0,
            ExecutionStatus::InitVus => 1,
            ExecutionStatus::InitExecutors => 2,
            ExecutionStatus::InitDone => 3,
            ExecutionStatus::PausedBeforeRun => 4,
            ExecutionStatus::Started => 5,
            ExecutionStatus::Setup => 6,
            ExecutionStatus::Running => 7,
            ExecutionStatus::Teardown => 8,
            ExecutionStatus::Ended => 9,
            ExecutionStatus::Interrupted => 10,
            ExecutionStatus::Other(n) => n,
        }
    }

    /// k6's `running`: started (past `--paused`) and not ended, setup and
    /// teardown included.
    pub fn is_running(self) -> bool {
        self >= ExecutionStatus::Started && self < ExecutionStatus::Ended
    }

    /// The status of a wire number.
    pub fn from_code(code: u32) -> ExecutionStatus {
        match code {
            0 => ExecutionStatus::Created,
            1 => ExecutionStatus::InitVus,
            2 => ExecutionStatus::InitExecutors,
            3 => ExecutionStatus::InitDone,
            4 => ExecutionStatus::PausedBeforeRun,
            5 => ExecutionStatus::Started,
            6 => ExecutionStatus::Setup,
            7 => ExecutionStatus::Running,
            8 => ExecutionStatus::Teardown,
            9 => ExecutionStatus::Ended,
            10 => ExecutionStatus::Interrupted,
            n => ExecutionStatus::Other(n),
        }
    }
}

impl Serialize for ExecutionStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for ExecutionStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ExecutionStatus, D::Error> {
        Ok(Option::<u32>::deserialize(d)?
            .map_or(ExecutionStatus::Created, ExecutionStatus::from_code))
    }
}

#[cfg(test)]
mod tests {
    use super::ExecutionStatus;

    #[test]
    fn running_is_from_the_start_to_the_end_setup_and_teardown_included() {
        let running: Vec<u32> = (0..=11)
            .map(ExecutionStatus::from_code)
            .filter(|s| s.is_running())
            .map(ExecutionStatus::code)
            .collect();
        assert_eq!(running, [5, 6, 7, 8]);
    }
}
