//! What `run` prints on stdout before the run: k6r's banner with k6's
//! execution description.

use std::io::Write;

use k6r_core::options::Options;
use k6r_core::plan::{describe, TestPlan};
use k6r_core::summary::BANNER;

/// The banner and execution description; `execution` is `local` or where
/// the cluster is. The scenarios are described as k6 describes them
/// ([`describe`]), for the options' execution segment.
pub fn banner(
    out: &mut dyn Write,
    execution: &str,
    script: &str,
    options: &Options,
    outputs: &str,
    dashboard: Option<&str>,
) {
    let outputs = if outputs.is_empty() { "-" } else { outputs };
    let dashboard = dashboard.map_or(String::new(), |url| format!(" web dashboard: {url}\n"));
    let _ = writeln!(
        out,
        "{BANNER}\n     execution: {execution}\n        script: {script}\n{dashboard}        output: {outputs}\n"
    );
    // The options were validated, so the plan compiles; if it ever did
    // not, the run itself reports why.
    if let Ok(plan) = TestPlan::new(options) {
        let _ = writeln!(out, "     scenarios: {}", describe::header(&plan));
        for (name, description) in describe::scenarios(options, plan.tuple()) {
            let _ = writeln!(out, "              * {name}: {description}");
        }
    }
    let _ = writeln!(out);
    let _ = out.flush();
}
