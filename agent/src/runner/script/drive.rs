//! One run on this agent, from Assign to RunDone: the task that owns the
//! run's state, feeds the runner's start gate and teardown, and reports.
//!
//! ```text
//! inbox (Assign's followers) ──▶ drive ──Remote commands──▶ k6r_runner::run
//!                                  ▲ ◀──events: Ready/Started/ScenariosEnded
//!                                  └─ ticks: RunStatus 1 s, MetricDelta per interval
//! ```
//!
//! Ordering: the last MetricDelta always precedes RunStatus DONE and
//! RunDone; the lead reports DONE, then waits for RunTeardown (or Abort,
//! or `teardownTimeout` + 60 s) before RunDone.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k6r_core::capacity::ControlledMax;
use k6r_core::exit::ExitCode;
use k6r_engine::{ControlHandle, Progress};
use k6r_proto::convert::from_unix_nanos;
use k6r_proto::v1::{self, RunState};
use k6r_runner::metrics::Metrics;
use k6r_runner::remote::{DriveCommand, DriveEvent, StageOutcome};
use k6r_runner::{Driver, End, Remote, RunResult, SetupHandle};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::prepare::{self, Prepared};
use super::report::Reporter;
use super::Input;
use crate::runner::{Command, Uplink};

/// How long the lead waits for RunTeardown beyond `teardownTimeout`.
const TEARDOWN_MARGIN: Duration = Duration::from_secs(60);

/// How often a running agent reports its RunStatus.
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// The state of one run, owned by its [`drive`] task.
pub(crate) struct Run {
    pub(super) reporter: Reporter,
    lead: bool,
    metrics: Metrics,
    commands: Option<mpsc::Sender<DriveCommand>>,
    pub(super) progress: Option<Progress>,
    pub(super) controls: Vec<ControlHandle>,
    /// Every scenario's live-change handle.
    pub(super) steering: Vec<k6r_engine::Steer>,
    /// The run's setup data and setup() on request, once initialised.
    pub(super) setup: Option<SetupHandle>,
    /// Start received: from here on a RunSetup runs beside the scenarios.
    begun: bool,
    pub(super) state: RunState,
    started: Option<SystemTime>,
    /// Cancelling it interrupts the scenarios (Abort, Control stop, a
    /// drain before the start).
    pub(super) stop: CancellationToken,
    /// Cancelling it drains the scenarios: no new iterations, running ones
    /// get gracefulStop (SIGTERM once started).
    drain: CancellationToken,
    abort: Option<(i32, String)>,
    /// `exec.test.abort(reason)` ended the scenarios here.
    script_abort: Option<String>,
    /// Exit code of a stop asked for from outside (Control stop, drain).
    pub(super) stopped_with: Option<i32>,
    setup_reply: Option<oneshot::Receiver<StageOutcome>>,
    /// A `setup()` run during the run (beside the scenarios); ended with
    /// the run if it is still going.
    setup_task: Option<tokio::task::JoinHandle<()>>,
    teardown_reply: Option<oneshot::Receiver<StageOutcome>>,
    teardown_deadline: Option<Instant>,
    teardown_timeout: Duration,
    teardown_error: String,
    /// The VUs this agent holds: a scale past it is refused.
    /// The most `maxVUs` the pinned scenario may grow to here (known once
    /// the VUs are initialised).
    pub(super) controlled_max: Option<ControlledMax>,
}

