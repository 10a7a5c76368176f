//! Control: scale, pause, resume and stop, each answered with a
//! ControlAck of its seq and then a fresh RunStatus, whose VUs are the
//! state after the change (`configured`).
//!
//! A scenario change (k6r's `/v1/scenarios`) goes to that scenario's
//! live-change handle at the change's instant (`steer`).
//!
//! Scale, pause and resume act on the externally-controlled scenario
//! pinned to this agent (through the engine's control handles, as k6's
//! REST API does); stop ends every scenario here; new setup data goes
//! where the VUs read it. Before the start (no scenario listens yet)
//! scale, pause and resume are refused at once.

use std::time::Duration;

use k6r_core::capacity::ControlledMax;
use k6r_core::scale::Vus;
use k6r_engine::{Configured, ControlError, ControlHandle, Status};
use k6r_proto::v1::{control::Action, Control, RunState, Scale};

use super::drive::Run;

/// The ControlAck error of a control the scenario did not answer.
const NO_ANSWER: &str = "the scenario did not answer in time";

/// The ControlAck error of a scale, pause or resume before the start.
pub(crate) const NOT_STARTED: &str = "the run has not started";

/// How long a control handle may take to answer.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a RunStatus waits for the controlled scenario's status.
const STATUS_TIMEOUT: Duration = Duration::from_millis(500);

impl Run {
    pub(super) async fn control(&mut self, control: Control) {
        let error = match control.action {
            None => "the Control names no action".to_owned(),
            // The scenarios' handles answer only once they run: refuse at
            // once rather than wait for them (stop still ends the run).
            Some(Action::Scale(_) | Action::Pause(_) | Action::Resume(_))
                if !self.has_started() =>
            {
                NOT_STARTED.to_owned()
            }
            Some(Action::Scale(scale)) => match self.controls.first().cloned() {
                None => no_controlled("scale"),
                Some(handle) => self.scale(handle, scale).await,
            },
            Some(Action::Pause(_)) => {
                let error = self
                    .on_every("pause", |h| async move { h.pause().await })
                    .await;
                if error.is_empty() {
                    self.state = RunState::Paused;
                }
                error
            }
            Some(Action::Resume(_)) => {
                let error = self
                    .on_every("resume", |h| async move { h.resume().await })
                    .await;
                if error.is_empty() && self.state == RunState::Paused {
                    self.state = RunState::Running;
                }
                error
            }
            Some(Action::SetupData(data)) => match &self.setup {
                Some(setup) => {
                    setup.set_data(super::drive::data_of(&data.data_json));
                    String::new()
                }
                None => "the run is not initialised yet".to_owned(),
            },
            Some(Action::ScenarioChange(_)) if !self.has_started() => NOT_STARTED.to_owned(),
            Some(Action::ScenarioChange(change)) => {
                // Answered at its instant, from a task of its own: the run
                // goes on meanwhile.
                super::steer::apply(&self.steering, change, control.seq, self.reporter.acker());
                return;
            }
            Some(Action::Stop(_)) => {
                self.stop_by_control();
                if self.state != RunState::Done {
                    self.state = RunState::Draining;
                }
                String::new()
            }
        };
        if !error.is_empty() {
            tracing::info!(run = %self.reporter.run_id(), seq = control.seq, "refused a Control: {error}");
        }
        self.reporter.control_ack(control.seq, error).await;
        self.status().await;
    }

    /// The externally-controlled scenario's configured VUs while its
    /// executor takes commands (after a scale, its RunStatus says the new
    /// count at once, as k6's status does); `None` before and after.
    pub(super) async fn configured(&self) -> Option<Configured<'_>> {
        let handle = self.controls.first().filter(|h| h.is_started())?;
        let status = tokio::time::timeout(STATUS_TIMEOUT, handle.status())
            .await
            .ok()?
            .ok()
            .filter(|s| !s.stopped)?;
        Some(Configured {
            scenario: handle.scenario(),
            vus: if status.paused { 0 } else { status.vus },
            max_vus: status.max_vus,
        })
    }

    /// Applies `f` to every controlled scenario; the first error, or "".
    async fn on_every<F, Fut>(&self, what: &str, f: F) -> String
    where
        F: Fn(k6r_engine::ControlHandle) -> Fut,
        Fut: std::future::Future<Output = Result<Status, ControlError>>,
    {
        if self.controls.is_empty() {
            return no_controlled(what);
        }
        for handle in &self.controls {
            let error = answer(f(handle.clone())).await;
            if !error.is_empty() {
                return error;
            }
        }
        String::new()
    }
}

fn no_controlled(what: &str) -> String {
    format!("can't {what}: no externally-controlled scenario runs on this agent")
}

impl Run {
    /// k6's rules for the change ([`k6r_core::scale`]) against the
    /// scenario's numbers now, then the change; growing VUs past what this
    /// machine holds beside the other scenarios would wedge it. Controls
    /// are applied one at a time, so nothing changes in between.
    async fn scale(&self, handle: ControlHandle, scale: Scale) -> String {
        let now = match within(handle.status()).await {
            Ok(status) => status,
            Err(error) => return error,
        };
        let current = Vus {
            vus: now.vus,
            max_vus: now.max_vus,
        };
        let most = self.controlled_max.unwrap_or(ControlledMax(u64::MAX));
        match k6r_core::scale::update(current, now.start_max_vus, most, scale.vus, scale.vus_max) {
            Err(e) => e.0,
            Ok(new) => answer(handle.update(Some(new.vus), Some(new.max_vus))).await,
        }
    }
}

/// The ControlAck error of `call`: empty when it was applied.
async fn answer(call: impl std::future::Future<Output = Result<Status, ControlError>>) -> String {
    within(call).await.err().unwrap_or_default()
}

/// `call`'s status, or the ControlAck error when it was refused or took
/// longer than [`CONTROL_TIMEOUT`].
async fn within(
    call: impl std::future::Future<Output = Result<Status, ControlError>>,
) -> Result<Status, String> {
    match tokio::time::timeout(CONTROL_TIMEOUT, call).await {
        Ok(Ok(status)) => Ok(status),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(NO_ANSWER.to_owned()),
    }
}
