//! `k6r-cli run script.js`: k6's run flags as the CLI options layer, the
//! run itself (`k6r_runner::run`) with the run's metrics registry and
//! thresholds, the end-of-test summary and k6's exit code.
//!
//! - `args`: the flags and the options layer they make.
//! - `address`: `-a/--address`, binding the REST API as k6 does.
//! - `linger`: `--linger`, waiting after the test.
//! - `outputs`: `--out` writers, started before the run, finished after.
//! - `print`: the banner and the progress line.
//! - `remote`: `--coordinator URL`, the run on a cluster: pack, submit,
//!   follow, and the summary from the merged metrics.
//! - `summary`: `handleSummary`, the text summary and `--summary-export`.
//! - `verdict`: the exit code and message of a finished run.

mod address;
mod args;
mod linger;
mod outputs;
mod print;
mod remote;
mod summary;
mod verdict;

use std::io::Write;
use std::sync::{Arc, OnceLock};

use k6r_core::exit::ExitCode;
use k6r_core::summary::{Mode, Options as SummaryOptions};
use k6r_core::threshold::Thresholds;
use k6r_runner::metrics::Metrics;
use k6r_runner::thresholds::{watch_publishing, Tainted, Watched};
use k6r_runner::Error as RunError;
use k6r_script::Env;
use k6r_signals::Signal;
use tokio_util::sync::CancellationToken;

pub use args::RunArgs;
pub use remote::ClusterArgs;

use crate::load::{load_with, script_env, secrets, Loaded};
use crate::{log, Failure};

/// Runs the command: on this machine, or on a cluster with
/// `--coordinator`.
pub fn run(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let coordinator = args.cluster.coordinator.as_deref();
    match coordinator.filter(|url| !url.trim().is_empty()) {
        Some(url) => remote::run(args, url, out, err),
        None => local(args, out, err),
    }
}

/// What a run starts from, local or remote: `__ENV`, the script's
/// consolidated and validated options, and the summary's options.
pub(crate) struct Prepared {
    /// The run's `__ENV`.
    pub env: Env,
    /// The loaded script, options derived and validated.
    pub loaded: Loaded,
    /// The summary's options.
    pub summary_options: SummaryOptions,
}

/// Loads the script and stacks the CLI layer on its options, with k6's
/// messages and exit codes: nothing has run or been sent yet.
pub(crate) fn prepare(args: &RunArgs, err: &mut dyn Write) -> Result<Prepared, Failure> {
    let cli_layer = args.options_layer()?;
    let env = script_env(args.include_system_env_vars, &args.env);
    let secrets = secrets(&args.secret_sources)?;
    let mut loaded = load_with(&args.script, &env, secrets, err)?;
    if let Some(warning) = loaded.options.apply(cli_layer, "cli") {
        log::warning(err, &warning.message, &warning.fields);
    }
    // `k6 run`'s `--vus` flag defaults to 1: an unset `vus` means 1 here.
    loaded.options.unset_vus = 1;
    loaded.derive_and_validate(err)?;
    let summary_options = SummaryOptions::new(
        loaded.options.summary_trend_stats.as_deref(),
        loaded.options.summary_time_unit.as_deref(),
        args.summary_mode.as_deref(),
    )
    .map_err(|e| Failure::new(ExitCode::Failure, e.to_string()))?;
    Ok(Prepared {
        env,
        loaded,
        summary_options,
    })
}

