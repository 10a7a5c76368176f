//! The run actor: one task owns a run from submission to its outcome.
//!
//! It moves through phases (waiting for agents → initializing → setup →
//! running → teardown → finished, or draining after an abort) driven by
//! three inputs, one at a time: the agents' messages (registry events),
//! changes in who is connected (loss), and its own deadlines. Every
//! phase that waits for agents has a deadline. REST requests reach it as
//! [`RunCommand`]s.
//!
//! The exit code is the first failure (an agent's error or abort code, a
//! lost agent under `abort`, a stop, an `abortOnFail` threshold), else 99
//! when a threshold failed at the end, else 0, as k6 decides it.

use std::time::{Duration, SystemTime};

use k6r_api::{OnAgentLoss, RunOutcome, RunView};
use k6r_proto::v1::{
    self, agent_message::Kind, Abort, Archive, Assign, RunSetup, RunTeardown, Start,
};
use tokio::{
    sync::{broadcast, mpsc, watch},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use super::{
    control::Pending,
    merge::{Applied, Merged},
    plan::{self, AgentPlan},
    RunCommand, RunLink, Settings, Submission, ABORT_TIMEOUT, EVALUATION_PERIOD,
    EXIT_CLUSTER_FAILURE, INIT_TIMEOUT, LIFECYCLE_SLACK,
};
use crate::registry::{AgentEvent, AgentId, AgentState, RegistryHandle};

/// How long one message to one agent may wait for room in its queue.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// k6's exit code for a test stopped through the REST API.
const EXIT_STOPPED: i32 = 103;
/// k6's exit code for failed thresholds.
const EXIT_THRESHOLDS: i32 = 99;
/// k6's exit code for a setup or teardown timeout.
const EXIT_TIMEOUT: i32 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Waiting,
    Initializing,
    Setup,
    Running,
    Teardown,
    /// Aborted: waiting for the agents' RunDone.
    Draining,
    Finished,
}

/// One agent's part, as the run follows it.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) plan: AgentPlan,
    pub(super) state: v1::RunState,
    pub(super) lost: bool,
    /// RunDone received.
    pub(super) finished: bool,
    pub(super) vus: u64,
    pub(super) vus_max: u64,
    pub(super) iterations: u64,
    pub(super) interrupted: u64,
    pub(super) started_unix_nanos: Option<i64>,
}

impl Slot {
    /// Still part of the run (not lost, not finished).
    pub(super) fn active(&self) -> bool {
        !self.lost && !self.finished
    }

    fn scenarios_over(&self) -> bool {
        self.lost || self.finished || self.state == v1::RunState::Done
    }

    fn label(&self) -> String {
        format!("{} ({})", self.plan.name, self.plan.segment)
    }
}

pub(super) struct Actor {
    pub(super) id: String,
    pub(super) submission: Submission,
    pub(super) registry: RegistryHandle,
    pub(super) settings: Settings,
    pub(super) phase: Phase,
    pub(super) deadline: Option<Instant>,
    pub(super) slots: Vec<Slot>,
    pub(super) merged: Merged,
    pub(super) setup_data: Option<String>,
    /// The common start, on this clock.
    pub(super) started: Option<Instant>,
    pub(super) scenarios_ended: Option<Instant>,
    pub(super) next_evaluation: Option<Instant>,
    pub(super) first_failure: Option<(i32, String)>,
    pub(super) notes: Vec<String>,
    pub(super) lost: Vec<String>,
    pub(super) stopped: bool,
    pub(super) paused: bool,
    pub(super) seq: u64,
    pub(super) pending: Option<Pending>,
    pub(super) outcome: Option<RunOutcome>,
    pub(super) view_tx: watch::Sender<RunView>,
}

