//! What `run` prints on stdout before the run: k6r's banner with k6's
//! execution description.

use std::io::Write;

use k6r_core::options::Options;
use k6r_core::plan::{describe, TestPlan};
use k6r_core::summary::BANNER;

use super::paint::Paint;

/// The banner and execution description; `execution` is `local` or where
/// the cluster is. The scenarios are described as k6 describes them
/// ([`describe`]), for the options' execution segment; the values are
/// painted with `paint`, as k6 colours them on a terminal.
pub fn banner(
    out: &mut dyn Write,
    paint: Paint,
    execution: &str,
    script: &str,
    options: &Options,
    outputs: &str,
    dashboard: Option<&str>,
) {
    let outputs = if outputs.is_empty() { "-" } else { outputs };
    let dashboard = dashboard.map_or(String::new(), |url| {
        format!(" web dashboard: {}\n", paint.cyan(url))
    });
    let (execution, script, outputs) = (
        paint.cyan(execution),
        paint.cyan(script),
        paint.cyan(outputs),
    );
    let _ = writeln!(
        out,
        "{BANNER}\n     execution: {execution}\n        script: {script}\n{dashboard}        output: {outputs}\n"
    );
    // The options were validated, so the plan compiles; if it ever did
    // not, the run itself reports why.
    if let Ok(plan) = TestPlan::new(options) {
        let header = paint.cyan(&describe::header(&plan));
        let _ = writeln!(out, "     scenarios: {header}");
        for (name, description) in describe::scenarios(options, plan.tuple()) {
            let _ = writeln!(out, "              * {name}: {description}");
        }
    }
    let _ = writeln!(out);
    let _ = out.flush();
}