fn local(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let Prepared {
        env,
        loaded,
        summary_options,
    } = prepare(args, err)?;
    let options = loaded.options;
    // The script whose options were loaded: what it fetched is not fetched again.
    let script = loaded.source.clone();

    let metrics = Metrics::for_script(&loaded.metrics, summary_options.mode == Mode::Full)
        .map_err(|e| Failure::new(ExitCode::InvalidConfig, e.to_string()))?;
    let thresholds = match (&options.thresholds, args.no_thresholds) {
        (Some(option), false) => metrics
            .thresholds(option)
            .map_err(|e| Failure::new(ExitCode::InvalidConfig, e.to_string()))?,
        _ => Thresholds::default(),
    };

    let specs = outputs::parse(&args.out)?;
    let (output_sinks, writers) =
        metrics.read(|registry| outputs::start(&specs, registry, &thresholds))?;

    if !args.quiet {
        print::banner(
            out,
            "local",
            &loaded.script,
            &options,
            &outputs::describe(&specs),
        );
    }
    let handles_summary = loaded.exports.iter().any(|e| e == "handleSummary");
    let paused = options.paused.unwrap_or(false);
    let script_config = k6r_script::Config::default()
        .with_shared(loaded.shared)
        .with_secrets(loaded.secrets);
    let mut config = k6r_runner::Config::new(script.clone(), env.clone(), options, loaded.exports)
        .with_script_config(script_config)
        .with_max_vus(args.max_vus.map(std::num::NonZeroU64::get))
        .with_sink(Box::new(metrics.clone()));
    for sink in output_sinks {
        config = config.with_sink(Box::new(sink));
    }
    if !args.quiet {
        config = config.with_progress(Arc::new(print::progress_line));
    }
    if let Some(workers) = args.workers {
        config = config.with_workers(workers);
    }
    let listener = address::Address::from_flag(args.address.as_deref()).bind(err)?;
    let mut live = None;
    let tainted = Tainted::default();
    if listener.is_some() || paused {
        // The API reads the registry the summary is printed from.
        let (serving, handle) =
            k6r_runner::rest_api::Live::new(listener, paused, metrics.clone(), tainted.clone());
        config = config.with_live(serving);
        live = Some(handle);
    }
    let script_config = config.script_config.clone();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(ExitCode::Failure, format!("can't start the runtime: {e}")))?;
    // The first SIGINT or SIGTERM stops the run (teardown and the summary
    // still come, exit 105); a second one aborts at once, as in k6.
    let received: Arc<OnceLock<Signal>> = Arc::default();
    let (result, thresholds, aborted, evaluation, elapsed, stopped_by_api) =
        runtime.block_on(async {
            let stop = CancellationToken::new();
            let first = Arc::clone(&received);
            let signals = k6r_signals::cancel_on_signals(
                stop.clone(),
                move |signal| {
                    let _ = first.set(signal);
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
            })?;
            tokio::spawn(signals);
            let start = tokio::time::Instant::now();
            let done = CancellationToken::new();
            let watcher = tokio::spawn(watch_publishing(
                metrics.clone(),
                thresholds,
                start,
                stop.clone(),
                done.clone(),
                tainted.clone(),
                live.as_ref().map(|l| l.clock()),
            ));
            let result = k6r_runner::run(config, stop).await;
            done.cancel();
            // The test-run duration ends with the run, before any linger.
            let elapsed = live
                .as_ref()
                .and_then(|l| l.test_run_duration())
                .unwrap_or_else(|| start.elapsed());
            // A stop sent while lingering changes nothing (k6: exit 0).
            let stopped_by_api = live.as_ref().is_some_and(|l| l.stopped());
            let Watched {
                mut thresholds,
                aborted,
            } = watcher.await.unwrap_or_else(|_| Watched {
                thresholds: Thresholds::default(),
                aborted: None,
            });
            // The final evaluation, which a lingering API shows too.
            let evaluation = metrics.read(|r| thresholds.evaluate(r, elapsed, false));
            tainted.publish(&thresholds);
            if args.linger {
                linger::wait(out, args.quiet).await;
            }
            Ok::<_, Failure>((
                result,
                thresholds,
                aborted,
                evaluation,
                elapsed,
                stopped_by_api,
            ))
        })?;
    if let Some(live) = live {
        runtime.block_on(live.shutdown());
    }
    let mut result = result.map_err(|e| runner_failure(&e))?;
    // The outputs' sinks close their queues; the writers drain them.
    drop(std::mem::take(&mut result.sinks));
    outputs::finish(writers, err);

    let handler = handles_summary.then_some(summary::Handler {
        script: &script,
        env: &env,
        config: &script_config,
    });
    metrics.read(|registry| {
        let ending = summary::Ending {
            registry,
            thresholds: &thresholds,
            options: &summary_options,
            duration: elapsed,
            setup_data: result.setup_data.as_deref(),
            handler,
        };
        summary::end(args, ending, out, err);
    });
    verdict::verdict(
        &result,
        stopped_by_api,
        received.get().copied(),
        aborted.as_ref(),
        &evaluation,
    )
}

fn runner_failure(error: &RunError) -> Failure {
    let failure = Failure::new(error.exit_code(), error.to_string());
    match error.hint() {
        Some(hint) => failure.with_field("hint", hint),
        None => failure,
    }
}