/// Spawns the actor of run `id`; its view and the way to it.
pub(super) fn spawn(
    id: String,
    submission: Submission,
    registry: RegistryHandle,
    settings: Settings,
    shutdown: CancellationToken,
) -> (watch::Receiver<RunView>, RunLink) {
    let merged = Merged::new(submission.options.thresholds.clone(), false);
    let (tx, rx) = mpsc::channel(64);
    let actor = Actor {
        id,
        submission,
        registry,
        settings,
        phase: Phase::Waiting,
        deadline: Some(Instant::now() + settings.agents_timeout),
        slots: Vec::new(),
        merged,
        setup_data: None,
        started: None,
        scenarios_ended: None,
        next_evaluation: None,
        first_failure: None,
        notes: Vec::new(),
        lost: Vec::new(),
        stopped: false,
        paused: false,
        seq: 0,
        pending: None,
        outcome: None,
        view_tx: watch::channel(empty_view()).0,
    };
    let view = actor.view_tx.subscribe();
    actor.publish();
    // Subscribe before the task starts, so nothing sent after the Assign
    // can be missed.
    let events = actor.registry.events();
    let connected = actor.registry.subscribe();
    tokio::spawn(actor.run(rx, events, connected, shutdown));
    (view, RunLink { tx })
}

fn empty_view() -> RunView {
    RunView {
        id: String::new(),
        state: k6r_api::RunState::Waiting,
        elapsed_ms: 0,
        vus: 0,
        vus_max: 0,
        iterations: 0,
        interrupted: 0,
        agents: Vec::new(),
        start_skew_ms: None,
        result: None,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Actor {
    #[tracing::instrument(name = "run", skip_all, fields(run = %self.id))]
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<RunCommand>,
        mut events: broadcast::Receiver<AgentEvent>,
        mut connected: watch::Receiver<usize>,
        shutdown: CancellationToken,
    ) {
        self.check_agents().await;
        loop {
            let wake = [
                self.deadline,
                self.next_evaluation,
                self.pending.as_ref().map(|p| p.until),
            ]
            .into_iter()
            .flatten()
            .min();
            tokio::select! {
                _ = shutdown.cancelled(), if self.phase != Phase::Finished => {
                    self.fail(EXIT_CLUSTER_FAILURE, "the coordinator is shutting down".into()).await;
                    self.finish();
                }
                _ = shutdown.cancelled(), if self.phase == Phase::Finished => break,
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    // Replaced by a newer run (or the manager stopped).
                    None => break,
                },
                event = events.recv(), if self.phase != Phase::Finished => match event {
                    Ok(event) => self.event(event).await,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("missed {n} agent messages (the run fell behind)");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                changed = connected.changed(), if self.phase != Phase::Finished => {
                    if changed.is_err() {
                        break;
                    }
                    self.check_agents().await;
                }
                _ = sleep_until(wake) => self.timer().await,
            }
            self.progress().await;
            self.publish();
        }
        tracing::debug!("run actor ended");
    }

    /// Sends `message` to `agent`; a failure is logged (loss is noticed
    /// through the registry).
    pub(super) async fn send(&self, agent: &AgentId, message: impl Into<v1::CoordinatorMessage>) {
        let sent = tokio::time::timeout(SEND_TIMEOUT, self.registry.send_to(agent, message)).await;
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(%agent, "cannot reach the agent: {e}"),
            Err(_) => tracing::warn!(%agent, "the agent's queue stayed full"),
        }
    }

    /// Notes the first failure: it decides the exit code.
    fn failure(&mut self, code: i32, message: String) {
        tracing::warn!(code, "{message}");
        if self.first_failure.is_none() {
            self.first_failure = Some((code, message));
        }
    }

    /// Fails the run: every active agent gets Abort, then the run drains.
    pub(super) async fn fail(&mut self, code: i32, message: String) {
        self.failure(code, message.clone());
        if matches!(self.phase, Phase::Finished | Phase::Draining) {
            return;
        }
        if self.phase == Phase::Waiting {
            self.finish();
            return;
        }
        let targets: Vec<AgentId> = self
            .slots
            .iter()
            .filter(|s| s.active())
            .map(|s| s.plan.id.clone())
            .collect();
        for agent in &targets {
            let abort = Abort {
                run_id: self.id.clone(),
                exit_code: code,
                reason: message.clone(),
            };
            self.send(agent, abort).await;
        }
        if self.started.is_some() && self.scenarios_ended.is_none() {
            self.scenarios_ended = Some(Instant::now());
        }
        self.enter(Phase::Draining, Some(ABORT_TIMEOUT));
    }

    fn enter(&mut self, phase: Phase, within: Option<Duration>) {
        tracing::debug!(?phase, "run phase");
        self.phase = phase;
        self.deadline = within.map(|d| Instant::now() + d);
    }

    async fn command(&mut self, command: RunCommand) {
        match command {
            RunCommand::Stop(reply) => {
                self.stop().await;
                let _ = reply.send(());
            }
            RunCommand::Status(reply) => {
                let _ = reply.send(self.status());
            }
            RunCommand::Patch(patch, reply) => self.patch(patch, reply).await,
            RunCommand::Metrics(reply) => {
                let _ = reply.send(self.merged.resources(self.elapsed()));
            }
            RunCommand::Groups(reply) => {
                let _ = reply.send(self.merged.groups());
            }
        }
    }

    /// `stopped: true`: before the start the run is aborted; once running,
    /// every agent stops starting iterations and drains.
    pub(super) async fn stop(&mut self) {
        if self.stopped || self.phase == Phase::Finished {
            return;
        }
        self.stopped = true;
        let message = "test run stopped from REST API".to_owned();
        if self.phase != Phase::Running {
            self.fail(EXIT_STOPPED, message).await;
            return;
        }
        self.failure(EXIT_STOPPED, message);
        self.seq += 1;
        let targets: Vec<AgentId> = self
            .slots
            .iter()
            .filter(|s| s.active())
            .map(|s| s.plan.id.clone())
            .collect();
        for agent in &targets {
            let control = v1::Control {
                run_id: self.id.clone(),
                action: Some(v1::control::Action::Stop(true)),
                seq: self.seq,
            };
            self.send(agent, control).await;
        }
    }

    async fn event(&mut self, event: AgentEvent) {
        let Some(i) = self.slots.iter().position(|s| s.plan.id == event.agent) else {
            return;
        };
        match event.message {
            Kind::Status(status) if status.run_id == self.id => {
                let slot = &mut self.slots[i];
                slot.state = v1::RunState::try_from(status.state).unwrap_or(slot.state);
                slot.vus = status.vus;
                slot.vus_max = status.vus_max;
                slot.iterations = status.iterations_complete;
                slot.interrupted = status.iterations_interrupted;
                if status.started_unix_nanos != 0 {
                    slot.started_unix_nanos = Some(status.started_unix_nanos);
                }
                self.control_status(&event.agent);
            }
            Kind::Metrics(delta) if delta.run_id == self.id => {
                match self
                    .merged
                    .apply(&event.agent, delta.seq, &delta.delta_json)
                {
                    Applied::Merged => {}
                    Applied::AfterGap(n) => {
                        tracing::warn!(agent = %event.agent, seq = delta.seq, "{n} metric deltas missing before this one")
                    }
                    Applied::Duplicate => {
                        tracing::debug!(agent = %event.agent, seq = delta.seq, "duplicate metric delta dropped")
                    }
                    Applied::Invalid(e) => {
                        tracing::warn!(agent = %event.agent, seq = delta.seq, "bad metric delta: {e}")
                    }
                }
            }
            Kind::SetupDone(done) if done.run_id == self.id => {
                if self.phase != Phase::Setup || !self.slots[i].plan.lead {
                    return;
                }
                if !done.error.is_empty() || done.exit_code != 0 {
                    let code = if done.exit_code == 0 {
                        107
                    } else {
                        done.exit_code
                    };
                    self.fail(code, format!("setup() failed: {}", done.error))
                        .await;
                    return;
                }
                let data = done.data_json;
                self.setup_data = (!data.is_empty() && data != "null").then_some(data);
                self.start().await;
            }
            Kind::Done(done) if done.run_id == self.id => {
                self.slots[i].finished = true;
                if done.exit_code != 0 {
                    let name = self.slots[i].plan.name.clone();
                    let message = if done.message.is_empty() {
                        format!("agent {name} ended with exit code {}", done.exit_code)
                    } else {
                        format!("agent {name}: {}", done.message)
                    };
                    self.fail(done.exit_code, message).await;
                } else if !done.teardown_error.is_empty() {
                    self.notes
                        .push(format!("teardown() failed: {}", done.teardown_error));
                }
            }
            Kind::Error(error) if error.run_id == self.id => {
                let name = self.slots[i].plan.name.clone();
                self.slots[i].finished = true;
                let code = if error.exit_code == 0 {
                    EXIT_CLUSTER_FAILURE
                } else {
                    error.exit_code
                };
                self.fail(code, format!("agent {name}: {}", error.message))
                    .await;
            }
            Kind::ControlAck(ack) if ack.run_id == self.id => {
                self.control_ack(&event.agent, ack);
            }
            _ => {}
        }
    }

    /// Notices lost agents (and, while waiting, enough connected ones).
    async fn check_agents(&mut self) {
        let Ok(agents) = self.registry.list().await else {
            return;
        };
        if self.phase == Phase::Waiting {
            let wanted = self.submission.agents.unwrap_or(self.settings.agents);
            let mut ready: Vec<(AgentId, String)> = agents
                .iter()
                .filter(|a| a.state == AgentState::Connected)
                .map(|a| (a.id.clone(), a.name.clone()))
                .collect();
            if ready.len() >= wanted {
                ready.sort_by(|a, b| a.1.cmp(&b.1));
                ready.truncate(wanted);
                self.assign(ready).await;
            }
            return;
        }
        let gone: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.active())
            .filter(|(_, s)| {
                agents
                    .iter()
                    .find(|a| a.id == s.plan.id)
                    .is_none_or(|a| a.state != AgentState::Connected)
            })
            .map(|(i, _)| i)
            .collect();
        for i in gone {
            self.lose(i).await;
        }
    }

    async fn lose(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        slot.lost = true;
        let label = slot.label();
        let mut what = format!("agent {label} was lost");
        if !slot.plan.pinned.is_empty() {
            what.push_str(&format!(
                ", with the externally-controlled scenario {} pinned to it",
                slot.plan.pinned.join(", ")
            ));
        }
        let lead = slot.plan.lead;
        self.lost.push(label);
        if self.phase == Phase::Finished {
            return;
        }
        let must_abort = self.submission.on_agent_loss == OnAgentLoss::Abort
            || (lead && matches!(self.phase, Phase::Setup | Phase::Initializing));
        if must_abort {
            self.fail(
                k6r_api::EXIT_AGENT_LOST,
                format!("{what}; the run was aborted (--on-agent-loss abort)"),
            )
            .await;
        } else {
            tracing::warn!("{what}; the run goes on without it");
            self.notes
                .push(format!("{what}; the run went on without it"));
        }
    }

    async fn assign(&mut self, agents: Vec<(AgentId, String)>) {
        let weights = self.submission.weights.clone();
        let plan = plan::split(
            agents,
            |name| weights.get(name).copied().unwrap_or(1),
            &self.submission.pinned,
        );
        tracing::info!(sequence = %plan.sequence, agents = plan.agents.len(), "assigning the run");
        self.slots = plan
            .agents
            .into_iter()
            .map(|plan| Slot {
                plan,
                state: v1::RunState::Unspecified,
                lost: false,
                finished: false,
                vus: 0,
                vus_max: 0,
                iterations: 0,
                interrupted: 0,
                started_unix_nanos: None,
            })
            .collect();
        self.enter(Phase::Initializing, Some(INIT_TIMEOUT));
        let archive = Archive {
            entry: self.submission.entry.clone(),
            files: self
                .submission
                .files
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        for i in 0..self.slots.len() {
            let p = &self.slots[i].plan;
            let assign = Assign {
                run_id: self.id.clone(),
                archive: Some(archive.clone()),
                options_json: self.submission.options_json.clone(),
                execution_segment: p.segment.clone(),
                execution_segment_sequence: plan.sequence.clone(),
                pinned_scenarios: p.pinned.clone(),
                excluded_scenarios: p.excluded.clone(),
                env: self.submission.env.clone().into_iter().collect(),
                metrics_interval_ms: 1000,
                lead: p.lead,
            };
            let id = p.id.clone();
            self.send(&id, assign).await;
        }
    }

    /// Setup on the lead when the script has one, else the start.
    async fn setup_or_start(&mut self) {
        let lead = self.slots.iter().find(|s| s.plan.lead && s.active());
        match lead {
            Some(lead) if self.submission.run_setup => {
                let id = lead.plan.id.clone();
                let within = self.submission.options.setup_timeout().to_std() + LIFECYCLE_SLACK;
                self.enter(Phase::Setup, Some(within));
                let setup = RunSetup {
                    run_id: self.id.clone(),
                };
                self.send(&id, setup).await;
            }
            _ => self.start().await,
        }
    }

    /// Start at a common instant, with the setup data.
    async fn start(&mut self) {
        let delay = self.settings.start_delay;
        let at = SystemTime::now() + delay;
        let nanos = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let started = Instant::now() + delay;
        self.started = Some(started);
        self.next_evaluation = Some(started + EVALUATION_PERIOD);
        self.enter(Phase::Running, None);
        let targets: Vec<AgentId> = self
            .slots
            .iter()
            .filter(|s| s.active())
            .map(|s| s.plan.id.clone())
            .collect();
        for agent in &targets {
            let start = Start {
                run_id: self.id.clone(),
                start_unix_nanos: nanos,
                setup_data_json: self.setup_data.clone().unwrap_or_default(),
            };
            self.send(agent, start).await;
        }
    }

    async fn timer(&mut self) {
        let now = Instant::now();
        if self.pending.as_ref().is_some_and(|p| p.until <= now) {
            self.control_timeout();
        }
        if self.next_evaluation.is_some_and(|t| t <= now) {
            self.next_evaluation = Some(now + EVALUATION_PERIOD);
            if self.phase == Phase::Running {
                let elapsed = self.elapsed();
                if let Some(eval) = self.merged.evaluate(elapsed, true) {
                    if eval.abort {
                        self.fail(EXIT_THRESHOLDS, eval.abort_message()).await;
                    }
                }
            }
        }
        if self.deadline.is_none_or(|d| d > now) {
            return;
        }
        self.deadline = None;
        match self.phase {
            Phase::Waiting => {
                let names: Vec<String> = self
                    .registry
                    .list()
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.state == AgentState::Connected)
                    .map(|a| a.name)
                    .collect();
                let wanted = self.submission.agents.unwrap_or(self.settings.agents);
                let message = format!(
                    "waited {} for {wanted} agents, {} connected{}{}",
                    humantime::format_duration(self.settings.agents_timeout),
                    names.len(),
                    if names.is_empty() { "" } else { ": " },
                    names.join(", ")
                );
                self.failure(EXIT_CLUSTER_FAILURE, message);
                self.finish();
            }
            Phase::Initializing => {
                let late: Vec<String> = self
                    .slots
                    .iter()
                    .filter(|s| s.active() && s.state != v1::RunState::Ready)
                    .map(|s| s.plan.name.clone())
                    .collect();
                let message = format!(
                    "agents not ready within {}: {}",
                    humantime::format_duration(INIT_TIMEOUT),
                    late.join(", ")
                );
                self.fail(EXIT_CLUSTER_FAILURE, message).await;
            }
            Phase::Setup => {
                self.fail(EXIT_TIMEOUT, "setup() timed out on the lead agent".into())
                    .await;
            }
            Phase::Teardown => {
                self.failure(
                    EXIT_TIMEOUT,
                    "teardown() timed out on the lead agent".into(),
                );
                self.finish();
            }
            Phase::Draining => {
                let late: Vec<String> = self
                    .slots
                    .iter()
                    .filter(|s| s.active())
                    .map(|s| s.plan.name.clone())
                    .collect();
                self.notes
                    .push(format!("no RunDone from: {}", late.join(", ")));
                self.finish();
            }
            Phase::Running | Phase::Finished => {}
        }
    }

    /// Moves on when every agent reached the phase's goal.
    async fn progress(&mut self) {
        match self.phase {
            Phase::Initializing => {
                let all_ready = self
                    .slots
                    .iter()
                    .filter(|s| !s.lost)
                    .all(|s| s.state == v1::RunState::Ready);
                if all_ready && self.slots.iter().any(|s| !s.lost) {
                    self.setup_or_start().await;
                }
            }
            Phase::Running => {
                if !self.slots.iter().all(Slot::scenarios_over) {
                    return;
                }
                self.scenarios_ended = Some(Instant::now());
                let lead = self.slots.iter().find(|s| s.plan.lead && s.active());
                match lead {
                    Some(lead) => {
                        let id = lead.plan.id.clone();
                        let within =
                            self.submission.options.teardown_timeout().to_std() + LIFECYCLE_SLACK;
                        self.enter(Phase::Teardown, Some(within));
                        let teardown = RunTeardown {
                            run_id: self.id.clone(),
                            setup_data_json: self.setup_data.clone().unwrap_or_default(),
                        };
                        self.send(&id, teardown).await;
                    }
                    None => self.finish(),
                }
            }
            Phase::Teardown => {
                if !self.slots.iter().any(|s| s.plan.lead && s.active()) {
                    self.finish();
                }
            }
            Phase::Draining => {
                if !self.slots.iter().any(Slot::active) {
                    self.finish();
                }
            }
            Phase::Waiting | Phase::Setup | Phase::Finished => {}
        }
    }

    /// Time since the common start (zero before it).
    pub(super) fn elapsed(&self) -> Duration {
        let end = self.scenarios_ended.unwrap_or_else(Instant::now);
        self.started
            .map(|s| end.saturating_duration_since(s))
            .unwrap_or_default()
    }

    /// Decides the outcome.
    pub(super) fn finish(&mut self) {
        if self.phase == Phase::Finished {
            return;
        }
        if self.started.is_some() && self.scenarios_ended.is_none() {
            self.scenarios_ended = Some(Instant::now());
        }
        let elapsed = self.elapsed();
        let last = if self.started.is_some() {
            self.merged.evaluate(elapsed, false)
        } else {
            None
        };
        let (exit_code, mut message) = match (&self.first_failure, last) {
            (Some((code, message)), _) => (*code, message.clone()),
            (None, Some(eval)) if !eval.passed() => (EXIT_THRESHOLDS, eval.crossed_message()),
            _ => (0, String::new()),
        };
        for note in &self.notes {
            if !message.is_empty() {
                message.push_str("; ");
            }
            message.push_str(note);
        }
        tracing::info!(exit_code, "run finished: {message}");
        self.outcome = Some(RunOutcome {
            exit_code,
            message,
            partial: !self.lost.is_empty(),
            lost_agents: self.lost.clone(),
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            metrics: self.merged.to_json(),
            setup_data: self.setup_data.clone(),
        });
        self.phase = Phase::Finished;
        self.deadline = None;
        self.next_evaluation = None;
        self.control_timeout();
    }
}
