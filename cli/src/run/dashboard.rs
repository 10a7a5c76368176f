//! `--web-dashboard` (k6's `K6_WEB_DASHBOARD=true`): the live dashboard
//! of a run on this machine, served with k6's REST API beside it (its
//! controls call the API on their own origin) on `K6_WEB_DASHBOARD_HOST`
//! (`127.0.0.1`) and `K6_WEB_DASHBOARD_PORT` (5665; `-1`: no server), a
//! frame every `K6_WEB_DASHBOARD_PERIOD` (1s), opened in the desktop's
//! browser with `K6_WEB_DASHBOARD_OPEN=true`, and its report written to
//! `K6_WEB_DASHBOARD_EXPORT` at the end.

use std::future::Future;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k6r_api::dashboard::{FrameAutopilot, FrameThreshold};
use k6r_api::RunState;
use k6r_core::threshold::Thresholds;
use k6r_dashboard::{Dashboard, Headline, RunSample, Sampled, ScenarioPart, Source, SAMPLE_PERIOD};
use k6r_runner::metrics::Metrics;
use k6r_runner::thresholds::Tainted;
use k6r_runner::{ProgressFn, Report, Snapshot};
use tokio::sync::watch;
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
    /// `K6_WEB_DASHBOARD_PERIOD`: how often a frame is made.
    pub period: Duration,
    /// `K6_WEB_DASHBOARD_OPEN`: open the page in the desktop's browser.
    pub open: bool,
}

/// A switch among k6's dashboard variables: `true`/`1`.
fn switch(value: Option<String>) -> bool {
    value.is_some_and(|v| v == "true" || v == "1")
}

impl Settings {
    /// The settings from `K6_WEB_DASHBOARD_*` in `env`, or `None` when the
    /// dashboard is off (`--web-dashboard` not given and
    /// `K6_WEB_DASHBOARD` not true); a period that is not a positive
    /// duration is refused, naming the variable.
    pub fn from_env(
        flag: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Settings>, String> {
        if !flag && !switch(env("K6_WEB_DASHBOARD")) {
            return Ok(None);
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
        let period = match env("K6_WEB_DASHBOARD_PERIOD").filter(|p| !p.is_empty()) {
            None => SAMPLE_PERIOD,
            Some(text) => k6r_core::duration::Duration::parse_extended(&text)
                .ok()
                .map(|d| d.to_std())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    format!("K6_WEB_DASHBOARD_PERIOD={text:?}: not a positive duration (10s, 1m)")
                })?,
        };
        Ok(Some(Settings {
            address,
            export,
            period,
            open: switch(env("K6_WEB_DASHBOARD_OPEN")),
        }))
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
    /// The autopilot's report as it goes.
    autopilot: Option<watch::Receiver<k6r_core::autopilot::Report>>,
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
            autopilot: self
                .autopilot
                .as_ref()
                .map(|report| FrameAutopilot::from(&*report.borrow())),
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
    /// How often it makes a frame.
    period: Duration,
    /// Its server's listener and URL, until the run takes the listener.
    listener: Option<(TcpListener, String)>,
}

/// Opens `url` in the desktop's browser (`xdg-open`, `open` on macOS),
/// as k6 does with `K6_WEB_DASHBOARD_OPEN`; without one the run goes on
/// with a warning. The opener is left to finish on its own.
fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let opened = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = opened {
        log::warning(
            &mut std::io::stderr(),
            "can't open the web dashboard",
            &[
                ("opener".into(), opener.into()),
                ("error".into(), e.to_string()),
            ],
        );
    }
}

