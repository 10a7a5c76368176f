//! `--autopilot SCENARIO --slo 'METRIC: EXPRESSION' ...` on this machine:
//! the flags checked against the test (a constant-arrival-rate scenario,
//! SLOs in k6's threshold syntax on metrics the run has), and the run as
//! the autopilot's [`Plant`]: rates set through the scenario's live-change
//! handle, readings from the run's registry and this process's CPU.

use std::path::PathBuf;

use k6r_autopilot::{Plant, PlantError};
use k6r_core::autopilot::{AutopilotError, Reading, Report, Search, Settings, Slo};
use k6r_core::exit::ExitCode;
use k6r_core::options::{Executor, Options};
use k6r_core::steer::{Change, ChangeError};
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
    report_to: Option<PathBuf>,
    publish: watch::Sender<Report>,
}

/// The autopilot while the run goes on.
pub(super) struct Piloting {
    task: JoinHandle<Option<Report>>,
    stop: CancellationToken,
    report_to: Option<PathBuf>,
}

fn invalid(e: AutopilotError) -> Failure {
    Failure::new(ExitCode::InvalidConfig, e.to_string())
}

impl AutopilotArgs {
    /// The autopilot these flags ask for (`None`: none), checked against
    /// the run's `options` and registered on its `metrics`.
    pub(super) fn plan(
        &self,
        options: &Options,
        metrics: &Metrics,
    ) -> Result<Option<Autopilot>, Failure> {
        let Some(scenario) = self.autopilot.clone() else {
            if !self.slos.is_empty() || self.autopilot_report.is_some() {
                return Err(invalid(AutopilotError::NoAutopilot));
            }
            return Ok(None);
        };
        if self.slos.is_empty() {
            return Err(invalid(AutopilotError::NoSlo));
        }
        let slos = self
            .slos
            .iter()
            .map(|s| Slo::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let found = options.scenarios.as_ref().and_then(|s| s.get(&scenario));
        let start = match found.map(|s| &s.executor) {
            None => return Err(invalid(AutopilotError::NoScenario(scenario))),
            Some(Executor::ConstantArrivalRate(c)) => {
                let unit = c.time_unit.unwrap_or(GoDuration::SECOND).to_std();
                c.rate.unwrap_or(1) as f64 / unit.as_secs_f64()
            }
            Some(other) => {
                return Err(invalid(AutopilotError::NotArrivalRate {
                    scenario,
                    executor: other.kind().name().to_string(),
                }))
            }
        };
        let settings = match &self.autopilot_window {
            None => Settings::default(),
            Some(text) => {
                let window = GoDuration::parse_extended(text)
                    .map(GoDuration::to_std)
                    .map_err(|_| {
                        Failure::new(
                            ExitCode::InvalidConfig,
                            format!("--autopilot-window {text:?}: not a duration (5s, 1m)"),
                        )
                    })?;
                Settings::with_window(window).map_err(invalid)?
            }
        };
        let names = metrics.slos(&slos).map_err(invalid)?;
        let search = Search::new(&scenario, slos, start, settings);
        let (publish, _) = watch::channel(search.report().clone());
        Ok(Some(Autopilot {
            scenario,
            search,
            names,
            report_to: self.autopilot_report.clone(),
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
            report_to,
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
            Some(k6r_autopilot::pilot(plant, search, names, publish, token).await)
        });
        Piloting {
            task,
            stop,
            report_to,
        }
    }
}

impl Piloting {
    /// Stops steering (the run is over) and writes the report file:
    /// the report, or `None` when the run never started the scenario.
    pub async fn finish(self, err: &mut dyn std::io::Write) -> Option<Report> {
        self.stop.cancel();
        let report = self.task.await.ok().flatten()?;
        if let Some(path) = &self.report_to {
            let written = serde_json::to_vec_pretty(&report)
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
        Some(report)
    }
}

/// The run on this machine as the autopilot's plant.
struct LocalPlant {
    steer: Steer,
    metrics: Metrics,
    start: Instant,
}

/// A rate per second as a live change: per minute, so that fractions of
/// one per second are kept.
pub(super) fn rate_change(per_second: f64) -> Change {
    Change {
        rate: Some((per_second * 60.0).round().max(1.0) as i64),
        time_unit: Some(GoDuration::MINUTE),
        ..Change::default()
    }
}

impl Plant for LocalPlant {
    async fn set_rate(&mut self, per_second: f64) -> Result<(), PlantError> {
        let live = self.steer.live();
        if live.started && !live.ended && live.rate == Some(per_second) {
            // The scenario runs at that rate already (its own, at first).
            return Ok(());
        }
        match self.steer.apply(rate_change(per_second)).await {
            Ok(_) => Ok(()),
            Err(ChangeError::NotStarted(_)) => Err(PlantError::NotStarted),
            Err(ChangeError::Ended(_)) => Err(PlantError::Ended),
            Err(other) => Err(PlantError::Refused(other.to_string())),
        }
    }

    async fn read(&mut self, metrics: &[String]) -> Option<Reading> {
        let sinks = self.metrics.read(|registry| {
            metrics
                .iter()
                .filter_map(|name| Some((name.clone(), registry.sink(name)?.clone())))
                .collect()
        });
        Some(Reading {
            at: self.start.elapsed(),
            sinks,
            cpu: k6r_autopilot::generator_cpu(),
        })
    }
}
