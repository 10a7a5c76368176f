//! The end of `run` (§6.5–§6.7): `handleSummary(data)` when the script
//! exports it (its outputs replace the text summary), else the text
//! summary; then `--summary-export`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use k6r_core::metrics::Registry;
use k6r_core::summary::{self, data, export, text, RunFacts};
use k6r_core::threshold::Thresholds;
use k6r_runner::summary::{handle_summary, SummaryError};
use k6r_script::summary::{HandleSummaryError, SummaryOutput};
use k6r_script::{Env, Script};

use super::RunArgs;
use crate::log;

/// What `handleSummary` runs on, when the script exports it.
pub struct Handler<'a> {
    /// The script.
    pub script: &'a Script,
    /// Its `__ENV`.
    pub env: &'a Env,
    /// The VUs' runtime settings.
    pub config: &'a k6r_script::Config,
}

/// The registry and thresholds at the end of the run, with the summary's
/// options and the run's facts.
pub struct Inputs<'a> {
    /// The run's metrics.
    pub registry: &'a Registry,
    /// The thresholds, finally evaluated (`None` with `--no-thresholds`).
    pub thresholds: Option<&'a Thresholds>,
    /// The summary's options.
    pub options: &'a summary::Options,
    /// Duration, TTYs, setup data.
    pub facts: &'a RunFacts,
}

/// How a run ended, local or on a cluster: what the summary is made of.
pub struct Ending<'a> {
    /// The run's metrics.
    pub registry: &'a Registry,
    /// The thresholds, finally evaluated.
    pub thresholds: &'a Thresholds,
    /// The summary's options.
    pub options: &'a summary::Options,
    /// From the start to the end of the scenarios.
    pub duration: Duration,
    /// `setup()`'s data as JSON text.
    pub setup_data: Option<&'a str>,
    /// Where `handleSummary` runs, when the script exports it.
    pub handler: Option<Handler<'a>>,
    /// The live scenario changes, one summary line each
    /// (`k6r_core::steer::summary_line`), printed after the text summary.
    pub changes: &'a [String],
    /// The autopilot's lines (`Report::summary_lines`), printed after them.
    pub autopilot: &'a [String],
}

/// The end of `run`, local or remote: unless `--no-summary`, the summary
/// (`handleSummary` or text, thresholds unless `--no-thresholds`) and
/// `--summary-export`.
pub fn end(args: &RunArgs, ending: Ending<'_>, out: &mut dyn Write, err: &mut dyn Write) {
    if args.no_summary {
        return;
    }
    let facts = RunFacts {
        duration: ending.duration,
        is_stdout_tty: std::io::stdout().is_terminal(),
        is_stderr_tty: std::io::stderr().is_terminal(),
        setup_data: ending
            .setup_data
            .and_then(|json| serde_json::from_str(json).ok()),
    };
    let inputs = Inputs {
        registry: ending.registry,
        thresholds: (!args.no_thresholds).then_some(ending.thresholds),
        options: ending.options,
        facts: &facts,
    };
    let printed = report(
        &inputs,
        ending.handler,
        args.summary_export.as_deref(),
        out,
        err,
    );
    if printed {
        block(out, "LIVE CHANGES", ending.changes);
        block(out, "AUTOPILOT", ending.autopilot);
    }
}

/// A block of lines after the text summary, under its title (nothing
/// when there are none).
fn block(out: &mut dyn Write, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut text = format!("  {title}\n");
    for line in lines {
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Produces the end-of-test summary: `handleSummary`'s outputs or the
/// text, then the export file. Says whether the text was printed.
pub fn report(
    inputs: &Inputs<'_>,
    handler: Option<Handler<'_>>,
    export_to: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let Inputs {
        registry,
        thresholds,
        options,
        facts,
    } = *inputs;
    let mut print_text = true;
    if let Some(handler) = handler {
        let data = data::handle_summary_data(registry, thresholds, options, facts);
        match handle_summary(handler.script, handler.env, handler.config, &data) {
            Ok(Some(outputs)) => {
                print_text = false;
                write_outputs(&outputs, out, err);
            }
            Ok(None) => {}
            Err(SummaryError::Call(HandleSummaryError::Threw(exception))) => {
                log::error(
                    err,
                    &exception.to_string(),
                    &[("hint".into(), "script exception".into())],
                );
            }
            Err(e @ SummaryError::Call(HandleSummaryError::Output { .. })) => {
                print_text = false;
                failed_to_handle(err, &e.to_string());
            }
            Err(e) => failed_to_handle(err, &e.to_string()),
        }
    }
    if print_text {
        let _ = out.write_all(text::render(registry, thresholds, options, facts).as_bytes());
        let _ = out.flush();
    }
    if let Some(path) = export_to {
        let doc = export::summary_export(registry, thresholds, options, facts);
        if let Err(e) = std::fs::write(path, export::to_json_string(&doc)) {
            log::error(
                err,
                "failed to write the summary export",
                &[("error".into(), e.to_string())],
            );
        }
    }
    print_text
}

fn failed_to_handle(err: &mut dyn Write, error: &str) {
    log::error(
        err,
        "failed to handle the end-of-test summary",
        &[("error".into(), error.to_owned())],
    );
}

/// Writes `stdout`/`stderr`/file outputs, in the order returned.
fn write_outputs(outputs: &[SummaryOutput], out: &mut dyn Write, err: &mut dyn Write) {
    for (key, bytes) in outputs {
        let written = match key.as_str() {
            "stdout" => out.write_all(bytes).and_then(|()| out.flush()),
            "stderr" => err.write_all(bytes).and_then(|()| err.flush()),
            path => std::fs::write(path, bytes),
        };
        if let Err(e) = written {
            failed_to_handle(err, &format!("error handling summary object {key}: {e}"));
        }
    }
}
