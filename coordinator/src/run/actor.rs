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

use std::time::Duration;

use k6r_api::{RunOutcome, RunView};
use k6r_core::exit::ExitCode;
use k6r_proto::v1::{self, agent_message::Kind, Abort};
use tokio::{
    sync::{mpsc, watch},
    task::JoinSet,
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use super::{
    control::Pending, merge::Applied, plan::AgentPlan, setup::SetupRun, RunCommand, RunLink,
    Settings, Submission, ABORT_TIMEOUT,
};
use crate::registry::{AgentEvent, AgentId, RegistryHandle};

/// How long one message to one agent may wait for room in its queue.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a run the coordinator's shutdown stopped failed.
const SHUTDOWN_MESSAGE: &str = "test run was aborted because the coordinator is shutting down";

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
    /// Each scenario's part here, from the last status.
    pub(super) scenarios: Vec<v1::ScenarioStatus>,
    /// Its process's and threads' CPU time, from the last status.
    pub(super) cpu: Vec<v1::ProcessCpu>,
}

impl Slot {
    /// Still part of the run (not lost, not finished).
    pub(super) fn active(&self) -> bool {
        !self.lost && !self.finished
    }

    pub(super) fn scenarios_over(&self) -> bool {
        self.lost || self.finished || self.state == v1::RunState::Done
    }

    pub(super) fn label(&self) -> String {
        format!("{} ({})", self.plan.name, self.plan.segment)
    }

    /// Whether it runs a part of scenario `name`.
    pub(super) fn runs(&self, name: &str) -> bool {
        !self.plan.excluded.iter().any(|e| e == name)
    }

    /// Scenario `name`'s part here, from the last status.
    pub(super) fn status(&self, name: &str) -> Option<&v1::ScenarioStatus> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// Scenario `name`'s state here, from the last status.
    pub(super) fn live(&self, name: &str) -> Option<&v1::ScenarioLive> {
        self.status(name)?.live.as_ref()
    }
}

pub(super) struct RunActor {
    pub(super) id: String,
    pub(super) submission: Submission,
    pub(super) registry: RegistryHandle,
    pub(super) settings: Settings,
    pub(super) phase: Phase,
    pub(super) deadline: Option<Instant>,
    pub(super) slots: Vec<Slot>,
    pub(super) setup_data: Option<String>,
    /// The common start, on this clock.
    pub(super) started: Option<Instant>,
    pub(super) scenarios_ended: Option<Instant>,
    pub(super) next_evaluation: Option<Instant>,
    /// When the VU gauges are next sampled (from the agents' last status).
    pub(super) next_vus_sample: Option<Instant>,
    pub(super) first_failure: Option<(i32, String)>,
    pub(super) notes: Vec<String>,
    pub(super) lost: Vec<String>,
    pub(super) stopped: bool,
    pub(super) paused: bool,
    pub(super) seq: u64,
    pub(super) pending: Option<Pending>,
    /// The live scenario changes applied, in order.
    pub(super) changes: Vec<super::steer::AppliedChange>,
    /// A `POST /v1/setup` waiting for the lead.
    pub(super) setup_run: Option<SetupRun>,
    pub(super) outcome: Option<RunOutcome>,
    pub(super) view_tx: watch::Sender<RunView>,
    /// The autopilot's report as it goes, when one steers the run.
    pub(super) autopilot: Option<watch::Receiver<k6r_core::autopilot::Report>>,
    /// Stops the autopilot's task once the run is over.
    pub(super) pilot_stop: CancellationToken,
}

