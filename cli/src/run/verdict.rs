//! How a finished run exits: the first reason wins (an error, then how
//! the run ended), and failed thresholds give 99 only when nothing else
//! failed first (§6.4, the exit codes table).

use k6r_core::exit::ExitCode;
use k6r_core::threshold::Evaluation;
use k6r_runner::{End, RunResult};

use k6r_signals::Signal;

use super::runner_failure;
use crate::Failure;

/// k6's failure for a run a signal stopped (exit 105).
pub fn signal_failure(signal: Signal) -> Failure {
    Failure::new(
        ExitCode::ExternalAbort,
        format!(
            "test run was aborted because k6 received a '{}' signal",
            signal.go_name()
        ),
    )
}

/// The run's failure, if it failed. `stopped_by_api` is a `stopped:true`
/// from the REST API; `signal` the SIGINT or SIGTERM that stopped it;
/// `aborted` is the threshold evaluation that stopped the run
/// (`abortOnFail`); `last` the final one.
pub fn verdict(
    result: &RunResult,
    stopped_by_api: bool,
    signal: Option<Signal>,
    aborted: Option<&Evaluation>,
    last: &Evaluation,
) -> Result<(), Failure> {
    if let Some(error) = &result.error {
        return Err(runner_failure(error));
    }
    if stopped_by_api {
        return Err(Failure::new(
            ExitCode::Stopped,
            "test run stopped from REST API",
        ));
    }
    match &result.end {
        End::Stopped if aborted.is_some() => Err(Failure::new(
            ExitCode::ThresholdsFailed,
            aborted.map(Evaluation::abort_message).unwrap_or_default(),
        )),
        End::Stopped => Err(signal_failure(signal.unwrap_or(Signal::Interrupt))),
        End::Aborted(reason) => Err(Failure::new(
            ExitCode::ScriptAborted,
            match reason {
                Some(reason) => format!("test aborted: {reason}"),
                None => "test aborted".to_owned(),
            },
        )),
        End::Finished if result.marked_failed => Err(Failure::new(
            ExitCode::MarkedFailed,
            "test run was marked as failed",
        )),
        End::Finished if !last.passed() => Err(Failure::new(
            ExitCode::ThresholdsFailed,
            last.crossed_message(),
        )),
        End::Finished => Ok(()),
    }
}