impl WebDashboard {
    /// Binds the dashboard's address (exit 106, as k6's API, when it is
    /// taken) over the run's `metrics`, `thresholds` and `tainted`.
    pub fn new(
        settings: Settings,
        metrics: Metrics,
        thresholds: &Thresholds,
        tainted: Tainted,
        autopilot: Option<watch::Receiver<k6r_core::autopilot::Report>>,
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
            autopilot,
        };
        let stop = CancellationToken::new();
        let (dashboard, sampler) = Dashboard::new(source, settings.period, stop.clone());
        if let (true, Some((_, url))) = (settings.open, &listener) {
            open_in_browser(url);
        }
        Ok(WebDashboard {
            dashboard,
            sampler: Some(Box::pin(sampler)),
            task: None,
            stop,
            latest,
            ended,
            export: settings.export,
            period: settings.period,
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

    /// `progress` (if any, called every `every`) that also keeps each
    /// report for the dashboard, and how often the runner must call it:
    /// at least once a frame; `progress` is still called every `every`
    /// (and for the final report).
    pub fn watch(&self, progress: Option<ProgressFn>, every: Duration) -> (ProgressFn, Duration) {
        let latest = Arc::clone(&self.latest);
        // The last of `progress`'s periods it was called in.
        let forwarded: Mutex<u128> = Mutex::new(0);
        let watch: ProgressFn = Arc::new(move |snapshot, elapsed, report| {
            *latest.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((snapshot.clone(), elapsed));
            let Some(progress) = &progress else {
                return;
            };
            let mut last = forwarded.lock().unwrap_or_else(PoisonError::into_inner);
            // Called once per period, on the first report in it (a
            // millisecond early counts).
            let period = (elapsed + Duration::from_millis(1)).as_nanos() / every.as_nanos().max(1);
            if period > *last || report == Report::Final {
                *last = period;
                progress(snapshot, elapsed, report);
            }
        });
        (watch, every.min(self.period))
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
        assert_eq!(Settings::from_env(false, env(&[])), Ok(None));
        assert_eq!(
            Settings::from_env(true, env(&[])),
            Ok(Some(Settings {
                address: Some("127.0.0.1:5665".into()),
                export: None,
                period: SAMPLE_PERIOD,
                open: false,
            }))
        );
        let vars = [
            ("K6_WEB_DASHBOARD", "true"),
            ("K6_WEB_DASHBOARD_HOST", "::1"),
            ("K6_WEB_DASHBOARD_PORT", "0"),
            ("K6_WEB_DASHBOARD_EXPORT", "report.html"),
            ("K6_WEB_DASHBOARD_PERIOD", "2.5s"),
            ("K6_WEB_DASHBOARD_OPEN", "true"),
        ];
        assert_eq!(
            Settings::from_env(false, env(&vars)),
            Ok(Some(Settings {
                address: Some("[::1]:0".into()),
                export: Some("report.html".into()),
                period: Duration::from_millis(2500),
                open: true,
            }))
        );
        let off = [
            ("K6_WEB_DASHBOARD", "true"),
            ("K6_WEB_DASHBOARD_PORT", "-1"),
        ];
        let off = Settings::from_env(false, env(&off)).unwrap().unwrap();
        assert_eq!(off.address, None);
        for bad in ["0s", "soon"] {
            let vars = [("K6_WEB_DASHBOARD_PERIOD", bad)];
            let refused = Settings::from_env(true, env(&vars)).unwrap_err();
            assert!(refused.starts_with("K6_WEB_DASHBOARD_PERIOD="), "{refused}");
        }
    }

    #[test]
    fn a_faster_dashboard_keeps_the_progress_at_its_own_period() {
        let settings = Settings {
            address: None,
            export: None,
            period: Duration::from_millis(500),
            open: false,
        };
        let metrics = Metrics::for_script(&[], k6r_core::metrics::Breakdown::None).unwrap();
        let dashboard = WebDashboard::new(
            settings,
            metrics,
            &Thresholds::default(),
            Tainted::default(),
            None,
        )
        .unwrap();
        let called = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&called);
        let progress: ProgressFn = Arc::new(move |_, elapsed, report| {
            seen.lock().unwrap().push((elapsed.as_millis(), report));
        });
        let (watch, every) = dashboard.watch(Some(progress), Duration::from_secs(1));
        assert_eq!(every, Duration::from_millis(500));
        for (ms, report) in [
            (500, Report::Periodic),
            (1000, Report::Periodic),
            (1499, Report::Periodic),
            (1999, Report::Periodic),
            (2200, Report::Final),
        ] {
            watch(&Snapshot::default(), Duration::from_millis(ms), report);
        }
        assert_eq!(
            *called.lock().unwrap(),
            [
                (1000, Report::Periodic),
                (1999, Report::Periodic),
                (2200, Report::Final)
            ]
        );
    }
}
