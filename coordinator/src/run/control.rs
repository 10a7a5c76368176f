//! Live control through the agents: a `PATCH /v1/status` becomes
//! `Control` messages (scale → the agent with the externally-controlled
//! scenario; pause/resume → every agent), and is answered once each of
//! them acknowledged it and reported its status after it, or after
//! [`CONTROL_TIMEOUT`]. New setup data (`setup`) travels the same way.

use std::collections::{BTreeMap, BTreeSet};

use k6r_api::scenarios::ScenarioResource;
use k6r_api::Status;
use k6r_core::steer::ChangeError;
use k6r_proto::v1::{self, control::Action, ControlAck};
use k6r_rest::{ControlError, SetupError, StatusPatch};
use tokio::{sync::oneshot, time::Instant};

use super::{
    actor::{Phase, RunActor},
    SetupAnswer, CONTROL_TIMEOUT,
};
use crate::registry::AgentId;

/// The refusal of a change while another is still being applied.
pub(super) const BUSY: &str = "another status change is being applied";

/// What a Control was, to pick k6's error when it is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum What {
    Scale,
    Pause,
    SetupData,
    Scenario,
}

impl What {
    fn error(self, message: String) -> ControlError {
        match self {
            What::Scale => ControlError::ConfigUpdate(message),
            What::Pause | What::SetupData | What::Scenario => ControlError::Pause(message),
        }
    }
}

/// Who waits for the agents' answers.
#[derive(Debug)]
pub(super) enum Waiter {
    /// A PATCH: the status after it (and the `paused` it sets).
    Patch {
        reply: oneshot::Sender<Result<Status, ControlError>>,
        paused: Option<bool>,
    },
    /// New setup data: the data.
    Setup(oneshot::Sender<SetupAnswer>),
    /// A live scenario change: the scenario after it.
    Scenario {
        name: String,
        reply: oneshot::Sender<Result<ScenarioResource, ChangeError>>,
    },
}

/// Controls waiting for the agents.
#[derive(Debug)]
pub(super) struct Pending {
    waiter: Waiter,
    /// Acks awaited: agent → (seq, what).
    acks: BTreeMap<AgentId, Vec<(u64, What)>>,
    /// Agents whose status after the ack is awaited.
    statuses: BTreeSet<AgentId>,
    /// The first refusal.
    error: Option<(What, String)>,
    /// The agents' scenario states after a scenario change.
    lives: Vec<v1::ScenarioLive>,
    pub(super) until: Instant,
}

impl RunActor {
    pub(super) async fn patch(
        &mut self,
        patch: StatusPatch,
        reply: oneshot::Sender<Result<Status, ControlError>>,
    ) {
        if patch.stopped {
            self.stop().await;
            let _ = reply.send(Ok(self.status()));
            return;
        }
        if self.pending.is_some() {
            let _ = reply.send(Err(ControlError::Pause(BUSY.into())));
            return;
        }
        let mut sends: Vec<(AgentId, Action, What)> = Vec::new();
        if patch.changes_vus() {
            let Some(slot) = self.slots.iter().find(|s| !s.plan.pinned.is_empty()) else {
                let _ = reply.send(Err(ControlError::NotExternallyControlled));
                return;
            };
            if !slot.active() {
                let _ = reply.send(Err(ControlError::ConfigUpdate(format!(
                    "agent {} running the externally-controlled scenario is gone",
                    slot.plan.name
                ))));
                return;
            }
            // As given: the agent running the scenario applies k6's rules
            // (`k6r_core::scale`) to its numbers now and answers with k6's
            // text.
            sends.push((
                slot.plan.id.clone(),
                Action::Scale(v1::Scale {
                    vus: patch.vus,
                    vus_max: patch.vus_max,
                }),
                What::Scale,
            ));
        }
        if let Some(paused) = patch.paused {
            if !matches!(self.phase, Phase::Running) {
                let _ = reply.send(Err(ControlError::Pause(
                    "the test run is not running".into(),
                )));
                return;
            }
            for slot in self.slots.iter().filter(|s| s.active()) {
                let action = if paused {
                    Action::Pause(true)
                } else {
                    Action::Resume(true)
                };
                sends.push((slot.plan.id.clone(), action, What::Pause));
            }
        }
        let waiter = Waiter::Patch {
            reply,
            paused: patch.paused,
        };
        self.dispatch(sends, waiter).await;
    }

