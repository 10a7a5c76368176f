//! What `run` prints on stdout before the summary: k6r's banner with the
//! execution description, and the progress line.

use std::io::Write;

use k6r_core::options::Options;
use k6r_core::summary::BANNER;

/// The banner and execution description.
pub fn banner(out: &mut dyn Write, script: &str, options: &Options, outputs: &str) {
    let scenarios = options.scenarios_in_order();
    let outputs = if outputs.is_empty() { "-" } else { outputs };
    let _ = writeln!(
        out,
        "{BANNER}\n     execution: local\n        script: {script}\n        output: {outputs}\n\n     scenarios: {} scenario{}\n",
        scenarios.len(),
        if scenarios.len() == 1 { "" } else { "s" }
    );
    let _ = out.flush();
}

/// The plain progress line k6 prints every second when stdout is not a
/// terminal.
pub fn progress_line(now: &k6r_runner::Snapshot, elapsed: std::time::Duration) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "running ({:.1}s), {:02}/{:02} VUs, {} complete and {} interrupted iterations",
        elapsed.as_secs_f64(),
        now.active_vus,
        now.initialized_vus,
        now.complete,
        now.interrupted
    );
    let _ = out.flush();
}
