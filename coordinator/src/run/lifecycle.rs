//! The run's lifecycle: assignment, setup on the lead, the common start,
//! the deadlines and threshold ticks, teardown, and the outcome.

use std::time::{Duration, SystemTime};

use k6r_api::RunOutcome;
use k6r_core::exit::ExitCode;
use k6r_proto::v1::{self, Archive, Assign, RunSetup, RunTeardown, Start};
use tokio::time::Instant;

use super::{
    actor::{Phase, RunActor, Slot},
    fit, plan,
    view::saturating_sum,
    EVALUATION_PERIOD, INIT_TIMEOUT, LIFECYCLE_SLACK, VUS_SAMPLE_PERIOD,
};
use crate::registry::{AgentId, AgentState, Capacity};

impl RunActor {
    pub(super) async fn assign(
        &mut self,
        agents: Vec<(AgentId, String)>,
        capacity_of: impl Fn(&AgentId) -> Capacity,
    ) {
        let weights = self.submission.weights.clone();
        let plan = plan::split(
            agents,
            |name| weights.get(name).copied().unwrap_or(1),
            &self.submission.pinned,
        );
        if let Err(why) = fit::check(&self.submission.options, &plan, capacity_of) {
            // Still waiting: the run ends before any agent hears of it.
            self.fail(ExitCode::InvalidConfig.code(), why).await;
            return;
        }
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
                scenarios: Vec::new(),
                cpu: Vec::new(),
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
                options: Some(self.submission.wire_options.clone()),
                execution_segment: p.segment.clone(),
                execution_segment_sequence: plan.sequence.clone(),
                pinned_scenarios: p.pinned.clone(),
                excluded_scenarios: p.excluded.clone(),
                env: self.submission.env.clone().into_iter().collect(),
                metrics_interval_ms: super::autopilot::metrics_interval_ms(
                    self.submission.autopilot.is_some(),
                ),
                lead: p.lead,
                breakdown: v1::Breakdown::from(self.submission.breakdown).into(),
                // Only the autopilot reads the agents' CPU.
                report_cpu: self.submission.autopilot.is_some(),
            };
            let id = p.id.clone();
            self.send(&id, assign).await;
        }
    }

    /// Setup on the lead when the script has one, else the start.
    pub(super) async fn setup_or_start(&mut self) {
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
    pub(super) async fn start(&mut self) {
        let delay = self.settings.start_delay;
        let at = SystemTime::now() + delay;
        let nanos = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let started = Instant::now() + delay;
        self.started = Some(started);
        self.next_evaluation = Some(started + EVALUATION_PERIOD);
        // Half a period after the agents' own once-a-second statuses
        // (theirs tick from the start), so a sample reads the latest one
        // rather than racing it.
        self.next_vus_sample = Some(started + VUS_SAMPLE_PERIOD * 3 / 2);
        self.enter(
            Phase::Running,
            running_limit(&self.submission.options).map(|d| d + delay),
        );
        self.broadcast(|| Start {
            run_id: self.id.clone(),
            start_unix_nanos: nanos,
            setup_data_json: self.setup_data.clone().unwrap_or_default(),
        })
        .await;
    }

    pub(super) async fn timer(&mut self) {
        let now = Instant::now();
        if self.pending.as_ref().is_some_and(|p| p.until <= now) {
            self.control_timeout();
        }
        if let Some(at) = self.next_vus_sample.filter(|t| *t <= now) {
            self.next_vus_sample = Some(at + VUS_SAMPLE_PERIOD);
            // While the scenarios run (k6 samples while its VUs are up;
            // the agents' zeros after their end would be the last value).
            let running = !self.slots.iter().all(Slot::scenarios_over);
            if self.phase == Phase::Running && running {
                let vus = saturating_sum(self.slots.iter().map(|s| s.vus));
                let vus_max = saturating_sum(self.slots.iter().map(|s| s.vus_max));
                self.submission.merged.record_vus(vus, vus_max);
            }
        }
        if self.next_evaluation.is_some_and(|t| t <= now) {
            self.next_evaluation = Some(now + EVALUATION_PERIOD);
            if self.phase == Phase::Running {
                let elapsed = self.elapsed();
                if let Some(eval) = self.submission.merged.evaluate(elapsed, true) {
                    if eval.abort {
                        self.fail(ExitCode::ThresholdsFailed.code(), eval.abort_message())
                            .await;
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
                self.failure(ExitCode::Failure.code(), message);
                self.finish();
            }
            Phase::Initializing => {
                let late = self.active_names(|s| s.state != v1::RunState::Ready);
                let message = format!(
                    "agents not ready within {}: {late}",
                    humantime::format_duration(INIT_TIMEOUT),
                );
                self.fail(ExitCode::Failure.code(), message).await;
            }
            Phase::Setup => {
                self.fail(
                    ExitCode::SetupTimeout.code(),
                    "setup() timed out on the lead agent".into(),
                )
                .await;
            }
            Phase::Teardown => {
                self.failure(
                    ExitCode::TeardownTimeout.code(),
                    "teardown() timed out on the lead agent".into(),
                );
                self.finish();
            }
            Phase::Draining => {
                let late = self.active_names(|_| true);
                self.notes.push(format!("no RunDone from: {late}"));
                self.finish();
            }
            Phase::Running => {
                let late = self.active_names(|s| !s.scenarios_over());
                let message = format!(
                    "the scenarios did not end within the plan's duration + {}: {late}",
                    humantime::format_duration(RUNNING_SLACK),
                );
                self.fail(ExitCode::Failure.code(), message).await;
            }
            Phase::Finished => {}
        }
    }

    /// Moves on when every agent reached the phase's goal.
    pub(super) async fn progress(&mut self) {
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
                if !self.teardown().await {
                    self.finish();
                }
            }
            Phase::Teardown => {
                if !self.slots.iter().any(|s| s.plan.lead && s.active()) {
                    self.finish();
                }
            }
            Phase::Draining => {
                // After an abort, teardown still runs (as in k6) once every
                // other agent is done and the lead waits with its scenarios
                // over; a lead that ended outright has nothing to tear down.
                let others_done = self.slots.iter().all(|s| s.plan.lead || !s.active());
                let lead_waits = self
                    .slots
                    .iter()
                    .any(|s| s.plan.lead && s.active() && s.state == v1::RunState::Done);
                if self.started.is_some() && others_done && lead_waits && self.teardown().await {
                    return;
                }
                if !self.slots.iter().any(Slot::active) {
                    self.finish();
                }
            }
            Phase::Waiting | Phase::Setup | Phase::Finished => {}
        }
    }

    /// Sends RunTeardown to the lead if it is still in the run, and waits
    /// for it in [`Phase::Teardown`]; `false` when there is no lead.
    async fn teardown(&mut self) -> bool {
        let Some(lead) = self.slots.iter().find(|s| s.plan.lead && s.active()) else {
            return false;
        };
        let id = lead.plan.id.clone();
        let within = self.submission.options.teardown_timeout().to_std() + LIFECYCLE_SLACK;
        self.enter(Phase::Teardown, Some(within));
        let teardown = RunTeardown {
            run_id: self.id.clone(),
            setup_data_json: self.setup_data.clone().unwrap_or_default(),
        };
        self.send(&id, teardown).await;
        true
    }

    /// Time since the common start (zero before it).
    pub(super) fn elapsed(&self) -> Duration {
        let end = self.scenarios_ended.unwrap_or_else(Instant::now);
        self.started
            .map(|s| end.saturating_duration_since(s))
            .unwrap_or_default()
    }

    /// The names of the agents still in the run for which `keep` holds,
    /// comma-separated (for messages naming the late ones).
    fn active_names(&self, keep: impl Fn(&Slot) -> bool) -> String {
        let names: Vec<&str> = self
            .slots
            .iter()
            .filter(|s| s.active() && keep(s))
            .map(|s| s.plan.name.as_str())
            .collect();
        names.join(", ")
    }

    /// Decides the outcome.
    pub(super) fn finish(&mut self) {
        if self.phase == Phase::Finished {
            return;
        }
        self.pilot_stop.cancel();
        if self.started.is_some() && self.scenarios_ended.is_none() {
            self.scenarios_ended = Some(Instant::now());
        }
        let elapsed = self.elapsed();
        let last = if self.started.is_some() {
            self.submission.merged.evaluate(elapsed, false)
        } else {
            None
        };
        let (exit_code, mut message) = match (&self.first_failure, last) {
            (Some((code, message)), _) => (*code, message.clone()),
            (None, Some(eval)) if !eval.passed() => {
                (ExitCode::ThresholdsFailed.code(), eval.crossed_message())
            }
            // Passed, but not on every agent it was planned for.
            _ if !self.lost.is_empty() => (ExitCode::Degraded.code(), String::new()),
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
            metrics: self.submission.merged.to_json(),
            setup_data: self.setup_data.clone(),
            changes: self.changes.iter().map(|c| c.line()).collect(),
        });
        self.phase = Phase::Finished;
        self.deadline = None;
        self.next_evaluation = None;
        self.next_vus_sample = None;
        self.control_timeout();
    }
}

/// How long past the plan's end the scenarios may take to report DONE
/// before the run is failed (a wedged agent that still heart-beats).
pub(super) const RUNNING_SLACK: Duration = Duration::from_secs(30);

/// The longest the scenarios may run: the plan's total duration (graceful
/// stops included) plus [`RUNNING_SLACK`]; `None` when an
/// externally-controlled scenario runs until stopped.
fn running_limit(options: &k6r_core::options::Options) -> Option<Duration> {
    let plan = k6r_core::plan::TestPlan::new(options).ok()?;
    let unbounded = plan.scenarios().iter().any(|s| {
        matches!(
            s.work,
            k6r_core::plan::Work::ExternallyControlled { duration: None, .. }
        )
    });
    (!unbounded).then(|| plan.total_duration().to_std() + RUNNING_SLACK)
}