/// Runs `assign` to its end; `cancel` (the session ended) stops it.
pub(crate) async fn drive(
    assign: Box<v1::Assign>,
    uplink: Uplink,
    inbox: mpsc::Receiver<Input>,
    cancel: CancellationToken,
    host: super::Host,
) {
    let reporter = Reporter::new(uplink, assign.run_id.clone(), assign.report_cpu);
    reporter
        .status(RunState::Initializing, None, None, &[], None, 0)
        .await;
    let interval = match assign.metrics_interval_ms {
        0 => Duration::from_secs(1),
        ms => Duration::from_millis(u64::from(ms)),
    };
    let lead = assign.lead;
    let prepared = tokio::select! {
        prepared = tokio::task::spawn_blocking(move || prepare::prepare(&assign, host)) => prepared,
        () = cancel.cancelled() => return,
    };
    let Prepared {
        config,
        metrics,
        teardown_timeout,
    } = match prepared {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(e)) => return reporter.error(e.exit_code(), e.to_string()).await,
        Err(e) => {
            return reporter
                .error(
                    ExitCode::Failure.code(),
                    format!("loading the script failed: {e}"),
                )
                .await
        }
    };
    let (remote, driver) = Remote::new();
    let Driver { commands, events } = driver;
    let stop = cancel.child_token();
    let drain = CancellationToken::new();
    let config = config.with_remote(remote).with_drain(drain.clone());
    let run = tokio::spawn(k6r_runner::run(config, stop.clone()));
    let mut run_state = Run {
        reporter,
        lead,
        metrics,
        commands: Some(commands),
        progress: None,
        controls: Vec::new(),
        steering: Vec::new(),
        setup: None,
        begun: false,
        state: RunState::Initializing,
        started: None,
        stop,
        drain,
        abort: None,
        script_abort: None,
        stopped_with: None,
        setup_reply: None,
        setup_task: None,
        teardown_reply: None,
        teardown_deadline: None,
        teardown_timeout,
        teardown_error: String::new(),
        controlled_max: None,
    };
    run_state.follow(run, events, inbox, cancel, interval).await;
}

impl Run {
    async fn follow(
        &mut self,
        mut run: tokio::task::JoinHandle<k6r_runner::Result<RunResult>>,
        mut events: mpsc::Receiver<DriveEvent>,
        mut inbox: mpsc::Receiver<Input>,
        cancel: CancellationToken,
        interval: Duration,
    ) {
        let mut status_tick = tokio::time::interval(STATUS_EVERY);
        let mut metrics_tick = tokio::time::interval(interval);
        status_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        metrics_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let (mut events_open, mut inbox_open, mut ticking) = (true, true, false);
        let joined = loop {
            tokio::select! {
                joined = &mut run => break joined,
                event = events.recv(), if events_open => match event {
                    Some(DriveEvent::Ready { progress, controls, steering, setup, controlled_max }) => {
                        self.controlled_max = Some(controlled_max);
                        self.progress = Some(progress);
                        self.controls = controls;
                        self.steering = steering;
                        self.setup = Some(setup);
                        self.set_state(RunState::Ready).await;
                    }
                    Some(DriveEvent::Started { at }) => {
                        self.started = Some(at);
                        if self.state == RunState::Ready {
                            self.state = RunState::Running;
                        }
                        self.status().await;
                        status_tick.reset();
                        metrics_tick.reset();
                        ticking = true;
                    }
                    Some(DriveEvent::ScenariosEnded { aborted }) => {
                        ticking = false;
                        self.scenarios_ended(aborted).await;
                    }
                    None => events_open = false,
                },
                input = inbox.recv(), if inbox_open => match input {
                    Some(Input::Command(command)) => self.command(command).await,
                    Some(Input::Drain) => self.drain().await,
                    None => inbox_open = false,
                },
                () = cancel.cancelled(), if self.commands.is_some() => {
                    tracing::warn!(run = %self.reporter.run_id(), "the session ended: stopping the run");
                    self.commands = None;
                    self.teardown_deadline = None;
                }
                _ = status_tick.tick(), if ticking => self.status().await,
                _ = metrics_tick.tick(), if ticking => self.reporter.delta(&self.metrics).await,
                () = sleep_until(self.teardown_deadline), if self.teardown_deadline.is_some() => {
                    tracing::warn!(run = %self.reporter.run_id(), "no RunTeardown in time: ending without teardown");
                    self.teardown_deadline = None;
                    self.commands = None;
                }
                outcome = reply(&mut self.setup_reply), if self.setup_reply.is_some() => {
                    self.setup_reply = None;
                    self.setup_done(outcome).await;
                }
                outcome = reply(&mut self.teardown_reply), if self.teardown_reply.is_some() => {
                    self.teardown_reply = None;
                    self.teardown_done(outcome);
                }
            }
        };
        if let Some(task) = self.setup_task.take() {
            task.abort();
            let _ = task.await;
        }
        if let Some(mut rx) = self.teardown_reply.take() {
            if let Ok(outcome) = rx.try_recv() {
                self.teardown_done(Some(outcome));
            }
        }
        self.finish(joined).await;
    }

