//! `--out`: the outputs of a run, started before it and finished after
//! it, with what they could not write reported.

use std::io::Write;

use k6r_core::exit::ExitCode;
use k6r_core::metrics::Registry;
use k6r_core::threshold::Thresholds;
use k6r_runner::output::{self, Declarations, Output, Spec, Writer};

use crate::{log, Failure};

/// Reads every `--out` value (exit 255 on a bad one, as a flag error).
pub fn parse(values: &[String]) -> Result<Vec<Spec>, Failure> {
    values
        .iter()
        .map(|v| Spec::parse(v).map_err(|e| Failure::new(ExitCode::Failure, e.to_string())))
        .collect()
}

/// The banner's `output:` value.
pub fn describe(specs: &[Spec]) -> String {
    specs
        .iter()
        .map(Spec::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Opens every output; the sinks go to the run, the writers are kept
/// for [`finish`].
pub fn start(
    specs: &[Spec],
    registry: &Registry,
    thresholds: &Thresholds,
) -> Result<(Vec<Output>, Vec<Writer>), Failure> {
    let declarations = Declarations::new(registry, thresholds);
    let mut sinks = Vec::new();
    let mut writers = Vec::new();
    for spec in specs {
        let (sink, writer) = output::start(spec, declarations.clone())
            .map_err(|e| Failure::new(ExitCode::Failure, e.to_string()))?;
        sinks.push(sink);
        writers.push(writer);
    }
    Ok((sinks, writers))
}

/// Waits for every writer (their sinks must be dropped) and logs what
/// went wrong: write errors and dropped samples.
pub fn finish(writers: Vec<Writer>, err: &mut dyn Write) {
    for writer in writers {
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
}
