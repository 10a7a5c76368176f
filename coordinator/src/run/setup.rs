//! `/v1/setup` through the coordinator. The run's setup data is what
//! Start and RunTeardown carry and what the result's `setup_data`
//! (`handleSummary`) is; a `PUT` replaces it, a `POST` runs `setup()`
//! again on the lead agent, and the new data goes to every agent still in
//! the run, whose VUs that have not iterated yet decode it: what a single
//! k6 process does with its one runner.
//!
//! By phase, a PUT is:
//! - before Start: stored, and sent with Start (a `setup()` still to run
//!   replaces it, as k6's does);
//! - while the scenarios run: sent to every agent in a Control, and
//!   answered once each acknowledged it;
//! - in teardown or while the run drains: stored for the result;
//! - once the run is over: refused (409), it would reach nothing.
//!
//! A POST without `setup()` in the script runs nothing and answers the
//! data (k6's 200). With one, it runs on the lead while the scenarios run
//! (refused before the start and after the end); the lead stores the data
//! for its VUs and answers SetupDone, the other agents get it in a
//! Control, and then the POST is answered.

use k6r_proto::v1::{self, control::Action, RunSetup, SetupDone};
use k6r_rest::SetupError;
use tokio::{sync::oneshot, time::Instant};

use crate::registry::AgentId;

use super::{
    actor::{Phase, RunActor},
    control::{Waiter, What, BUSY},
    SetupAnswer, LIFECYCLE_SLACK,
};

/// A `POST /v1/setup` waiting for the lead's SetupDone, then (when a
/// PATCH is being applied) for its turn to send the data.
#[derive(Debug)]
pub(super) struct SetupRun {
    reply: oneshot::Sender<SetupAnswer>,
    pub(super) until: Instant,
    /// The lead answered: the data is the run's, to be sent to the others.
    returned: bool,
}

/// A request the run's phase does not allow.
fn refused(message: &str) -> SetupAnswer {
    Err(SetupError::Refused(message.to_owned()))
}

impl RunActor {
    /// `PUT /v1/setup`.
    pub(super) async fn put_setup_data(
        &mut self,
        data: Option<String>,
        reply: oneshot::Sender<SetupAnswer>,
    ) {
        match self.phase {
            Phase::Finished => {
                let _ = reply.send(refused("the test run has ended"));
            }
            Phase::Running if self.pending.is_some() || self.setup_run.is_some() => {
                let _ = reply.send(refused(BUSY));
            }
            Phase::Running => {
                self.setup_data = data;
                self.send_setup_data(None, Waiter::Setup(reply)).await;
            }
            Phase::Waiting
            | Phase::Initializing
            | Phase::Setup
            | Phase::Teardown
            | Phase::Draining => {
                self.setup_data = data;
                let _ = reply.send(Ok(self.setup_data.clone()));
            }
        }
    }

    /// `POST /v1/setup`.
    pub(super) async fn rerun_setup(&mut self, reply: oneshot::Sender<SetupAnswer>) {
        if !self.submission.has_setup {
            let _ = reply.send(Ok(self.setup_data.clone()));
            return;
        }
        let why = match self.phase {
            Phase::Waiting | Phase::Initializing | Phase::Setup => {
                "the test run has not started: setup() runs on the lead agent before the start"
            }
            Phase::Teardown | Phase::Draining | Phase::Finished => "the test run has ended",
            Phase::Running if self.pending.is_some() || self.setup_run.is_some() => BUSY,
            Phase::Running => "",
        };
        if !why.is_empty() {
            let _ = reply.send(refused(why));
            return;
        }
        let Some(lead) = self.slots.iter().find(|s| s.plan.lead && s.active()) else {
            let _ = reply.send(refused("the lead agent, which runs setup(), is gone"));
            return;
        };
        let lead = lead.plan.id.clone();
        let within = self.submission.options.setup_timeout().to_std() + LIFECYCLE_SLACK;
        self.setup_run = Some(SetupRun {
            reply,
            until: Instant::now() + within,
            returned: false,
        });
        let setup = RunSetup {
            run_id: self.id.clone(),
        };
        self.send(&lead, setup).await;
    }

    /// The lead's SetupDone for a `POST /v1/setup`: the data is the
    /// run's; it goes to the others once no PATCH is being applied
    /// ([`rerun_setup_step`](Self::rerun_setup_step)).
    pub(super) async fn rerun_setup_done(&mut self, done: SetupDone) {
        let Some(run) = self.setup_run.as_mut().filter(|r| !r.returned) else {
            return;
        };
        if !done.error.is_empty() || done.exit_code != 0 {
            if let Some(run) = self.setup_run.take() {
                let _ = run.reply.send(Err(SetupError::Failed(done.error)));
            }
            return;
        }
        run.returned = true;
        let data = done.data_json;
        self.setup_data = k6r_core::setup_data::present(&data).map(str::to_owned);
        self.rerun_setup_step().await;
    }

    /// Moves a `POST /v1/setup` on: sends the lead's data to the others
    /// when its turn comes; fails it when the lead did not answer in time
    /// or the run moved on. Called after every event of the run.
    pub(super) async fn rerun_setup_step(&mut self) {
        let Some(run) = &self.setup_run else {
            return;
        };
        if run.returned {
            if self.pending.is_some() {
                return;
            }
            let Some(run) = self.setup_run.take() else {
                return;
            };
            // The lead stored the data for its own VUs.
            let lead = self
                .slots
                .iter()
                .find(|s| s.plan.lead)
                .map(|s| s.plan.id.clone());
            self.send_setup_data(lead, Waiter::Setup(run.reply)).await;
            return;
        }
        let why = if run.until <= Instant::now() {
            "the lead agent did not finish setup() in time"
        } else if self.phase != Phase::Running {
            "the test run ended before setup() finished"
        } else {
            return;
        };
        if let Some(run) = self.setup_run.take() {
            let _ = run.reply.send(Err(SetupError::Failed(why.to_owned())));
        }
    }

    /// Sends the run's setup data to every agent in the run but `skip`.
    async fn send_setup_data(&mut self, skip: Option<AgentId>, waiter: Waiter) {
        let data_json = self.setup_data.clone().unwrap_or_default();
        let sends = self
            .slots
            .iter()
            .filter(|s| s.active() && Some(&s.plan.id) != skip.as_ref())
            .map(|s| {
                let action = Action::SetupData(v1::SetupData {
                    data_json: data_json.clone(),
                });
                (s.plan.id.clone(), action, What::SetupData)
            })
            .collect();
        self.dispatch(sends, waiter).await;
    }
}