    pub(super) async fn status(&self) {
        let exit_code = match (&self.script_abort, self.state) {
            (Some(_), RunState::Done) => ExitCode::ScriptAborted.code(),
            _ => 0,
        };
        let configured = self.configured().await;
        self.reporter
            .status(
                self.state,
                self.progress.as_ref(),
                configured,
                &self.steering,
                self.started,
                exit_code,
            )
            .await;
    }

    pub(super) async fn set_state(&mut self, state: RunState) {
        self.state = state;
        self.status().await;
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Assign(assign) => {
                let message = format!("busy with run {}", self.reporter.run_id());
                tracing::warn!(run = %assign.run_id, "refused Assign: {message}");
                self.reporter.error(super::EXIT_BUSY, message).await;
            }
            Command::RunSetup(_) => {
                let (reply, rx) = oneshot::channel();
                match &self.setup {
                    // During the run (POST /v1/setup on the coordinator):
                    // beside the scenarios; the handle stores the data.
                    Some(setup) if self.begun => {
                        let work = setup.run_setup();
                        self.setup_task = Some(tokio::spawn(async move {
                            let _ = reply.send(work.await);
                        }));
                        self.setup_reply = Some(rx);
                    }
                    _ => {
                        if self.remote(DriveCommand::Setup { reply }) {
                            self.setup_reply = Some(rx);
                        }
                    }
                }
            }
            Command::Start(start) => {
                if let Some(setup) = &self.setup {
                    setup.set_data(data_of(&start.setup_data_json));
                }
                self.begun = true;
                let at = from_unix_nanos(start.start_unix_nanos);
                self.remote(DriveCommand::Start { at });
            }
            Command::Control(control) => self.control(control).await,
            Command::RunTeardown(teardown) => {
                if self.state != RunState::Done || !self.lead {
                    tracing::warn!(run = %self.reporter.run_id(), "ignored RunTeardown: not the lead, or the scenarios still run");
                    return;
                }
                let data = data_of(&teardown.setup_data_json);
                let (reply, rx) = oneshot::channel();
                if self.remote(DriveCommand::Teardown { data, reply }) {
                    self.teardown_reply = Some(rx);
                    self.teardown_deadline = None;
                }
            }
            Command::Abort(abort) => {
                tracing::warn!(run = %self.reporter.run_id(), "aborted: {}", abort.reason);
                self.abort = Some((abort.exit_code, abort.reason));
                self.stop.cancel();
                // The lead of a started run still waits for RunTeardown:
                // teardown runs after an abort, as in k6. Otherwise the
                // runner ends as soon as it can.
                if !self.lead || self.started.is_none() {
                    self.commands = None;
                    self.teardown_deadline = None;
                }
            }
        }
    }

    /// Sends a command to the runner; `false` when it no longer listens.
    fn remote(&self, command: DriveCommand) -> bool {
        match &self.commands {
            Some(commands) => commands.try_send(command).is_ok(),
            None => false,
        }
    }

    /// SIGTERM: report DRAINING; once started, no new iterations and
    /// running ones get gracefulStop (before the start: stop at once).
    async fn drain(&mut self) {
        self.stopped_with
            .get_or_insert(ExitCode::ExternalAbort.code());
        if self.started.is_some() {
            self.drain.cancel();
        } else {
            self.stop.cancel();
        }
        if !matches!(self.state, RunState::Done) {
            self.set_state(RunState::Draining).await;
        }
        // Draining: no teardown is waited for.
        self.commands = None;
        self.teardown_deadline = None;
    }

    async fn scenarios_ended(&mut self, aborted: Option<String>) {
        self.reporter.delta(&self.metrics).await;
        // exec.test.abort() here: DONE carries 108 so the coordinator stops
        // the other agents now, not after this agent's teardown.
        if let Some(reason) = aborted {
            self.script_abort = Some(reason);
        }
        self.set_state(RunState::Done).await;
        if self.lead && self.commands.is_some() && self.started.is_some() {
            self.teardown_deadline = Some(Instant::now() + self.teardown_timeout + TEARDOWN_MARGIN);
        } else {
            self.commands = None;
        }
    }

    async fn setup_done(&self, outcome: Option<StageOutcome>) {
        let (data, error, code) = match outcome {
            Some(StageOutcome::Returned(value)) => {
                (value.unwrap_or_else(|| "null".into()), String::new(), 0)
            }
            Some(StageOutcome::Aborted(reason)) => (
                String::new(),
                format!(
                    "test aborted{}",
                    reason.map(|r| format!(": {r}")).unwrap_or_default()
                ),
                ExitCode::ScriptAborted.code(),
            ),
            Some(StageOutcome::Interrupted) | None => (
                String::new(),
                "setup() was interrupted".into(),
                ExitCode::ExternalAbort.code(),
            ),
            Some(StageOutcome::Failed { exit_code, message }) => {
                (String::new(), message, exit_code)
            }
        };
        self.reporter.setup_done(data, error, code).await;
    }

    fn teardown_done(&mut self, outcome: Option<StageOutcome>) {
        self.teardown_error = match outcome {
            Some(StageOutcome::Failed { message, .. }) => message,
            _ => String::new(),
        };
    }

    /// The runner returned: last delta, DONE, RunDone (or an AgentError
    /// when it never got to READY).
    async fn finish(
        &mut self,
        joined: Result<k6r_runner::Result<RunResult>, tokio::task::JoinError>,
    ) {
        self.reporter.delta(&self.metrics).await;
        let result = match joined {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => return self.reporter.error(e.exit_code(), e.to_string()).await,
            Err(e) => {
                return self
                    .reporter
                    .error(ExitCode::Failure.code(), format!("the run failed: {e}"))
                    .await
            }
        };
        if self.progress.is_none() {
            if let Some(error) = &result.error {
                return self
                    .reporter
                    .error(error.exit_code(), error.to_string())
                    .await;
            }
        }
        if self.state != RunState::Done {
            self.set_state(RunState::Done).await;
        }
        let (code, message) = self.outcome(&result);
        let teardown_error = std::mem::take(&mut self.teardown_error);
        self.reporter.done(code, message, teardown_error).await;
    }

    fn outcome(&self, result: &RunResult) -> (i32, String) {
        if let Some((code, reason)) = &self.abort {
            return (*code, reason.clone());
        }
        if let Some(error) = &result.error {
            return (error.exit_code(), error.to_string());
        }
        match (&result.end, self.stopped_with) {
            (End::Stopped, Some(code)) => (code, "the run was stopped".into()),
            (End::Aborted(reason), _) => (
                result.exit_code(),
                format!(
                    "test aborted{}",
                    reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            ),
            _ => (result.exit_code(), String::new()),
        }
    }
}

impl Run {
    /// Whether the scenarios have started.
    pub(super) fn has_started(&self) -> bool {
        self.started.is_some()
    }

    /// Control stop: no new iterations; the exit code of a REST stop.
    pub(super) fn stop_by_control(&mut self) {
        self.stopped_with.get_or_insert(ExitCode::Stopped.code());
        self.stop.cancel();
    }
}

/// Setup data as the coordinator sends it (empty or `null`: none).
pub(super) fn data_of(json: &str) -> Option<Arc<str>> {
    k6r_core::setup_data::present(json).map(Arc::from)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn reply(rx: &mut Option<oneshot::Receiver<StageOutcome>>) -> Option<StageOutcome> {
    match rx {
        Some(rx) => rx.await.ok(),
        None => std::future::pending().await,
    }
}
