//! `--autopilot SCENARIO --slo 'METRIC: EXPRESSION' ...` on this machine:
//! the flags checked against the test (a constant-arrival-rate scenario,
//! SLOs in k6's threshold syntax on metrics the run has), and the run as
//! the autopilot's [`Plant`]: rates set through the scenario's live-change
//! handle, readings from the run's registry and this process's CPU.

use std::path::PathBuf;

use k6r_api::AutopilotRequest;
use k6r_autopilot::{Plant, PlantError};
use k6r_core::autopilot::{AutopilotError, Plan, Reading, Report, Search};
use k6r_core::exit::ExitCode;
use k6r_core::options::Options;
use k6r_core::Duration as GoDuration;
use k6r_engine::Steer;
use k6r_runner::metrics::Metrics;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Failure;

/// The autopilot's flags.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct AutopilotArgs {
    /// Steer this constant-arrival-rate scenario's rate to the highest at
    /// which every --slo holds (the knee), then hold it (k6r's).
    #[arg(long, value_name = "SCENARIO")]
    pub autopilot: Option<String>,
    /// An SLO the autopilot keeps, as a metric and a k6 threshold
    /// expression: 'http_req_duration: p(95)<200' (repeatable).
    #[arg(long = "slo", value_name = "SLO")]
    pub slos: Vec<String>,
    /// Writes the autopilot's report (JSON) to FILE at the end.
    #[arg(long, value_name = "FILE")]
    pub autopilot_report: Option<PathBuf>,
    /// The shortest window each rate is measured over (default 5s).
    #[arg(long, value_name = "DURATION")]
    pub autopilot_window: Option<String>,
}

/// The autopilot of a run, checked, before the run.
pub(super) struct Autopilot {
    scenario: String,
    search: Search,
    /// The SLOs' registry names.
    names: Vec<String>,
    /// The flags (`--autopilot-report`).
    args: AutopilotArgs,
    publish: watch::Sender<Report>,
}

/// The autopilot while the run goes on.
pub(super) struct Piloting {
    task: JoinHandle<Option<Report>>,
    stop: CancellationToken,
    args: AutopilotArgs,
}

fn invalid(e: AutopilotError) -> Failure {
    Failure::new(ExitCode::InvalidConfig, e.to_string())
}

impl AutopilotArgs {
    /// The autopilot these flags ask for (`None`: none), checked against
    /// the run's `options`.
    pub(super) fn plan(&self, options: &Options) -> Result<Option<Plan>, Failure> {
        let Some(scenario) = &self.autopilot else {
            if !self.slos.is_empty() || self.autopilot_report.is_some() {
                return Err(invalid(AutopilotError::NoAutopilot));
            }
            return Ok(None);
        };
        let window = match &self.autopilot_window {
            None => None,
            Some(text) => Some(
                GoDuration::parse_extended(text)
                    .map(GoDuration::to_std)
                    .map_err(|_| {
                        Failure::new(
                            ExitCode::InvalidConfig,
                            format!("--autopilot-window {text:?}: not a duration (5s, 1m)"),
                        )
                    })?,
            ),
        };
        Plan::new(scenario, &self.slos, window, options)
            .map(Some)
            .map_err(invalid)
    }

    /// What the coordinator is asked to steer (`None`: no autopilot),
    /// checked against the run's `options` first.
    pub(super) fn request(&self, options: &Options) -> Result<Option<AutopilotRequest>, Failure> {
        Ok(self.plan(options)?.map(|plan| AutopilotRequest {
            scenario: plan.scenario,
            slos: self.slos.clone(),
            window_ms: self
                .autopilot_window
                .is_some()
                .then(|| u64::try_from(plan.settings.window.as_millis()).unwrap_or(u64::MAX)),
        }))
    }

    /// Writes `report` to `--autopilot-report`'s file, if given; a
    /// failure is logged.
    pub(super) fn write_report(&self, report: &Report, err: &mut dyn std::io::Write) {
        let Some(path) = &self.autopilot_report else {
            return;
        };
        let written = serde_json::to_vec_pretty(report)
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(path, json).map_err(|e| e.to_string()));
        if let Err(e) = written {
            crate::log::error(
                err,
                &format!(
                    "can't write the autopilot's report to {}: {e}",
                    path.display()
                ),
                &[],
            );
        }
    }

    /// The autopilot of a run on this machine, its SLOs registered on the
    /// run's `metrics`.
    pub(super) fn local(
        &self,
        options: &Options,
        metrics: &Metrics,
    ) -> Result<Option<Autopilot>, Failure> {
        let Some(plan) = self.plan(options)? else {
            return Ok(None);
        };
        let names = metrics.slos(&plan.slos).map_err(invalid)?;
        let search = plan.search();
        let (publish, _) = watch::channel(search.report().clone());
        Ok(Some(Autopilot {
            scenario: plan.scenario,
            search,
            names,
            args: self.clone(),
            publish,
        }))
    }
}

