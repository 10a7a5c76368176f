//! A run on this machine: the run's registry and thresholds, the
//! `--out` writers and the REST API around `k6r_runner::run`, signals
//! and the thresholds loop while it runs, then the summary and k6's exit
//! code.

use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use k6r_core::exit::ExitCode;
use k6r_core::metrics::Breakdown;
use k6r_core::summary::{Mode, Options as SummaryOptions};
use k6r_core::threshold::{Evaluation, Thresholds};
use k6r_runner::metrics::Metrics;
use k6r_runner::rest_api::{Handle as LiveHandle, Live};
use k6r_runner::thresholds::{watch_publishing, Tainted, Watched};
use k6r_runner::{Error as RunError, RunResult};
use k6r_script::{Env, Script};
use k6r_signals::Signal;
use tokio_util::sync::CancellationToken;

use super::autopilot::{Autopilot, Piloting};
use super::dashboard::{self, WebDashboard};
use super::paint;
use super::progress::Display;
use super::{address, linger, outputs, prepare, print, runner_failure, summary, verdict};
use super::{Prepared, RunArgs};
use crate::{log, Failure};

/// Runs the test of `args` here.
pub(super) fn run(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let (mut local, config, thresholds, display, autopilot) =
        configure(args, prepare(args, err)?, out, err)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(ExitCode::Failure, format!("can't start the runtime: {e}")))?;
    // The first SIGINT or SIGTERM stops the run (teardown and the summary
    // still come, exit 105); a second one aborts at once, as in k6.
    let received: Arc<OnceLock<Signal>> = Arc::default();
    let running = Running {
        config,
        thresholds,
        received: Arc::clone(&received),
        autopilot,
    };
    if let Some(dashboard) = local.dashboard.as_mut() {
        let _entered = runtime.enter();
        dashboard.start();
    }
    let ran = runtime.block_on(drive(args, &local, running, out));
    // The dashboard's streams end before the API's server drains.
    if let Some(dashboard) = local.dashboard.take() {
        runtime.block_on(dashboard.finish(err));
    }
    let ran = ran?;
    if let Some(live) = local.live {
        runtime.block_on(live.shutdown());
    }
    let mut result = ran.result.map_err(|e| runner_failure(&e))?;
    // The outputs' sinks close their queues; the writers drain them.
    drop(std::mem::take(&mut result.sinks));
    outputs::finish(local.writers, err);

    let handler = local.handles_summary.then_some(summary::Handler {
        script: &local.script,
        env: &local.env,
        config: &local.script_config,
    });
    let changes: Vec<String> = result
        .report
        .iter()
        .flat_map(|r| &r.changes)
        .map(k6r_engine::Applied::line)
        .collect();
    let autopilot = ran
        .autopilot
        .as_ref()
        .map(k6r_core::autopilot::Report::summary_lines)
        .unwrap_or_default();
    local.metrics.read(|registry| {
        let ending = summary::Ending {
            registry,
            thresholds: &ran.thresholds,
            options: &local.summary_options,
            duration: ran.elapsed,
            setup_data: result.setup_data.as_deref(),
            handler,
            changes: &changes,
            autopilot: &autopilot,
        };
        summary::end(args, ending, out, err);
    });
    if let Some(display) = display {
        display.finish(out);
    }
    verdict::verdict(
        &result,
        ran.stopped_by_api,
        received.get().copied(),
        ran.aborted.as_ref(),
        &ran.evaluation,
    )
}

/// What the CLI keeps beside the run: what the summary and the verdict
/// read once it ends.
struct Local {
    script: Script,
    env: Env,
    script_config: k6r_script::Config,
    handles_summary: bool,
    summary_options: SummaryOptions,
    /// The run's registry: the summary, `/v1/metrics` and the thresholds
    /// read it.
    metrics: Metrics,
    writers: outputs::Writers,
    tainted: Tainted,
    /// The REST API's and `--paused`'s end, with `-a` or `--paused`.
    live: Option<LiveHandle>,
    /// `--web-dashboard`'s sampler and report.
    dashboard: Option<WebDashboard>,
}

