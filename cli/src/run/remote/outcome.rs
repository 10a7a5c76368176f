//! The end of a run on a cluster: the merged metrics in a registry made
//! as a local run makes it, the thresholds evaluated on it, the summary
//! through the local run's code, the start skew, the partial line, and
//! the run's exit code.

use std::io::Write;
use std::time::Duration;

use k6r_api::RunOutcome;
use k6r_core::exit::ExitCode;
use k6r_core::metrics::{Breakdown, Delta, Registry};
use k6r_core::summary::Options as SummaryOptions;
use k6r_core::threshold::Thresholds;
use k6r_script::{Env, Script};

use crate::load::Loaded;
use crate::run::summary::{self, Ending, Handler};
use crate::run::RunArgs;
use crate::{log, Failure};

/// The registry the summary is made from, with the thresholds built on
/// it: made before the run is submitted, so a bad threshold fails first.
pub struct Summary {
    registry: Registry,
    thresholds: Thresholds,
    handles_summary: bool,
    /// The autopilot's lines, once the run is over.
    autopilot: Vec<String>,
}

impl Summary {
    /// The script's registry ([`Registry::for_script`], as a local run
    /// makes it) and its thresholds (exit 104 on a bad one).
    pub fn new(loaded: &Loaded, breakdown: bool) -> Result<Summary, Failure> {
        let invalid =
            |e: &dyn std::fmt::Display| Failure::new(ExitCode::InvalidConfig, e.to_string());
        let mut registry = Registry::for_script(
            &loaded.metrics,
            if breakdown {
                Breakdown::Full
            } else {
                Breakdown::None
            },
        )
        .map_err(|e| invalid(&e))?;
        let thresholds = match &loaded.options.thresholds {
            Some(option) => Thresholds::build(option, &mut registry).map_err(|e| invalid(&e))?,
            None => Thresholds::default(),
        };
        Ok(Summary {
            registry,
            thresholds,
            handles_summary: loaded.exports.iter().any(|e| e == "handleSummary"),
            autopilot: Vec::new(),
        })
    }

    /// Adds the autopilot's `report` to the summary.
    pub fn with_autopilot(mut self, report: &k6r_core::autopilot::Report) -> Summary {
        self.autopilot = report.summary_lines();
        self
    }
}

/// Prints what the run's `result` says and returns its exit code as the
/// command's outcome.
pub fn finish(
    args: &RunArgs,
    summary: Summary,
    options: &SummaryOptions,
    env: &Env,
    result: &RunOutcome,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let Summary {
        mut registry,
        mut thresholds,
        handles_summary,
        autopilot,
    } = summary;
    let merged = serde_json::from_value::<Delta>(result.metrics.clone())
        .map_err(|e| e.to_string())
        .and_then(|delta| registry.apply_delta(&delta).map_err(|e| e.to_string()));
    let duration = Duration::from_millis(result.duration_ms);
    let evaluation = thresholds.evaluate(&registry, duration, false);
    match merged {
        Ok(()) => {
            let script = Script::from_path(&args.script)
                .map_err(|e| Failure::new(e.exit_code(), e.to_string()))?;
            let config = k6r_script::Config::default();
            let handler = handles_summary.then_some(Handler {
                script: &script,
                env,
                config: &config,
            });
            let ending = Ending {
                registry: &registry,
                thresholds: &thresholds,
                options,
                duration,
                setup_data: result.setup_data.as_deref(),
                handler,
                changes: &result.changes,
                autopilot: &autopilot,
            };
            summary::end(args, ending, out, err);
        }
        Err(e) => log::error(
            err,
            "can't read the run's metrics: no summary",
            &[("error".into(), e)],
        ),
    }
    if result.partial {
        let lost = if result.lost_agents.is_empty() {
            "unknown".to_owned()
        } else {
            result.lost_agents.join(", ")
        };
        let _ = writeln!(
            err,
            "partial result: lost agent(s) {lost}; the metrics cover only what was measured"
        );
    }
    match result.exit_code {
        0 => Ok(()),
        code => {
            let message = if !result.message.is_empty() {
                result.message.clone()
            } else if code == ExitCode::ThresholdsFailed {
                evaluation.crossed_message()
            } else {
                format!("the run ended with exit code {code}")
            };
            Err(Failure::new(code, message))
        }
    }
}

/// The start skew line, once every agent has started.
pub fn skew_line(skew_ms: Option<f64>) -> Option<String> {
    skew_ms.map(|ms| format!("     start skew: {ms:.1}ms across agents"))
}