impl Autopilot {
    /// The report as it goes (`GET /v1/autopilot`).
    pub fn watch(&self) -> watch::Receiver<Report> {
        self.publish.subscribe()
    }

    /// Starts steering once the run hands out its scenarios' handles.
    pub fn start(self, steering: oneshot::Receiver<Vec<Steer>>, metrics: Metrics) -> Piloting {
        let stop = CancellationToken::new();
        let Autopilot {
            scenario,
            search,
            names,
            args,
            publish,
        } = self;
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let steers = tokio::select! {
                steers = steering => steers.ok()?,
                () = token.cancelled() => return None,
            };
            let steer = steers.into_iter().find(|s| s.scenario() == scenario)?;
            let plant = LocalPlant {
                steer,
                metrics,
                start: Instant::now(),
            };
            let mut watched = publish.subscribe();
            let pilot = k6r_autopilot::pilot(plant, search, names, publish, token);
            tokio::pin!(pilot);
            let mut logged = 0;
            loop {
                tokio::select! {
                    report = &mut pilot => return Some(report),
                    changed = watched.changed() => {
                        if changed.is_err() {
                            return Some(pilot.await);
                        }
                        let report = watched.borrow_and_update().clone();
                        logged = log_windows(&report, logged);
                    }
                }
            }
        });
        Piloting { task, stop, args }
    }
}

impl Piloting {
    /// Stops steering (the run is over) and writes the report file:
    /// the report, or `None` when the run never started the scenario.
    pub async fn finish(self, err: &mut dyn std::io::Write) -> Option<Report> {
        self.stop.cancel();
        let report = self.task.await.ok().flatten()?;
        self.args.write_report(&report, err);
        Some(report)
    }
}

/// Logs the windows of `report` after the first `logged` (one `info`
/// line each: the decision and what it was made on); how many are logged.
fn log_windows(report: &Report, logged: usize) -> usize {
    let mut err = std::io::stderr();
    for w in report.windows.iter().skip(logged) {
        let mut fields = vec![
            ("scenario".to_string(), report.scenario.clone()),
            ("phase".to_string(), w.phase.name().to_string()),
            ("rate".to_string(), format!("{:.2}", w.rate)),
            ("achieved".to_string(), format!("{:.2}", w.achieved)),
            ("dropped".to_string(), w.dropped.to_string()),
        ];
        if let Some(p95) = w.p95 {
            fields.push(("p95".to_string(), format!("{p95:.2}ms")));
        }
        if let Some(errors) = w.error_rate {
            fields.push(("error_rate".to_string(), format!("{errors:.4}")));
        }
        if let Some(cpu) = w.cpu {
            fields.push(("cpu".to_string(), format!("{cpu:.2}")));
        }
        fields.push(("outcome".to_string(), w.outcome.clone()));
        fields.push(("next_rate".to_string(), format!("{:.2}", w.next_rate)));
        crate::log::info(&mut err, "autopilot window", &fields);
    }
    report.windows.len()
}

/// The run on this machine as the autopilot's plant.
struct LocalPlant {
    steer: Steer,
    metrics: Metrics,
    start: Instant,
}

impl Plant for LocalPlant {
    async fn started(&mut self) -> Result<f64, PlantError> {
        let live = self.steer.live();
        match (live.started, live.ended, live.rate) {
            (_, true, _) => Err(PlantError::Ended),
            (true, false, Some(rate)) => Ok(rate),
            (false, false, _) => Err(PlantError::NotStarted),
            (true, false, None) => Err(PlantError::Refused(format!(
                "scenario {:?} has no rate to steer",
                self.steer.scenario()
            ))),
        }
    }

    async fn set_rate(&mut self, per_second: f64) -> Result<(), PlantError> {
        self.steer
            .apply(Plan::rate_change(per_second))
            .await
            .map(drop)
            .map_err(PlantError::from)
    }

    async fn read(&mut self, metrics: &[String]) -> Result<Reading, PlantError> {
        if self.steer.live().ended {
            return Err(PlantError::Ended);
        }
        let sinks = self
            .metrics
            .read(|registry| Reading::sinks_of(registry, metrics));
        Ok(Reading {
            at: self.start.elapsed(),
            sinks,
            cpu: k6r_autopilot::generator_cpu(),
        })
    }
}
