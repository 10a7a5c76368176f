//! [`RunResult`]: what a run produced, and how its stages' outcomes
//! decide [`End`] and the error.

use std::sync::{Arc, PoisonError};

use k6r_core::exit::ExitCode;
use k6r_engine::{AbortReason, Report};

use crate::error::{Error, Result};
use crate::lifecycle::Ended;
use crate::remote::StageOutcome;
use crate::samples::Sinks;
use crate::totals::Totals;
use crate::vu::Shared;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// The plan ran to its end.
    Finished,
    /// The shutdown signal stopped it.
    Stopped,
    /// `exec.test.abort(reason)`.
    Aborted(Option<String>),
}

/// What a run produced.
pub struct RunResult {
    /// How it ended.
    pub end: End,
    /// What failed (init, setup, teardown), if anything did; it decides
    /// the exit code before [`RunResult::end`].
    pub error: Option<Error>,
    /// The engine's report, when the scenarios ran.
    pub report: Option<Report>,
    /// Per-metric counts.
    pub totals: Totals,
    /// The configured sinks, after the last sample.
    pub sinks: Sinks,
    /// `exec.test.fail()` was called.
    pub marked_failed: bool,
    /// What `setup()` returned, as JSON (`None`: no setup, or `undefined`);
    /// `handleSummary`'s `data.setup_data`.
    pub setup_data: Option<Arc<str>>,
}

impl RunResult {
    /// k6's exit code for this run (thresholds aside).
    pub fn exit_code(&self) -> i32 {
        if let Some(error) = &self.error {
            return error.exit_code();
        }
        match self.end {
            End::Finished if self.marked_failed => ExitCode::MarkedFailed.code(),
            End::Finished => ExitCode::Success.code(),
            End::Stopped => ExitCode::ExternalAbort.code(),
            End::Aborted(_) => ExitCode::ScriptAborted.code(),
        }
    }

    /// A run that has not ended yet, counting into `totals`.
    pub(crate) fn new(totals: Totals) -> Self {
        RunResult {
            end: End::Finished,
            error: None,
            report: None,
            totals,
            sinks: Vec::new(),
            marked_failed: false,
            setup_data: None,
        }
    }

    /// Records how `setup()` ended at the gate (`None`: it did not run
    /// there) and the engine's outcome; returns whether the planned VUs
    /// were initialised (teardown runs only then).
    pub(crate) fn settle(
        &mut self,
        setup: Option<Result<Ended>>,
        outcome: std::result::Result<Report, k6r_engine::Error>,
        shared: &Shared,
    ) -> bool {
        match setup {
            Some(Ok(Ended::Aborted(reason))) => self.end = End::Aborted(reason),
            Some(Ok(Ended::Interrupted)) => self.end = End::Stopped,
            Some(Err(error)) => self.error = Some(error),
            Some(Ok(Ended::Returned(_))) | None => {}
        }
        let report = match outcome {
            Ok(report) => report,
            Err(error) => {
                self.error =
                    Some(take_init_error(shared).unwrap_or(Error::Plan(error.to_string())));
                return false;
            }
        };
        if self.error.is_none() && self.end == End::Finished {
            self.end = match &report.aborted {
                Some(AbortReason::Script(reason)) => {
                    End::Aborted(Some(reason.clone()).filter(|r| !r.is_empty()))
                }
                Some(AbortReason::VuInit(init)) => {
                    self.error =
                        Some(take_init_error(shared).unwrap_or(Error::Plan(init.to_string())));
                    End::Finished
                }
                None if report.stopped => End::Stopped,
                None => End::Finished,
            };
        }
        self.report = Some(report);
        true
    }

    /// Records how `teardown()` ended; returns it for a driver.
    pub(crate) fn record_teardown(&mut self, ended: Result<Ended>) -> StageOutcome {
        match ended {
            Ok(Ended::Aborted(reason)) => {
                if self.end == End::Finished {
                    self.end = End::Aborted(reason.clone());
                }
                StageOutcome::Aborted(reason)
            }
            Ok(ended) => Ok(ended).into(),
            Err(error) => {
                let outcome = StageOutcome::failed(&error);
                self.error.get_or_insert(error);
                outcome
            }
        }
    }

    /// Whether the run ended as planned but no iteration finished (k6
    /// warns only then: not after an error, an abort or a stop).
    pub(crate) fn finished_none(&self) -> bool {
        let none = self
            .report
            .as_ref()
            .is_some_and(|report| report.counters.complete == 0);
        none && self.error.is_none() && self.end == End::Finished
    }
}

fn take_init_error(shared: &Shared) -> Option<Error> {
    shared
        .init_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}