    /// Sends each Control and waits for its agent's ack and status (none
    /// to send: answers at once).
    pub(super) async fn dispatch(&mut self, sends: Vec<(AgentId, Action, What)>, waiter: Waiter) {
        let mut acks: BTreeMap<AgentId, Vec<(u64, What)>> = BTreeMap::new();
        for (agent, action, what) in sends {
            self.seq += 1;
            acks.entry(agent.clone())
                .or_default()
                .push((self.seq, what));
            let control = v1::Control {
                run_id: self.id.clone(),
                action: Some(action),
                seq: self.seq,
            };
            self.send(&agent, control).await;
        }
        self.pending = Some(Pending {
            waiter,
            acks,
            statuses: BTreeSet::new(),
            error: None,
            lives: Vec::new(),
            until: Instant::now() + CONTROL_TIMEOUT,
        });
        self.control_settle();
    }

    pub(super) fn control_ack(&mut self, agent: &AgentId, ack: ControlAck) {
        let Some(pending) = &mut self.pending else {
            return;
        };
        let Some(waiting) = pending.acks.get_mut(agent) else {
            return;
        };
        let Some(at) = waiting.iter().position(|(seq, _)| *seq == ack.seq) else {
            return;
        };
        let (_, what) = waiting.remove(at);
        if waiting.is_empty() {
            pending.acks.remove(agent);
        }
        if let Some(live) = ack.scenario {
            // The agent's newest state of the scenario, until its next
            // status: the PATCH's answer and any GET after it show it.
            if let Waiter::Scenario { name, .. } = &pending.waiter {
                let status = self
                    .slots
                    .iter_mut()
                    .filter(|s| s.plan.id == *agent)
                    .flat_map(|s| s.scenarios.iter_mut())
                    .find(|s| s.name == *name);
                if let Some(status) = status {
                    status.live = Some(live);
                }
            }
            pending.lives.push(live);
        }
        // A scenario change is acked at its instant with the scenario
        // after it: no RunStatus to wait for.
        if ack.error.is_empty() {
            if what != What::Scenario {
                pending.statuses.insert(agent.clone());
            }
        } else if pending.error.is_none() {
            pending.error = Some((what, ack.error));
        }
        self.control_settle();
    }

    /// A RunStatus from `agent` arrived.
    pub(super) fn control_status(&mut self, agent: &AgentId) {
        if let Some(pending) = &mut self.pending {
            if !pending.acks.contains_key(agent) {
                pending.statuses.remove(agent);
            }
        }
        self.control_settle();
    }

    fn control_settle(&mut self) {
        let done = self
            .pending
            .as_ref()
            .is_some_and(|p| p.acks.is_empty() && p.statuses.is_empty());
        if done {
            self.control_answer();
        }
    }

    /// The deadline passed (or the run ended): answer with what there is.
    pub(super) fn control_timeout(&mut self) {
        if let Some(pending) = &mut self.pending {
            if let Some((agent, waiting)) = pending.acks.iter().next() {
                let what = waiting.first().map_or(What::Pause, |(_, w)| *w);
                if pending.error.is_none() {
                    pending.error = Some((
                        what,
                        format!(
                            "agent {agent} did not acknowledge the change within {}",
                            humantime::format_duration(CONTROL_TIMEOUT)
                        ),
                    ));
                }
            }
        }
        self.control_answer();
    }

    fn control_answer(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        match pending.waiter {
            Waiter::Patch { reply, paused } => {
                let answer = match pending.error {
                    Some((what, message)) => Err(what.error(message)),
                    None => {
                        if let Some(paused) = paused {
                            self.paused = paused;
                        }
                        Ok(self.status())
                    }
                };
                let _ = reply.send(answer);
            }
            Waiter::Setup(reply) => {
                let answer = match pending.error {
                    Some((_, message)) => Err(SetupError::Failed(message)),
                    None => Ok(self.setup_data.clone()),
                };
                let _ = reply.send(answer);
            }
            Waiter::Scenario { name, reply } => {
                let error = pending.error.map(|(_, message)| message);
                let answer = self.scenario_changed(&name, &pending.lives, error);
                let _ = reply.send(answer);
            }
        }
    }
}
