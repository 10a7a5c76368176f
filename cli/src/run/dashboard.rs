//! `--web-dashboard` (k6's `K6_WEB_DASHBOARD=true`): the live dashboard
//! of a run on this machine, served with k6's REST API beside it (its
//! controls call the API on their own origin) on `K6_WEB_DASHBOARD_HOST`
//! (`127.0.0.1`) and `K6_WEB_DASHBOARD_PORT` (5665; `-1`: no server), and
//! its report written to `K6_WEB_DASHBOARD_EXPORT` at the end.

use std::future::Future;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k6r_api::dashboard::FrameThreshold;
use k6r_api::RunState;
use k6r_core::threshold::Thresholds;
use k6r_dashboard::{Dashboard, Headline, RunSample, Sampled, ScenarioPart, Source};
use k6r_runner::metrics::Metrics;
use k6r_runner::thresholds::Tainted;
use k6r_runner::{ProgressFn, Snapshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::address;
use crate::{log, Failure};

/// k6's default port of the dashboard.
const DEFAULT_PORT: &str = "5665";

/// Where the dashboard is served and its report written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `host:port`, or `None` for no server (port `-1`).
    pub address: Option<String>,
    /// `K6_WEB_DASHBOARD_EXPORT`: the report's file.
    pub export: Option<PathBuf>,
}

impl Settings {
    /// The settings from `K6_WEB_DASHBOARD_*` in `env`, or `None` when the
    /// dashboard is off (`--web-dashboard` not given and
    /// `K6_WEB_DASHBOARD` not true).
    pub fn from_env(flag: bool, env: impl Fn(&str) -> Option<String>) -> Option<Settings> {
        let on = flag || env("K6_WEB_DASHBOARD").is_some_and(|v| v == "true" || v == "1");
        if !on {
            return None;
        }
        let host = env("K6_WEB_DASHBOARD_HOST")
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "127.0.0.1".into());
        let port = env("K6_WEB_DASHBOARD_PORT").unwrap_or_else(|| DEFAULT_PORT.into());
        let address = (port != "-1").then(|| {
            if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        });
        let export = env("K6_WEB_DASHBOARD_EXPORT")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        Some(Settings { address, export })
    }
}

/// The last progress report of the run.
type Latest = Arc<Mutex<Option<(Snapshot, Duration)>>>;

/// The run on this machine as the dashboard's source.
struct LocalRun {
    metrics: Metrics,
    latest: Latest,
    thresholds: Vec<(String, String)>,
    tainted: Tainted,
    ended: Arc<AtomicBool>,
}

impl Source for LocalRun {
    async fn sample(&mut self) -> Option<Sampled> {
        let latest = self
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some((snapshot, elapsed)) = latest else {
            // Not started yet: nothing to chart.
            return Some(Sampled::default());
        };

        let thresholds = self
            .thresholds
            .iter()
            .map(|(metric, source)| FrameThreshold {
                metric: metric.clone(),
                source: source.clone(),
                failing: self.tainted.of(metric).unwrap_or(false),
            })
            .collect();
        let state = if self.ended.load(Ordering::Relaxed) {
            RunState::Finished
        } else {
            RunState::Running
        };
        let run = RunSample {
            id: "local".into(),
            state,
            paused: false,
            stopped: false,
            outcome: None,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            vus: snapshot.active_vus,
            vus_max: snapshot.initialized_vus,
            iterations: snapshot.complete,
            agents: Vec::new(),
            headline: Headline::default(),
            thresholds,
            scenarios: snapshot
                .scenarios
                .iter()
                .map(|s| ScenarioPart {
                    name: s.name.clone(),
                    vus: s.active_vus,
                    iterations: s.complete,
                    headline: None,
                })
                .collect(),
        };
        let run = self.metrics.read(|registry| run.with_headlines(registry));
        Some(Sampled {
            run: Some(run),
            agents: Vec::new(),
        })
    }
}

/// The dashboard of one run, from before it starts until after it ends.
pub struct WebDashboard {
    dashboard: Dashboard,
    sampler: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    task: Option<JoinHandle<()>>,
    stop: CancellationToken,
    latest: Latest,
    ended: Arc<AtomicBool>,
    export: Option<PathBuf>,
    /// Its server's listener and URL, until the run takes the listener.
    listener: Option<(TcpListener, String)>,
}

