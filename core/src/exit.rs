//! The exit codes of a test run, each written once: k6's (spec §1, its
//! `errext/exitcodes`) and the two k6r adds for a cluster. Every binary
//! and every message that carries a code (the agents' RunStatus and
//! RunDone, the coordinator's result) uses these.
//!
//! Codes cross process boundaries as plain `i32`s (a process's exit
//! status, a protobuf field): [`ExitCode::code`] and
//! [`ExitCode::from_code`] convert at the edge.

use std::fmt;

/// Why a test run ended as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitCode {
    /// It ran and passed.
    Success,
    /// A threshold failed (at the end, or `abortOnFail` during the run).
    ThresholdsFailed,
    /// `setup()` took longer than `setupTimeout`.
    SetupTimeout,
    /// `teardown()` took longer than `teardownTimeout`.
    TeardownTimeout,
    /// Stopped through the REST API (`PATCH /v1/status {"stopped":true}`);
    /// k6 also uses it for an engine error.
    Stopped,
    /// Invalid options (validation, parsing, thresholds), or a test that
    /// needs more VUs than its machines hold.
    InvalidConfig,
    /// SIGINT or SIGTERM (and the coordinator's own shutdown).
    ExternalAbort,
    /// The REST API could not start on an `--address` given explicitly.
    CannotStartRestApi,
    /// An uncaught exception in init code, `setup()` or `teardown()`.
    ScriptException,
    /// `exec.test.abort()`.
    ScriptAborted,
    /// `exec.test.fail()`: the run ended as planned but is marked failed.
    MarkedFailed,
    /// k6r: an agent was lost and the run was aborted
    /// (`--on-agent-loss abort`). k6 does not use 111.
    AgentLost,
    /// k6r: the run finished and passed, but without an agent it lost on
    /// the way (`--on-agent-loss continue`); its metrics cover only what
    /// the remaining agents measured. k6 does not use 112.
    Degraded,
    /// Anything else: flags that do not parse, a missing script, control
    /// commands that fail, a cluster that could not carry the run out.
    Failure,
}

impl ExitCode {
    /// Every code, in numeric order.
    pub const ALL: [ExitCode; 14] = [
        ExitCode::Success,
        ExitCode::ThresholdsFailed,
        ExitCode::SetupTimeout,
        ExitCode::TeardownTimeout,
        ExitCode::Stopped,
        ExitCode::InvalidConfig,
        ExitCode::ExternalAbort,
        ExitCode::CannotStartRestApi,
        ExitCode::ScriptException,
        ExitCode::ScriptAborted,
        ExitCode::MarkedFailed,
        ExitCode::AgentLost,
        ExitCode::Degraded,
        ExitCode::Failure,
    ];

    /// The number the process exits with.
    pub const fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::ThresholdsFailed => 99,
            ExitCode::SetupTimeout => 100,
            ExitCode::TeardownTimeout => 101,
            ExitCode::Stopped => 103,
            ExitCode::InvalidConfig => 104,
            ExitCode::ExternalAbort => 105,
            ExitCode::CannotStartRestApi => 106,
            ExitCode::ScriptException => 107,
            ExitCode::ScriptAborted => 108,
            ExitCode::MarkedFailed => 110,
            ExitCode::AgentLost => 111,
            ExitCode::Degraded => 112,
            ExitCode::Failure => 255,
        }
    }

    /// The code `code` stands for, if it is one.
    pub fn from_code(code: i32) -> Option<ExitCode> {
        ExitCode::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl From<ExitCode> for i32 {
    fn from(code: ExitCode) -> i32 {
        code.code()
    }
}

impl PartialEq<ExitCode> for i32 {
    fn eq(&self, other: &ExitCode) -> bool {
        *self == other.code()
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_and_round_trips() {
        for (i, code) in ExitCode::ALL.into_iter().enumerate() {
            assert_eq!(ExitCode::from_code(code.code()), Some(code));
            if let Some(next) = ExitCode::ALL.get(i + 1) {
                assert!(code.code() < next.code(), "{code:?} before {next:?}");
            }
        }
        assert_eq!(ExitCode::from_code(109), None);
        assert!(99 == ExitCode::ThresholdsFailed);
    }
}