/// Spawns the actor of run `id` on `tasks` (its owner awaits it); its
/// view and the way to it.
pub(super) fn spawn(
    id: String,
    submission: Submission,
    registry: RegistryHandle,
    settings: Settings,
    shutdown: CancellationToken,
    tasks: &mut JoinSet<()>,
) -> (watch::Receiver<RunView>, RunLink) {
    let (tx, rx) = mpsc::channel(64);
    let link = RunLink { tx };
    let pilot_stop = shutdown.child_token();
    let autopilot = submission.autopilot.as_ref().map(|(plan, names)| {
        super::autopilot::spawn(plan, names.clone(), link.clone(), pilot_stop.clone(), tasks)
    });
    let actor = RunActor {
        id,
        submission,
        registry,
        settings,
        phase: Phase::Waiting,
        deadline: Some(Instant::now() + settings.agents_timeout),
        slots: Vec::new(),
        setup_data: None,
        started: None,
        scenarios_ended: None,
        next_evaluation: None,
        next_vus_sample: None,
        first_failure: None,
        notes: Vec::new(),
        lost: Vec::new(),
        stopped: false,
        paused: false,
        seq: 0,
        pending: None,
        changes: Vec::new(),
        setup_run: None,
        outcome: None,
        view_tx: watch::channel(empty_view()).0,
        autopilot,
        pilot_stop,
    };
    let view = actor.view_tx.subscribe();
    actor.publish();
    // Subscribe before the task starts, so nothing sent after the Assign
    // can be missed.
    let events = actor.registry.events();
    let connected = actor.registry.subscribe();
    tasks.spawn(actor.run(rx, events, connected, shutdown));
    (view, link)
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
        scenarios: Vec::new(),
        start_skew_ms: None,
        result: None,
        autopilot: None,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl RunActor {
    #[tracing::instrument(name = "run", skip_all, fields(run = %self.id))]
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<RunCommand>,
        mut events: mpsc::Receiver<AgentEvent>,
        mut connected: watch::Receiver<usize>,
        shutdown: CancellationToken,
    ) {
        self.check_agents().await;
        // The agents may have been assigned, or the run refused, already.
        self.publish();
        loop {
            let wake = [
                self.deadline,
                self.next_evaluation,
                self.next_vus_sample,
                self.pending.as_ref().map(|p| p.until),
                self.setup_run.as_ref().map(|s| s.until),
            ]
            .into_iter()
            .flatten()
            .min();
            tokio::select! {
                _ = shutdown.cancelled(), if self.phase != Phase::Finished => {
                    self.fail(ExitCode::ExternalAbort.code(), SHUTDOWN_MESSAGE.into()).await;
                    self.finish();
                }
                _ = shutdown.cancelled(), if self.phase == Phase::Finished => break,
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    // Replaced by a newer run (or the manager stopped).
                    None => break,
                },
                event = events.recv(), if self.phase != Phase::Finished => match event {
                    Some(event) => self.event(event).await,
                    // The registry is gone.
                    None => break,
                },
                changed = connected.changed(), if self.phase != Phase::Finished => {
                    if changed.is_err() {
                        break;
                    }
                    self.check_agents().await;
                }
                _ = sleep_until(wake) => self.timer().await,
            }
            self.rerun_setup_step().await;
            self.progress().await;
            self.publish();
        }
        tracing::debug!("run actor ended");
    }

    /// Sends what `message` makes to every agent still in the run.
    pub(super) async fn broadcast<M: Into<v1::CoordinatorMessage>>(&self, message: impl Fn() -> M) {
        let agents: Vec<AgentId> = self
            .slots
            .iter()
            .filter(|s| s.active())
            .map(|s| s.plan.id.clone())
            .collect();
        for agent in &agents {
            self.send(agent, message()).await;
        }
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
    pub(super) fn failure(&mut self, code: i32, message: String) {
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
        self.broadcast(|| Abort {
            run_id: self.id.clone(),
            exit_code: code,
            reason: message.clone(),
        })
        .await;
        if self.started.is_some() && self.scenarios_ended.is_none() {
            self.scenarios_ended = Some(Instant::now());
        }
        self.enter(Phase::Draining, Some(ABORT_TIMEOUT));
    }

    pub(super) fn enter(&mut self, phase: Phase, within: Option<Duration>) {
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
            RunCommand::Shutdown(reply) => {
                self.stop_with(ExitCode::ExternalAbort.code(), SHUTDOWN_MESSAGE)
                    .await;
                let _ = reply.send(());
            }
            RunCommand::Status(reply) => {
                let _ = reply.send(self.status());
            }
            RunCommand::Patch(patch, reply) => self.patch(patch, reply).await,
            RunCommand::Metrics(reply) => {
                let _ = reply.send(self.submission.merged.resources(self.elapsed()));
            }
            RunCommand::Groups(reply) => {
                let _ = reply.send(self.submission.merged.groups());
            }
            RunCommand::Families(reply) => {
                let _ = reply.send(self.families());
            }
            RunCommand::Sample(reply) => {
                let _ = reply.send(self.sample());
            }
            RunCommand::SetupData(reply) => {
                let _ = reply.send(self.setup_data.clone());
            }
            RunCommand::SetSetupData(data, reply) => self.put_setup_data(data, reply).await,
            RunCommand::RunSetup(reply) => self.rerun_setup(reply).await,
            RunCommand::Scenarios(reply) => {
                let _ = reply.send(self.scenarios());
            }
            RunCommand::ChangeScenario(name, change, reply) => {
                self.change_scenario(name, change, reply).await;
            }
            RunCommand::Reading(scenario, metrics, reply) => {
                let _ = reply.send(self.reading(&scenario, &metrics));
            }
            RunCommand::Autopilot(reply) => {
                let _ = reply.send(self.autopilot.as_ref().map(|r| r.borrow().clone()));
            }
        }
    }

    /// `stopped: true`: see [`RunActor::stop_with`].
    pub(super) async fn stop(&mut self) {
        self.stop_with(ExitCode::Stopped.code(), "test run stopped from REST API")
            .await;
    }

    /// Stops the run (`stopped: true`, or the coordinator's shutdown),
    /// failing it with `code` and `message`: before the start the run is
    /// aborted; once running, every agent stops starting iterations and
    /// drains, and teardown and the result follow as after a normal end.
    pub(super) async fn stop_with(&mut self, code: i32, message: &str) {
        if self.stopped || self.phase == Phase::Finished {
            return;
        }
        self.stopped = true;
        let message = message.to_owned();
        if self.phase != Phase::Running {
            self.fail(ExitCode::Stopped.code(), message).await;
            return;
        }
        self.failure(code, message);
        // Stopped agents end their iterations at once: they get as long as
        // aborted ones to report, not the rest of the plan.
        let report_by = Instant::now() + ABORT_TIMEOUT;
        self.deadline = Some(self.deadline.map_or(report_by, |d| d.min(report_by)));
        self.seq += 1;
        self.broadcast(|| v1::Control {
            run_id: self.id.clone(),
            action: Some(v1::control::Action::Stop(true)),
            seq: self.seq,
        })
        .await;
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
                slot.scenarios = status.scenarios;
                slot.cpu = status.cpu;
                if status.started_unix_nanos != 0 {
                    slot.started_unix_nanos = Some(status.started_unix_nanos);
                }
                if status.state == i32::from(v1::RunState::Done) && status.exit_code != 0 {
                    // exec.test.abort() on that agent: stop the others now.
                    let name = self.slots[i].plan.name.clone();
                    let message = format!("test aborted on agent {name}");
                    self.fail(status.exit_code, message).await;
                }
                self.control_status(&event.agent);
            }
            Kind::Metrics(delta) if delta.run_id == self.id => {
                match self.submission.merged.apply(&event.agent, &delta) {
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
                if self.phase == Phase::Running && self.slots[i].plan.lead {
                    // A `POST /v1/setup` during the run.
                    self.rerun_setup_done(done).await;
                    return;
                }
                if self.phase != Phase::Setup || !self.slots[i].plan.lead {
                    return;
                }
                if !done.error.is_empty() || done.exit_code != 0 {
                    let code = if done.exit_code == 0 {
                        ExitCode::ScriptException.code()
                    } else {
                        done.exit_code
                    };
                    self.fail(code, format!("setup() failed: {}", done.error))
                        .await;
                    return;
                }
                let data = done.data_json;
                self.setup_data = k6r_core::setup_data::present(&data).map(str::to_owned);
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
                    if done.exit_code == ExitCode::MarkedFailed.code() {
                        // The others run on; the code decides the end.
                        self.failure(done.exit_code, message);
                    } else {
                        self.fail(done.exit_code, message).await;
                    }
                } else if !done.teardown_error.is_empty() {
                    self.notes
                        .push(format!("teardown() failed: {}", done.teardown_error));
                }
            }
            Kind::Error(error) if error.run_id == self.id => {
                let name = self.slots[i].plan.name.clone();
                self.slots[i].finished = true;
                let code = if error.exit_code == 0 {
                    ExitCode::Failure.code()
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
}