/// What the run starts with.
struct Running {
    config: k6r_runner::Config,
    thresholds: Thresholds,
    /// Where the first signal is kept.
    received: Arc<OnceLock<Signal>>,
    /// `--autopilot`, and where the run hands it the scenarios' handles.
    autopilot: Option<(
        Autopilot,
        tokio::sync::oneshot::Receiver<Vec<k6r_engine::Steer>>,
    )>,
}

/// How the run went, thresholds finally evaluated.
struct Ran {
    result: Result<RunResult, RunError>,
    thresholds: Thresholds,
    /// The evaluation that aborted the run (`abortOnFail`), if one did.
    aborted: Option<Evaluation>,
    evaluation: Evaluation,
    /// The test-run duration.
    elapsed: Duration,
    /// `{"stopped":true}` stopped it (before the end).
    stopped_by_api: bool,
    /// The autopilot's report.
    autopilot: Option<k6r_core::autopilot::Report>,
}

/// What [`configure`] makes.
type Configured = (
    Local,
    k6r_runner::Config,
    Thresholds,
    Option<Arc<Display>>,
    Option<(
        Autopilot,
        tokio::sync::oneshot::Receiver<Vec<k6r_engine::Steer>>,
    )>,
);

/// The registry, thresholds, outputs and REST API of the prepared run,
/// the runner's config and the live progress; prints the banner.
fn configure(
    args: &RunArgs,
    prepared: Prepared,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Configured, Failure> {
    let Prepared {
        env,
        loaded,
        summary_options,
    } = prepared;
    let options = loaded.options;
    let invalid = |e: &dyn std::fmt::Display| Failure::new(ExitCode::InvalidConfig, e.to_string());
    let dashboard_settings =
        dashboard::Settings::from_env(args.web_dashboard, |name| std::env::var(name).ok())
            .map_err(|e| invalid(&e))?;
    let full_summary = summary_options.mode == Mode::Full;
    // Scenarios are charted only on the dashboard.
    let charted_scenarios = match dashboard_settings {
        Some(_) => options.scenarios.as_ref().map_or(0, |s| s.len()),
        None => 0,
    };
    let breakdown = Breakdown::charted(full_summary, charted_scenarios);
    let metrics = Metrics::for_script(&loaded.metrics, breakdown).map_err(|e| invalid(&e))?;
    let thresholds = match (&options.thresholds, args.no_thresholds) {
        (Some(option), false) => metrics.thresholds(option).map_err(|e| invalid(&e))?,
        _ => Thresholds::default(),
    };
    let autopilot = args.autopilot.local(&options, &metrics)?;
    let requested = outputs::parse(&args.out)?;
    let described = outputs::describe(&requested);
    let (output_sinks, writers) = outputs::start(requested, &metrics, &thresholds)?;
    let tainted = Tainted::default();
    let paint = paint::for_stdout(args.no_color, |name| std::env::var(name).ok());
    let mut dashboard = match dashboard_settings {
        Some(settings) => Some(WebDashboard::new(
            settings,
            metrics.clone(),
            &thresholds,
            tainted.clone(),
            autopilot.as_ref().map(Autopilot::watch),
        )?),
        None => None,
    };
    if !args.quiet {
        let url = dashboard.as_ref().and_then(WebDashboard::url);
        print::banner(
            out,
            paint,
            "local",
            &loaded.script,
            &options,
            &described,
            url,
        );
    }
    let handles_summary = loaded.exports.iter().any(|e| e == "handleSummary");
    let paused = options.paused.unwrap_or(false);
    let script_config = k6r_script::Config::default()
        .with_shared(loaded.shared)
        .with_secrets(loaded.secrets);
    // The script whose options were loaded: what it fetched is not fetched again.
    let script = loaded.source;
    let mut config = k6r_runner::Config::new(script.clone(), env.clone(), options, loaded.exports)
        .with_script_config(script_config.clone())
        .with_max_vus(args.max_vus.map(std::num::NonZeroU64::get))
        .with_sink(Box::new(metrics.clone()));
    for sink in output_sinks {
        config = config.with_sink(Box::new(sink));
    }
    let display = if args.quiet {
        None
    } else {
        Display::new(&config.options, paint)
    };
    if let Some(display) = &display {
        let (report, every) = display.reporter();
        config = config.with_progress(report).with_progress_every(every);
    }
    if let Some(dashboard) = &dashboard {
        let (watch, every) = dashboard.watch(config.progress.take(), config.progress_every);
        config = config.with_progress(watch).with_progress_every(every);
    }
    if let Some(workers) = args.workers {
        config = config.with_workers(workers);
    }
    let autopilot = match autopilot {
        Some(autopilot) => {
            let (to, steering) = tokio::sync::oneshot::channel();
            config = config.with_steering(to);
            Some((autopilot, steering))
        }
        None => None,
    };
    let listener = address::Address::from_flag(args.address.as_deref()).bind(err)?;
    let page = dashboard.as_mut().and_then(WebDashboard::page);
    let mut live = None;
    if listener.is_some() || paused || page.is_some() {
        // The API reads the registry the summary is printed from.
        let (mut serving, handle) = Live::new(listener, paused, metrics.clone(), tainted.clone());
        if let Some((listener, routes)) = page {
            serving = serving.with_page(listener, routes);
        }
        if let Some((autopilot, _)) = &autopilot {
            serving = serving.with_autopilot(autopilot.watch());
        }
        config = config.with_live(serving);
        live = Some(handle);
    }
    let local = Local {
        script,
        env,
        script_config,
        handles_summary,
        summary_options,
        metrics,
        writers,
        tainted,
        live,
        dashboard,
    };
    Ok((local, config, thresholds, display, autopilot))
}

/// Runs `config` with the signal handlers and the thresholds loop, and
/// evaluates the thresholds a last time (then `--linger`s).
async fn drive(
    args: &RunArgs,
    local: &Local,
    running: Running,
    out: &mut dyn Write,
) -> Result<Ran, Failure> {
    let stop = CancellationToken::new();
    // Not awaited: it lives until the process exits, so that a second
    // signal exits at once while the summary prints or the run lingers.
    tokio::spawn(signals(stop.clone(), running.received)?);
    let start = tokio::time::Instant::now();
    let done = CancellationToken::new();
    let live = local.live.as_ref();
    let watcher = tokio::spawn(watch_publishing(
        local.metrics.clone(),
        running.thresholds,
        start,
        stop.clone(),
        done.clone(),
        local.tainted.clone(),
        live.map(|l| l.clock()),
    ));
    let piloting: Option<Piloting> = running
        .autopilot
        .map(|(autopilot, steering)| autopilot.start(steering, local.metrics.clone()));
    let result = k6r_runner::run(running.config, stop).await;
    done.cancel();
    let autopilot = match piloting {
        Some(piloting) => piloting.finish(&mut std::io::stderr()).await,
        None => None,
    };
    // The test-run duration ends with the run, before any linger.
    let elapsed = live
        .and_then(|l| l.test_run_duration())
        .unwrap_or_else(|| start.elapsed());
    // A stop sent while lingering changes nothing (k6: exit 0).
    let stopped_by_api = live.is_some_and(|l| l.stopped());
    let Watched {
        mut thresholds,
        aborted,
    } = watcher.await.unwrap_or_else(|_| Watched {
        thresholds: Thresholds::default(),
        aborted: None,
    });
    // The final evaluation, which a lingering API shows too.
    let evaluation = local
        .metrics
        .read(|r| thresholds.evaluate(r, elapsed, false));
    local.tainted.publish(&thresholds);
    if args.linger {
        linger::wait(out, args.quiet).await;
    }
    Ok(Ran {
        result,
        thresholds,
        aborted,
        evaluation,
        elapsed,
        stopped_by_api,
        autopilot,
    })
}

/// The signal handlers: the first signal cancels `stop` (and is kept in
/// `received`), a second one exits at once.
fn signals(
    stop: CancellationToken,
    received: Arc<OnceLock<Signal>>,
) -> Result<impl std::future::Future<Output = ()> + Send, Failure> {
    k6r_signals::cancel_on_signals(
        stop,
        move |signal| {
            let _ = received.set(signal);
        },
        |second| {
            log::error(
                &mut std::io::stderr(),
                "Aborting k6 in response to signal",
                &[("sig".into(), second.go_name().into())],
            );
            ExitCode::ExternalAbort.code()
        },
    )
    .map_err(|e| {
        Failure::new(
            ExitCode::Failure,
            format!("can't install signal handlers: {e}"),
        )
    })
}
