//! The command line: every command and flag, with `K6R_*`/`K6_*`
//! environment fallbacks where k6 has them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::control::{AddressArgs, PauseArgs, ScaleArgs};

/// k6r: run k6 scripts, on one machine or a cluster.
#[derive(Debug, Parser)]
#[command(name = "k6r-cli", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a script's consolidated options (and what running it needs).
    Inspect(InspectArgs),
    /// Run a k6 script on this machine (or on a cluster: `--coordinator`).
    Run(Box<crate::run::RunArgs>),
    /// Show the status of a running test.
    Status(AddressArgs),
    /// Show the metrics of a running test.
    Stats(AddressArgs),
    /// Pause a running test (or one scenario: `--scenario`).
    Pause(PauseArgs),
    /// Resume a paused test (or one scenario: `--scenario`).
    Resume(PauseArgs),
    /// Scale a running test (externally-controlled), or change one
    /// scenario's rate, VUs or stage targets (`--scenario`).
    Scale(ScaleArgs),
    /// Stop a running test (exit code 103); k6 has no such command.
    Stop(AddressArgs),
}

/// Flags of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The script to inspect.
    pub script: PathBuf,
    /// Also compute `totalDuration` and `maxVUs` of the test (and validate
    /// the options as a run would).
    #[arg(long)]
    pub execution_requirements: bool,
    /// Add or override an environment variable of the script: `VAR=value`.
    #[arg(short = 'e', long = "env", value_name = "VAR=value", value_parser = parse_env_pair)]
    pub env: Vec<(String, String)>,
    /// Pass the real system environment variables to the script's `__ENV`.
    #[arg(long, env = "K6_INCLUDE_SYSTEM_ENV_VARS")]
    pub include_system_env_vars: bool,
    /// Inspect the share of this execution segment (`from:to`, e.g.
    /// `1/3:2/3`); overrides the script's `executionSegment`. (k6's inspect
    /// has no such flag; `k6 run` does.)
    #[arg(long, value_name = "SEGMENT")]
    pub execution_segment: Option<String>,
    /// The sequence the segment belongs to (`0,1/3,2/3,1`); overrides the
    /// script's `executionSegmentSequence`.
    #[arg(long, value_name = "SEQUENCE")]
    pub execution_segment_sequence: Option<String>,
}

/// `VAR=value` (the value may be empty or contain `=`).
pub(crate) fn parse_env_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("invalid env var '{text}', expected VAR=value")),
    }
}
