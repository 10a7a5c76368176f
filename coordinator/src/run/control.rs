//! Live control through the agents: a `PATCH /v1/status` becomes
//! `Control` messages (scale → the agent with the externally-controlled
//! scenario; pause/resume → every agent), and is answered once each of
//! them acknowledged it and reported its status after it, or after
//! [`CONTROL_TIMEOUT`].

use std::collections::{BTreeMap, BTreeSet};

use k6r_api::Status;
use k6r_proto::v1::{self, control::Action, ControlAck};
use k6r_rest::{ControlError, StatusPatch};
use tokio::{sync::oneshot, time::Instant};

use super::{
    actor::{Actor, Phase},
    CONTROL_TIMEOUT,
};
use crate::registry::AgentId;

/// What a Control was, to pick k6's error when it is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    Scale,
    Pause,
}

impl What {
    fn error(self, message: String) -> ControlError {
        match self {
            What::Scale => ControlError::ConfigUpdate(message),
            What::Pause => ControlError::Pause(message),
        }
    }
}

/// A PATCH waiting for the agents.
#[derive(Debug)]
pub(super) struct Pending {
    reply: oneshot::Sender<Result<Status, ControlError>>,
    /// Acks awaited: agent → (seq, what).
    acks: BTreeMap<AgentId, Vec<(u64, What)>>,
    /// Agents whose status after the ack is awaited.
    statuses: BTreeSet<AgentId>,
    error: Option<ControlError>,
    paused: Option<bool>,
    pub(super) until: Instant,
}

impl Actor {
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
            let _ = reply.send(Err(ControlError::Pause(
                "another status change is being applied".into(),
            )));
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
            let negative =
                || ControlError::ConfigUpdate("the number of VUs can't be negative".into());
            let vus = patch
                .vus
                .map(u64::try_from)
                .transpose()
                .map_err(|_| negative());
            let vus_max = patch
                .vus_max
                .map(u64::try_from)
                .transpose()
                .map_err(|_| negative());
            let (vus, vus_max) = match (vus, vus_max) {
                (Ok(v), Ok(m)) => (v, m),
                (Err(e), _) | (_, Err(e)) => {
                    let _ = reply.send(Err(e));
                    return;
                }
            };
            sends.push((
                slot.plan.id.clone(),
                Action::Scale(v1::Scale { vus, vus_max }),
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
        if sends.is_empty() {
            let _ = reply.send(Ok(self.status()));
            return;
        }
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
            reply,
            acks,
            statuses: BTreeSet::new(),
            error: None,
            paused: patch.paused,
            until: Instant::now() + CONTROL_TIMEOUT,
        });
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
        if ack.error.is_empty() {
            pending.statuses.insert(agent.clone());
        } else if pending.error.is_none() {
            pending.error = Some(what.error(ack.error));
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
                    pending.error = Some(what.error(format!(
                        "agent {agent} did not acknowledge the change within {}",
                        humantime::format_duration(CONTROL_TIMEOUT)
                    )));
                }
            }
        }
        self.control_answer();
    }

    fn control_answer(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let answer = match pending.error {
            Some(e) => Err(e),
            None => {
                if let Some(paused) = pending.paused {
                    self.paused = paused;
                }
                Ok(self.status())
            }
        };
        let _ = pending.reply.send(answer);
    }
}
