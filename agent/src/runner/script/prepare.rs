//! Assign → a ready-to-run [`k6r_runner::Config`]: the archive as a
//! script, `__ENV`, the exports and custom metrics (the init context run
//! once), the options with this agent's segment, excluded scenarios left
//! out and pinned ones run whole.

use std::sync::Arc;

use k6r_core::exit::ExitCode;
use k6r_core::metrics::MetricsError;
use k6r_core::options::{Options, OptionsError, Purpose};
use k6r_core::segment::{Segment, SegmentError, Sequence};
use k6r_proto::convert::OptionsWireError;
use k6r_proto::v1;
use k6r_runner::metrics::Metrics;
use k6r_script::{Env, MemoryFiles, Script};

/// Why an Assign can't be run: answered with an `AgentError`.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The Assign carries no archive, or one without an entry.
    #[error("invalid archive: {0}")]
    Archive(&'static str),
    /// The script failed to load or its init context threw.
    #[error("{0}")]
    Init(#[from] k6r_script::Error),
    /// The Assign's options do not convert (a scenario without executor,
    /// a segment that does not parse...).
    #[error("invalid options: {0}")]
    Wire(#[from] OptionsWireError),
    /// The options do not parse or validate.
    #[error("{0}")]
    Options(#[from] OptionsError),
    /// The execution segment or its sequence is invalid.
    #[error("{0}")]
    Segment(#[from] SegmentError),
    /// The script's custom metrics clash with the built-ins.
    #[error("{0}")]
    Metrics(#[from] MetricsError),
}

impl PrepareError {
    /// k6's exit code for it.
    pub fn exit_code(&self) -> i32 {
        match self {
            PrepareError::Init(e) => e.exit_code(),
            PrepareError::Options(e) => e.exit_code(),
            PrepareError::Archive(_) => ExitCode::ScriptException.code(),
            PrepareError::Wire(_) | PrepareError::Segment(_) | PrepareError::Metrics(_) => {
                ExitCode::InvalidConfig.code()
            }
        }
    }
}

/// A run ready to start, and the registry that collects its metrics.
pub(crate) struct Prepared {
    pub config: k6r_runner::Config,
    pub metrics: Metrics,
    /// `teardownTimeout`: the lead waits this (plus a margin) for
    /// RunTeardown.
    pub teardown_timeout: std::time::Duration,
}

/// Loads `assign` (runs the init context once: blocking).
pub(crate) fn prepare(assign: &v1::Assign, host: super::Host) -> Result<Prepared, PrepareError> {
    let archive = assign
        .archive
        .as_ref()
        .ok_or(PrepareError::Archive("the Assign has no archive"))?;
    if archive.entry.is_empty() {
        return Err(PrepareError::Archive("the archive names no entry module"));
    }
    let mut files = MemoryFiles::new();
    for (key, content) in &archive.files {
        // Remote modules are keyed by URL, local files by absolute path.
        if key.starts_with("https://") {
            files.insert_remote(key.clone(), content.clone());
        } else {
            files.insert(key, content.clone());
        }
    }
    let script = Script::new(Arc::new(files), &archive.entry);
    let env: Env = assign.env.clone().into_iter().collect();
    // The inspection's shared data (`SharedArray`s) serves the run's VUs:
    // callbacks run once per agent process, as in k6.
    let script_config = k6r_script::Config::default();
    let inspection = k6r_script::inspect_with(&script, &env, &script_config)?;

    let mut options = match &assign.options {
        Some(options) => Options::try_from(options)?,
        None => Options::from_json(&inspection.options)?.0,
    };
    // A no-op for the options the coordinator consolidated; the script's
    // own options become a run's here.
    options.consolidate(Purpose::Run, Some(&inspection.exports))?;
    // The coordinator's split wins over the script's own segment.
    let segment = Some(assign.execution_segment.as_str())
        .filter(|s| !s.is_empty())
        .map(Segment::parse)
        .transpose()?;
    let sequence = Some(assign.execution_segment_sequence.as_str())
        .filter(|s| !s.is_empty())
        .map(Sequence::parse)
        .transpose()?;
    let options = options.part(segment, sequence, &assign.excluded_scenarios);
    options.validate(Some(&inspection.exports))?;

    let metrics = Metrics::for_script(&inspection.metrics, assign.breakdown().into())?;
    // The thresholds' submetrics (`metric{tag:value}`) are fed from the
    // samples, which only the agents see: declared here, they travel in
    // the deltas to the coordinator, which evaluates the thresholds.
    if let Some(thresholds) = &options.thresholds {
        if let Err(e) = metrics.thresholds(thresholds) {
            tracing::debug!("the thresholds' submetrics are not declared: {e}");
        }
    }
    let teardown_timeout = options.teardown_timeout().to_std();
    let mut config = k6r_runner::Config::new(script, env, options, inspection.exports)
        .with_script_config(script_config)
        .with_pinned(assign.pinned_scenarios.clone())
        .with_max_vus(host.max_vus)
        .with_sink(Box::new(metrics.clone()));
    if let Some(workers) = host.workers {
        config = config.with_workers(workers);
    }
    Ok(Prepared {
        config,
        metrics,
        teardown_timeout,
    })
}
