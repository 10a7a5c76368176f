//! `k6r-cli run --coordinator URL script.js`: the run on a cluster.
//!
//! The script is loaded and its options consolidated and validated
//! exactly as for a local run (same errors, same exit codes, nothing
//! sent); then its init context is evaluated once more through
//! [`k6r_script::RecordingFiles`] to pack the archive, the run is
//! submitted (`POST /v1/runs`) and followed every second
//! (`GET /v1/runs/{id}`, ctrl-c → `POST /v1/runs/{id}/stop`). At the end,
//! the merged metrics go into a registry made as a local run makes it,
//! and the summary is printed by the local run's code.
//!
//! - `archive`: the script with its local imports and `open()`ed files.
//! - `client`: the coordinator's `/v1/runs` endpoints, errors for people.
//! - `follow`: polling until the end, progress lines, ctrl-c.
//! - `outcome`: the result: summary, partial line, exit code.

mod archive;
mod client;
mod follow;
mod outcome;

use std::collections::BTreeMap;
use std::io::Write;

use clap::{Args, ValueEnum};
use k6r_api::{OnAgentLoss, RunRequest};
use k6r_core::exit::ExitCode;
use k6r_core::options::Options;
use k6r_core::summary::Mode;

use super::paint;
use super::verdict::signal_failure;
use super::{prepare, print, progress, Prepared, RunArgs};
use crate::Failure;
use client::Client;

/// Exit code of a run the CLI could not submit or follow.
pub const EXIT: ExitCode = ExitCode::Failure;

/// The flags of a run on a cluster.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Run on the cluster of this coordinator (`http://host:port`)
    /// instead of this machine (empty: this machine).
    #[arg(long, env = "K6R_COORDINATOR", value_name = "URL")]
    pub coordinator: Option<String>,
    /// A token the coordinator requires, sent as `Authorization: Bearer`.
    #[arg(long, env = "K6R_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Agents to split the run over (default: the coordinator's).
    #[arg(long, value_name = "N")]
    pub agents: Option<usize>,
    /// An agent's relative weight in the split, `NAME=W` (repeatable;
    /// absent: 1).
    #[arg(long = "weight", value_name = "NAME=W", value_parser = parse_weight)]
    pub weights: Vec<(String, u32)>,
    /// What to do when an agent is lost: `abort` the run (exit 111) or
    /// `continue` without it (the summary is marked partial).
    #[arg(long, value_enum, default_value_t = LossPolicy::Abort, value_name = "POLICY")]
    pub on_agent_loss: LossPolicy,
}

/// `--on-agent-loss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LossPolicy {
    /// End the run.
    Abort,
    /// Go on without the lost agent.
    Continue,
}

impl From<LossPolicy> for OnAgentLoss {
    fn from(policy: LossPolicy) -> Self {
        match policy {
            LossPolicy::Abort => OnAgentLoss::Abort,
            LossPolicy::Continue => OnAgentLoss::Continue,
        }
    }
}

/// Flags that make no sense on a cluster: the coordinator splits the
/// run into segments, and samples stay on the agents. Refused (exit 255)
/// before anything is loaded or sent.
fn refuse_local_only_flags(args: &RunArgs) -> Result<(), Failure> {
    let refused = [
        ("--out", !args.out.is_empty()),
        ("--execution-segment", args.execution_segment.is_some()),
        (
            "--execution-segment-sequence",
            args.execution_segment_sequence.is_some(),
        ),
        ("--linger", args.linger),
    ];
    match refused.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(Failure::new(
            EXIT,
            format!("{flag} can't be used with --coordinator (it is for a run on this machine)"),
        )),
        None => Ok(()),
    }
}

/// The options as sent: k6's JSON of the options consolidated for a run,
/// which the coordinator consolidates again as a no-op.
fn wire_options(options: &Options) -> serde_json::Value {
    serde_json::Value::Object(options.to_json())
}

/// `NAME=W`, `W` a non-negative integer.
fn parse_weight(text: &str) -> Result<(String, u32), String> {
    let invalid = || format!("invalid weight '{text}', expected NAME=W (W an integer)");
    match text.split_once('=') {
        Some((name, weight)) if !name.is_empty() => {
            let weight = weight.trim().parse().map_err(|_| invalid())?;
            Ok((name.to_string(), weight))
        }
        _ => Err(invalid()),
    }
}

/// Runs `args.script` on the cluster of the coordinator at `url`.
pub fn run(
    args: &RunArgs,
    url: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    refuse_local_only_flags(args)?;
    let client = Client::new(url, args.cluster.token.as_deref())?;
    let Prepared {
        env,
        mut loaded,
        summary_options,
    } = prepare(args, err)?;
    let breakdown = summary_options.mode == Mode::Full;
    if args.no_thresholds {
        loaded.options.thresholds = None;
    }
    // Thresholds are checked against the script's metrics now, so a bad
    // one fails (exit 104) before anything is sent.
    let ending = outcome::Summary::new(&loaded, breakdown)?;
    let archive = archive::pack(&args.script, &env, &loaded.source)?;
    let request = RunRequest {
        archive,
        options: wire_options(&loaded.options),
        env: (*env.0).clone(),
        exports: loaded.exports.clone(),
        agents: args.cluster.agents,
        weights: args
            .cluster
            .weights
            .iter()
            .cloned()
            .collect::<BTreeMap<_, _>>(),
        on_agent_loss: args.cluster.on_agent_loss.into(),
        breakdown,
        metrics: loaded.metrics.iter().map(|m| m.as_ref().into()).collect(),
        autopilot: args.autopilot.request(&loaded.options)?,
    };
    let paint = paint::for_stdout(args.no_color, |name| std::env::var(name).ok());
    if !args.quiet {
        let execution = format!("cluster ({})", client.base());
        print::banner(
            out,
            paint,
            &execution,
            &loaded.script,
            &loaded.options,
            "",
            None,
        );
    }
    // The whole test's board: its rows and the header's widths, as k6's.
    let shown = follow::Shown {
        board: (!args.quiet)
            .then(|| progress::Board::new(&loaded.options))
            .flatten(),
        paint,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT, format!("can't start the runtime: {e}")))?;
    let (view, interrupted) = runtime.block_on(async {
        let first = client.submit(&request).await?;
        follow::follow(&client, first, &shown, out, err).await
    })?;
    if let Some(line) = outcome::skew_line(view.start_skew_ms) {
        let _ = writeln!(out, "{line}");
    }
    let Some(mut result) = view.result else {
        return Err(Failure::new(
            EXIT,
            "the coordinator ended the run without a result",
        ));
    };
    // The coordinator saw a stop request; here it was a signal, which k6
    // reports as an external abort.
    if let Some(signal) = interrupted.filter(|_| result.exit_code == ExitCode::Stopped) {
        let failure = signal_failure(signal);
        result.exit_code = failure.code;
        result.message = failure.message;
    }
    let ending = match &view.autopilot {
        Some(report) => {
            args.autopilot.write_report(report, err);
            ending.with_autopilot(report)
        }
        None => ending,
    };
    outcome::finish(args, ending, &summary_options, &env, &result, out, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_name_equals_integer() {
        assert_eq!(parse_weight("eu-1=3"), Ok(("eu-1".to_owned(), 3)));
        assert!(parse_weight("=3").is_err());
        assert!(parse_weight("a=").is_err());
        assert!(parse_weight("a=-1").is_err());
        assert!(parse_weight("a").is_err());
    }
}
