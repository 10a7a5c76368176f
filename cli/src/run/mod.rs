//! `k6r-cli run script.js`: k6's run flags as the CLI options layer, the
//! run itself (`k6r_runner::run`), the printed result and k6's exit code.
//!
//! - `args`: the flags and the options layer they make.
//! - `print`: the banner and the end-of-run counts (to be replaced by the
//!   core's summary).

mod args;
mod print;

use std::io::Write;

use k6r_runner::{End, Error as RunError};
use k6r_script::Script;
use tokio_util::sync::CancellationToken;

pub use args::RunArgs;

use crate::load::{load, script_env};
use crate::{log, Failure};

/// Runs the command.
pub fn run(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let cli_layer = args.options_layer()?;
    let env = script_env(args.include_system_env_vars, &args.env);
    let loaded = load(&args.script, &env, err)?;
    let mut options = loaded.options;
    if let Some(warning) = options.apply(cli_layer, "cli") {
        log::warning(err, &warning.message, &warning.fields);
    }
    // `k6 run`'s `--vus` flag defaults to 1: an unset `vus` means 1 here.
    options.unset_vus = 1;
    let options_failure = |e| Failure::options(e, &loaded.script, &loaded.url);
    for warning in options.derive_scenarios().map_err(options_failure)? {
        log::warning(err, &warning.message, &warning.fields);
    }
    options
        .validate(Some(&loaded.exports))
        .map_err(options_failure)?;
    let script =
        Script::from_path(&args.script).map_err(|e| Failure::new(e.exit_code(), e.to_string()))?;

    if !args.quiet {
        print::banner(out, &loaded.script, &options);
    }
    let mut config = k6r_runner::Config::new(script, env, options, loaded.exports);
    if !args.quiet {
        config = config.with_progress(std::sync::Arc::new(print::progress_line));
    }
    if let Some(workers) = args.workers {
        config = config.with_workers(workers);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(255, format!("can't start the runtime: {e}")))?;
    let result = runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signal = shutdown.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                signal.cancel();
            }
        });
        k6r_runner::run(config, shutdown).await
    });
    let result = result.map_err(|e| runner_failure(&e))?;

    if !args.no_summary {
        print::counts(out, &result);
    }
    if let Some(error) = &result.error {
        return Err(runner_failure(error));
    }
    match &result.end {
        End::Finished if result.marked_failed => {
            Err(Failure::new(110, "test run was marked as failed"))
        }
        End::Finished => Ok(()),
        End::Stopped => Err(Failure::new(
            105,
            "test run was aborted because k6 received a 'interrupt' signal",
        )),
        End::Aborted(reason) => Err(Failure::new(
            108,
            match reason {
                Some(reason) => format!("test aborted: {reason}"),
                None => "test aborted".to_owned(),
            },
        )),
    }
}

fn runner_failure(error: &RunError) -> Failure {
    let failure = Failure::new(error.exit_code(), error.to_string());
    match error.hint() {
        Some(hint) => failure.with_field("hint", hint),
        None => failure,
    }
}
