//! `--out`: the outputs of a run, started before it and finished after
//! it, with what they could not write reported: k6's file outputs
//! (`json`, `csv`) and `experimental-prometheus-rw`, which pushes the
//! run's metrics to a Prometheus remote-write receiver.

use std::io::Write;

use k6r_core::exit::ExitCode;
use k6r_core::threshold::Thresholds;
use k6r_prometheus::remote_write::{self, Pusher};
use k6r_runner::metrics::Metrics;
use k6r_runner::output::{self, Declarations, Output, Spec, Writer};

use crate::{log, Failure};

/// The `--out` flags, read.
#[derive(Debug)]
pub struct Outputs {
    files: Vec<Spec>,
    /// `experimental-prometheus-rw` and its settings.
    remote_write: Option<remote_write::Config>,
}

/// What finishes after the run: the file writers and the pusher.
pub struct Writers {
    files: Vec<Writer>,
    remote_write: Option<Pusher>,
}

/// Reads every `--out` value (exit 255 on a bad one, as a flag error);
/// `experimental-prometheus-rw` reads its `K6_PROMETHEUS_RW_*` settings
/// from the environment, as k6 does.
pub fn parse(values: &[String]) -> Result<Outputs, Failure> {
    let flag_error = |e: &dyn std::fmt::Display| Failure::new(ExitCode::Failure, e.to_string());
    let mut outputs = Outputs {
        files: Vec::new(),
        remote_write: None,
    };
    for value in values {
        let kind = value.split_once('=').map_or(value.as_str(), |(k, _)| k);
        if kind == remote_write::OUTPUT {
            let config = remote_write::Config::from_env(std::env::vars())
                .map_err(|e| flag_error(&format!("{}: {e}", remote_write::OUTPUT)))?;
            outputs.remote_write = Some(config);
        } else {
            outputs
                .files
                .push(Spec::parse(value).map_err(|e| flag_error(&e))?);
        }
    }
    Ok(outputs)
}

/// The banner's `output:` value.
pub fn describe(outputs: &Outputs) -> String {
    outputs
        .files
        .iter()
        .map(Spec::describe)
        .chain(
            outputs
                .remote_write
                .iter()
                .map(|c| format!("{} ({})", remote_write::OUTPUT, c.url)),
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// Opens every output: the file outputs' sinks go to the run; the
/// writers, and the pusher reading `metrics`, are kept for [`finish`].
pub fn start(
    outputs: Outputs,
    metrics: &Metrics,
    thresholds: &Thresholds,
) -> Result<(Vec<Output>, Writers), Failure> {
    let failed = |e: &dyn std::fmt::Display| Failure::new(ExitCode::Failure, e.to_string());
    let declarations = metrics.read(|registry| Declarations::new(registry, thresholds));
    let mut sinks = Vec::new();
    let mut files = Vec::new();
    for spec in &outputs.files {
        let (sink, writer) = output::start(spec, declarations.clone()).map_err(|e| failed(&e))?;
        sinks.push(sink);
        files.push(writer);
    }
    let remote_write = match outputs.remote_write {
        Some(config) => {
            let metrics = metrics.clone();
            let stats = config.trend_stats.clone();
            let source = move || {
                metrics.read(|registry| {
                    let mut families = k6r_prometheus::families(registry);
                    families.extend(k6r_prometheus::trend_stats(registry, &stats));
                    families
                })
            };
            Some(Pusher::spawn(config, source).map_err(|e| failed(&e))?)
        }
        None => None,
    };
    Ok((
        sinks,
        Writers {
            files,
            remote_write,
        },
    ))
}

/// Waits for every writer (their sinks must be dropped) and the pusher's
/// last push, and logs what went wrong: write errors, dropped samples,
/// failed pushes.
pub fn finish(writers: Writers, err: &mut dyn Write) {
    for writer in writers.files {
        let report = writer.finish();
        if let Some(e) = &report.error {
            log::error(
                err,
                &format!("the {} output failed", report.spec),
                &[("error".into(), e.to_string())],
            );
        }
        if report.dropped > 0 {
            log::warning(
                err,
                &format!(
                    "the {} output fell behind and dropped {} of {} samples",
                    report.spec,
                    report.dropped,
                    report.dropped + report.written
                ),
                &[],
            );
        }
    }
    if let Some(pusher) = writers.remote_write {
        let report = pusher.finish();
        if report.failures > 0 {
            log::error(
                err,
                &format!(
                    "the {} output failed {} of {} pushes",
                    remote_write::OUTPUT,
                    report.failures,
                    report.failures + report.pushes
                ),
                &[("error".into(), report.last_error.unwrap_or_default())],
            );
        }
    }
}
