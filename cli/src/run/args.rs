//! The flags of `run` and the options layer they make (k6's CLI layer:
//! only flags actually given override the script).

use std::path::PathBuf;

use clap::{ArgAction, Args};
use k6r_core::exit::ExitCode;
use k6r_core::options::{Options, Stage};
use k6r_core::segment::{Segment, Sequence};
use k6r_core::Duration;

use crate::args::parse_env_pair;
use crate::Failure;

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The script to run.
    pub script: PathBuf,
    /// Number of VUs to run concurrently.
    #[arg(short = 'u', long)]
    pub vus: Option<i64>,
    /// Test duration limit (`30s`, `1m30s`).
    #[arg(short = 'd', long)]
    pub duration: Option<String>,
    /// Script total iteration limit (among all VUs).
    #[arg(short = 'i', long)]
    pub iterations: Option<i64>,
    /// Add a stage, as `[duration]:[target]` (repeatable or comma-separated).
    #[arg(short = 's', long = "stage", value_delimiter = ',')]
    pub stages: Vec<String>,
    /// Add or override an environment variable of the script: `VAR=value`.
    #[arg(short = 'e', long = "env", value_name = "VAR=value", value_parser = parse_env_pair)]
    pub env: Vec<(String, String)>,
    /// Pass the system environment variables to `__ENV` (the default).
    #[arg(long, env = "K6_INCLUDE_SYSTEM_ENV_VARS", default_value_t = true,
          num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    pub include_system_env_vars: bool,
    /// Add a tag to every sample of the run: `NAME=VALUE` (repeatable).
    #[arg(long = "tag", value_name = "NAME=VALUE", value_parser = parse_env_pair)]
    pub tags: Vec<(String, String)>,
    /// Run only this execution segment (`from:to`, e.g. `1/3:2/3`).
    #[arg(long, value_name = "SEGMENT")]
    pub execution_segment: Option<String>,
    /// The sequence the segment belongs to (`0,1/3,2/3,1`).
    #[arg(long, value_name = "SEQUENCE")]
    pub execution_segment_sequence: Option<String>,
    /// Don't run `setup()`.
    #[arg(long)]
    pub no_setup: bool,
    /// Don't run `teardown()`.
    #[arg(long)]
    pub no_teardown: bool,
    /// Don't print the banner and progress.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Disable colored output (also with `NO_COLOR` or `K6_NO_COLOR` set).
    #[arg(long)]
    pub no_color: bool,
    /// Don't print the end-of-test summary (nor call `handleSummary`, nor
    /// write `--summary-export`).
    #[arg(long, env = "K6_NO_SUMMARY")]
    pub no_summary: bool,
    /// The summary's layout: `compact` (the default) or `full`.
    #[arg(long, env = "K6_SUMMARY_MODE", value_name = "MODE")]
    pub summary_mode: Option<String>,
    /// The trend statistics shown in the summary (`avg,p(99),max`).
    #[arg(long, env = "K6_SUMMARY_TREND_STATS", value_name = "STATS")]
    pub summary_trend_stats: Option<String>,
    /// The summary's time unit: `s`, `ms` or `us`.
    #[arg(long, env = "K6_SUMMARY_TIME_UNIT", value_name = "UNIT")]
    pub summary_time_unit: Option<String>,
    /// Write the end-of-test summary as JSON to this file.
    #[arg(long, env = "K6_SUMMARY_EXPORT", value_name = "FILE")]
    pub summary_export: Option<PathBuf>,
    /// Don't evaluate thresholds.
    #[arg(long, env = "K6_NO_THRESHOLDS")]
    pub no_thresholds: bool,
    /// Also write every sample to an output: `json=FILE` (`.gz`: gzipped)
    /// or `csv=FILE` (repeatable).
    #[arg(short = 'o', long = "out", value_name = "OUTPUT")]
    pub out: Vec<String>,
    /// Worker threads hosting VUs (default: the number of CPUs).
    #[arg(long, env = "K6R_WORKERS")]
    pub workers: Option<usize>,
    /// Address of the REST API server (`host:port`, default
    /// `localhost:6565`); `""` disables it.
    #[arg(short = 'a', long, env = "K6R_ADDRESS")]
    pub address: Option<String>,
    /// Serve the live web dashboard (k6's `K6_WEB_DASHBOARD=true`) on
    /// `K6_WEB_DASHBOARD_HOST`:`K6_WEB_DASHBOARD_PORT` (127.0.0.1:5665;
    /// port -1: none), its report written to `K6_WEB_DASHBOARD_EXPORT`.
    #[arg(long)]
    pub web_dashboard: bool,
    /// Start the test paused (resume it with `k6r-cli resume`).
    #[arg(short = 'p', long)]
    pub paused: bool,
    /// After the test, keep the REST API up until Ctrl+C.
    #[arg(short = 'l', long, env = "K6_LINGER", default_value_t = false, require_equals = true,
          num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    pub linger: bool,
    /// The most VUs this machine may run (k6r's; default: what fits in
    /// 75% of its memory at 256 KiB per VU). A test that could need more
    /// is refused before it starts (exit 104).
    #[arg(long, env = "K6R_MAX_VUS", value_name = "N")]
    pub max_vus: Option<std::num::NonZeroU64>,
    /// A source of `k6/secrets`: `file=PATH` or `mock=KEY=VALUE,...`, with
    /// `name=NAME` and `default` among the items to name it and make it
    /// the default one (repeatable).
    #[arg(long = "secret-source", value_name = "SOURCE")]
    pub secret_sources: Vec<String>,
    /// `--coordinator` and the flags of a run on a cluster.
    #[command(flatten)]
    pub cluster: super::ClusterArgs,
    /// `--autopilot SCENARIO` and its flags.
    #[command(flatten)]
    pub autopilot: super::autopilot::AutopilotArgs,
}

impl RunArgs {
    /// The CLI options layer. Bad values are flag errors (exit 255), as
    /// in k6, except those k6 reports as invalid config.
    pub fn options_layer(&self) -> Result<Options, Failure> {
        let flag = |message: String| Failure::new(ExitCode::Failure, message);
        let duration = self
            .duration
            .as_deref()
            .map(|text| {
                Duration::parse_go(text).map_err(|e| {
                    flag(format!(
                        "invalid argument \"{text}\" for \"-d, --duration\" flag: {e}"
                    ))
                })
            })
            .transpose()?;
        let stages = if self.stages.is_empty() {
            None
        } else {
            let parsed: Result<Vec<Stage>, _> = self
                .stages
                .iter()
                .enumerate()
                .map(|(i, s)| Stage::parse_cli(s, i))
                .collect();
            Some(parsed.map_err(|e| flag(e.to_string()))?)
        };
        Ok(Options {
            vus: self.vus,
            duration,
            iterations: self.iterations,
            summary_trend_stats: self.summary_trend_stats.as_deref().map(|stats| {
                stats
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            summary_time_unit: self.summary_time_unit.clone(),
            stages,
            execution_segment: self
                .execution_segment
                .as_deref()
                .map(Segment::parse)
                .transpose()
                .map_err(|e| flag(e.to_string()))?,
            execution_segment_sequence: self
                .execution_segment_sequence
                .as_deref()
                .map(Sequence::parse)
                .transpose()
                .map_err(|e| flag(e.to_string()))?,
            no_setup: self.no_setup.then_some(true),
            no_teardown: self.no_teardown.then_some(true),
            paused: self.paused.then_some(true),
            tags: (!self.tags.is_empty()).then(|| self.tags.iter().cloned().collect()),
            ..Options::default()
        })
    }
}
