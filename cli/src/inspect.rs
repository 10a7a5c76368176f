//! `k6r-cli inspect [--execution-requirements] script.js`: the script's
//! consolidated options as JSON, the way `k6 inspect` prints them, plus
//! `totalDuration` and `maxVUs` with `--execution-requirements`.

use std::io::Write;

use k6r_core::exit::ExitCode;
use k6r_core::options::{Options, Purpose};
use k6r_core::plan::TestPlan;
use k6r_core::segment::{Segment, Sequence};
use serde_json::Value;

use crate::args::InspectArgs;
use crate::load::{load, script_env};
use crate::{log, Failure};

/// Runs the command.
pub fn run(args: &InspectArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    // Flags are checked before the script is read, as k6 does; a bad
    // segment string is a flag error (255).
    let flag_error =
        |e: k6r_core::segment::SegmentError| Failure::new(ExitCode::Failure, e.to_string());
    let cli_layer = Options {
        execution_segment: args
            .execution_segment
            .as_deref()
            .map(Segment::parse)
            .transpose()
            .map_err(flag_error)?,
        execution_segment_sequence: args
            .execution_segment_sequence
            .as_deref()
            .map(Sequence::parse)
            .transpose()
            .map_err(flag_error)?,
        ..Options::default()
    };
    let env = script_env(args.include_system_env_vars, &args.env);
    let mut loaded = load(&args.script, &env, err)?;
    if let Some(warning) = loaded.options.apply(cli_layer, "cli") {
        log::warning(err, &warning.message, &warning.fields);
    }
    let mut requirements = None;
    if args.execution_requirements {
        loaded.consolidate(Purpose::Inspect, err)?;
        let plan = TestPlan::new(&loaded.options)
            .map_err(|e| Failure::new(ExitCode::InvalidConfig, e.to_string()))?;
        requirements = Some((plan.total_duration(), plan.max_possible_vus()));
    }
    let mut json = loaded.options.with_print_defaults().to_json();
    if let Some((total, max_vus)) = requirements {
        json.insert("totalDuration".into(), Value::String(total.to_string()));
        json.insert("maxVUs".into(), Value::from(max_vus));
    }
    write!(out, "{}", go_pretty(&Value::Object(json))).map_err(|e| {
        Failure::new(
            ExitCode::Failure,
            format!("could not write the output: {e}"),
        )
    })
}

/// JSON as Go's `json.MarshalIndent(v, "", "  ")` prints it: two-space
/// indent and HTML-safe escapes (`<`, `>`, `&`, U+2028, U+2029), which only
/// ever occur inside strings.
pub fn go_pretty(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}