impl WebDashboard {
    /// Binds the dashboard's address (exit 106, as k6's API, when it is
    /// taken) over the run's `metrics`, `thresholds` and `tainted`.
    pub fn new(
        settings: Settings,
        metrics: Metrics,
        thresholds: &Thresholds,
        tainted: Tainted,
    ) -> Result<WebDashboard, Failure> {
        let listener = match &settings.address {
            Some(text) => {
                let (listener, local) = address::listen(text).map_err(|e| {
                    let mut failure =
                        Failure::new(address::EXIT_CANNOT_START, "can't start the web dashboard");
                    failure.fields.push(("error".into(), e));
                    failure
                })?;
                Some((listener, format!("http://{local}")))
            }
            None => None,
        };
        let latest = Latest::default();
        let ended = Arc::new(AtomicBool::new(false));
        let source = LocalRun {
            metrics,
            latest: Arc::clone(&latest),
            thresholds: thresholds
                .metrics
                .iter()
                .flat_map(|m| {
                    m.thresholds
                        .iter()
                        .map(|t| (m.key.clone(), t.source.clone()))
                })
                .collect(),
            tainted,
            ended: Arc::clone(&ended),
        };
        let stop = CancellationToken::new();
        let (dashboard, sampler) = Dashboard::new(source, stop.clone());
        Ok(WebDashboard {
            dashboard,
            sampler: Some(Box::pin(sampler)),
            task: None,
            stop,
            latest,
            ended,
            export: settings.export,
            listener,
        })
    }

    /// The banner's `web dashboard:` value.
    pub fn url(&self) -> Option<&str> {
        self.listener.as_ref().map(|(_, url)| url.as_str())
    }

    /// The listener and the dashboard's routes, for the run's API server
    /// (`None` without a server).
    pub fn page(&mut self) -> Option<(TcpListener, axum::Router)> {
        let (listener, _) = self.listener.take()?;
        Some((listener, self.dashboard.clone().router()))
    }

    /// `progress` (if any) that also keeps each report for the dashboard.
    pub fn watch(&self, progress: Option<ProgressFn>) -> ProgressFn {
        let latest = Arc::clone(&self.latest);
        Arc::new(move |snapshot, elapsed, report| {
            *latest.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((snapshot.clone(), elapsed));
            if let Some(progress) = &progress {
                progress(snapshot, elapsed, report);
            }
        })
    }

    /// Starts sampling; needs the runtime.
    pub fn start(&mut self) {
        if let Some(sampler) = self.sampler.take() {
            self.task = Some(tokio::spawn(sampler));
        }
    }

    /// After the run: the last frame, the report written, the sampler and
    /// every viewer's stream ended.
    pub async fn finish(mut self, err: &mut dyn Write) {
        self.ended.store(true, Ordering::Relaxed);
        match (self.dashboard.flush().await, &self.export) {
            (Ok(history), Some(path)) => {
                let html = k6r_dashboard::report_html(&history);
                if let Err(e) = std::fs::write(path, html) {
                    log::error(
                        err,
                        "can't write the web dashboard's report",
                        &[
                            ("path".into(), path.display().to_string()),
                            ("error".into(), e.to_string()),
                        ],
                    );
                }
            }
            (Err(e), Some(_)) => log::error(
                err,
                "can't write the web dashboard's report",
                &[("error".into(), e.to_string())],
            ),
            (_, None) => {}
        }
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn k6s_variables_turn_it_on_and_place_it() {
        assert_eq!(Settings::from_env(false, env(&[])), None);
        assert_eq!(
            Settings::from_env(true, env(&[])),
            Some(Settings {
                address: Some("127.0.0.1:5665".into()),
                export: None
            })
        );
        let vars = [
            ("K6_WEB_DASHBOARD", "true"),
            ("K6_WEB_DASHBOARD_HOST", "::1"),
            ("K6_WEB_DASHBOARD_PORT", "0"),
            ("K6_WEB_DASHBOARD_EXPORT", "report.html"),
        ];
        assert_eq!(
            Settings::from_env(false, env(&vars)),
            Some(Settings {
                address: Some("[::1]:0".into()),
                export: Some("report.html".into())
            })
        );
        let off = [
            ("K6_WEB_DASHBOARD", "true"),
            ("K6_WEB_DASHBOARD_PORT", "-1"),
        ];
        assert_eq!(Settings::from_env(false, env(&off)).unwrap().address, None);
    }
}
