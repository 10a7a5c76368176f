//! `k6r-cli run script.js`: k6's run flags as the CLI options layer, the
//! run itself (`k6r_runner::run`) with the run's metrics registry and
//! thresholds, the end-of-test summary and k6's exit code.
//!
//! - `args`: the flags and the options layer they make.
//! - `address`: `-a/--address`, binding the REST API as k6 does.
//! - `autopilot`: `--autopilot SCENARIO --slo ...`, the run's rate
//!   steered to the knee of its SLOs.
//! - `dashboard`: `--web-dashboard`, the live dashboard of a run here.
//! - `linger`: `--linger`, waiting after the test.
//! - `local`: the run on this machine, its summary and exit code.
//! - `outputs`: `--out` writers, started before the run, finished after.
//! - `paint`: k6's colours on a terminal (`--no-color`, `NO_COLOR`).
//! - `print`: the banner with k6's execution description.
//! - `progress`: the live progress: plain blocks, or bars on a terminal.
//! - `remote`: `--coordinator URL`, the run on a cluster: pack, submit,
//!   follow, and the summary from the merged metrics.
//! - `summary`: `handleSummary`, the text summary and `--summary-export`.
//! - `verdict`: the exit code and message of a finished run.

mod address;
mod args;
mod autopilot;
mod dashboard;
mod linger;
mod local;
mod outputs;
mod paint;
mod print;
mod progress;
mod remote;
mod summary;
mod verdict;

use std::io::Write;

use k6r_core::exit::ExitCode;
use k6r_core::options::Purpose;
use k6r_core::summary::Options as SummaryOptions;
use k6r_runner::Error as RunError;
use k6r_script::Env;

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
        None => local::run(args, out, err),
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
    loaded.consolidate(Purpose::Run, err)?;
    let summary_options = SummaryOptions::new(
        loaded.options.summary_trend_stats.as_deref(),
        loaded.options.summary_time_unit.as_deref(),
        args.summary_mode.as_deref(),
    )
    .map_err(|e| Failure::new(ExitCode::Failure, e.to_string()))?;
    let summary_options = SummaryOptions {
        no_color: paint::refused(args.no_color, |name| std::env::var(name).ok()),
        ..summary_options
    };
    Ok(Prepared {
        env,
        loaded,
        summary_options,
    })
}

pub(crate) fn runner_failure(error: &RunError) -> Failure {
    let failure = Failure::new(error.exit_code(), error.to_string());
    match error.hint() {
        Some(hint) => failure.with_field("hint", hint),
        None => failure,
    }
}
