//! What a run sends up: statuses, metric deltas (numbered from 1) and
//! its outcome, all for one run id over the session's [`Uplink`].

use std::time::SystemTime;

use k6r_engine::{Configured, Progress, Steer};
use k6r_proto::convert::to_unix_nanos;
use k6r_proto::v1::{self, RunState};
use k6r_runner::metrics::Metrics;

use crate::runner::Uplink;

/// A run's voice.
pub(crate) struct Reporter {
    uplink: Uplink,
    run_id: String,
    /// The last MetricDelta's seq.
    seq: u64,
    /// Whether statuses carry the process's CPU (`Assign.report_cpu`).
    report_cpu: bool,
}

/// Sends one ControlAck from a task of its own.
pub(crate) struct Acker {
    uplink: Uplink,
    run_id: String,
}

impl Acker {
    /// The ack of `seq`: refused (`error`) or applied, with the scenario
    /// after it.
    pub async fn send(self, seq: u64, error: String, scenario: Option<v1::ScenarioLive>) {
        let ack = v1::ControlAck {
            run_id: self.run_id,
            seq,
            error,
            scenario,
        };
        if let Err(e) = self.uplink.send(ack).await {
            tracing::debug!("not sent: {e}");
        }
    }
}

impl Reporter {
    /// The voice of run `run_id`; its statuses carry the process's CPU
    /// when `report_cpu` (only an autopilot reads it: /proc is read only
    /// then).
    pub fn new(uplink: Uplink, run_id: String, report_cpu: bool) -> Self {
        Reporter {
            uplink,
            run_id,
            seq: 0,
            report_cpu,
        }
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    async fn send(&self, message: impl Into<v1::AgentMessage>) {
        // A closed session ends the run (session_ended); nothing to retry.
        if let Err(e) = self.uplink.send(message).await {
            tracing::debug!(run = %self.run_id, "not sent: {e}");
        }
    }

    /// A RunStatus with the engine's counters (zeros before VU init),
    /// its VUs counted as k6's status counts them: the externally-controlled
    /// scenario by its `configured` VUs; each scenario with its state from
    /// its `steering` handle (none before the engine is built).
    pub async fn status(
        &self,
        state: RunState,
        progress: Option<&Progress>,
        configured: Option<Configured<'_>>,
        steering: &[Steer],
        started: Option<SystemTime>,
        exit_code: i32,
    ) {
        let snapshot = progress.map(Progress::snapshot).unwrap_or_default();
        let (vus, vus_max) = snapshot.status_vus(configured);
        self.send(v1::RunStatus {
            run_id: self.run_id.clone(),
            state: state.into(),
            vus,
            vus_max,
            iterations_complete: snapshot.complete,
            iterations_interrupted: snapshot.interrupted,
            started_unix_nanos: started.map_or(0, to_unix_nanos),
            exit_code,
            scenarios: snapshot
                .scenarios
                .iter()
                .map(|s| v1::ScenarioStatus {
                    name: s.name.clone(),
                    vus: s.active_vus,
                    iterations_complete: s.complete,
                    iterations_interrupted: s.interrupted,
                    busy_vus: s.busy_vus,
                    dropped: s.dropped,
                    started: s.elapsed.is_some(),
                    elapsed_ms: s
                        .elapsed
                        .map_or(0, |e| u64::try_from(e.as_millis()).unwrap_or(u64::MAX)),
                    ended: s.ended,
                    live: steering
                        .iter()
                        .find(|steer| steer.scenario() == s.name)
                        .map(|steer| super::steer::to_wire(&steer.live())),
                })
                .collect(),
            cpu: self.cpu(),
        })
        .await;
    }

    /// The process's CPU and its threads', if asked for.
    fn cpu(&self) -> Vec<v1::ProcessCpu> {
        if !self.report_cpu {
            return Vec::new();
        }
        k6r_autopilot::generator_cpu()
            .into_iter()
            .map(|(name, cpu)| v1::ProcessCpu {
                name,
                busy_seconds: cpu.busy,
                cores: cpu.cores,
            })
            .collect()
    }

    /// The next MetricDelta, unless nothing changed.
    pub async fn delta(&mut self, metrics: &Metrics) {
        let delta = metrics.take_delta();
        if delta == k6r_core::metrics::Delta::default() {
            return;
        }
        self.seq += 1;
        self.send(v1::MetricDelta::new(self.run_id.clone(), self.seq, &delta))
            .await;
    }

    pub async fn setup_done(&self, data_json: String, error: String, exit_code: i32) {
        self.send(v1::SetupDone {
            run_id: self.run_id.clone(),
            data_json,
            error,
            exit_code,
        })
        .await;
    }

    pub async fn control_ack(&self, seq: u64, error: String) {
        self.send(v1::ControlAck {
            run_id: self.run_id.clone(),
            seq,
            error,
            scenario: None,
        })
        .await;
    }

    /// A ControlAck sender for a task of its own (a scenario change
    /// answered at its instant, while the run goes on).
    pub fn acker(&self) -> Acker {
        Acker {
            uplink: self.uplink.clone(),
            run_id: self.run_id.clone(),
        }
    }

    pub async fn done(&self, exit_code: i32, message: String, teardown_error: String) {
        self.send(v1::RunDone {
            run_id: self.run_id.clone(),
            exit_code,
            message,
            teardown_error,
        })
        .await;
    }

    pub async fn error(&self, exit_code: i32, message: String) {
        self.send(v1::AgentError {
            run_id: self.run_id.clone(),
            exit_code,
            message,
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use k6r_proto::v1::agent_message::Kind;
    use tokio::sync::mpsc;
    use tokio_util::sync::CancellationToken;

    use super::*;

    /// The CPU of the first status a reporter sends.
    async fn reported_cpu(report_cpu: bool) -> Vec<v1::ProcessCpu> {
        let (tx, mut rx) = mpsc::channel(1);
        let uplink = Uplink::new(tx, CancellationToken::new());
        let reporter = Reporter::new(uplink, "run".to_string(), report_cpu);
        reporter
            .status(RunState::Running, None, None, &[], None, 0)
            .await;
        match rx.recv().await.and_then(|m| m.kind) {
            Some(Kind::Status(status)) => status.cpu,
            other => panic!("not a status: {other:?}"),
        }
    }

    #[tokio::test]
    async fn statuses_carry_the_cpu_only_when_asked() {
        assert!(reported_cpu(false).await.is_empty());
        let cpu = reported_cpu(true).await;
        if cfg!(target_os = "linux") {
            assert!(cpu.iter().any(|c| c.name == "process"), "{cpu:?}");
        }
    }
}
