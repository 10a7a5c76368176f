//! What `run` prints on stdout before the summary: k6r's banner with the
//! execution description, and the progress line.

use std::io::Write;

use k6r_core::options::Options;
use k6r_core::summary::BANNER;

/// The banner and execution description; `execution` is `local` or where
/// the cluster is.
pub fn banner(
    out: &mut dyn Write,
    execution: &str,
    script: &str,
    options: &Options,
    outputs: &str,
) {
    let scenarios = options.scenarios_in_order();
    let outputs = if outputs.is_empty() { "-" } else { outputs };
    let _ = writeln!(
        out,
        "{BANNER}\n     execution: {execution}\n        script: {script}\n        output: {outputs}\n\n     scenarios: {} scenario{}\n",
        scenarios.len(),
        if scenarios.len() == 1 { "" } else { "s" }
    );
    let _ = out.flush();
}

/// The plain progress line k6 prints every second when stdout is not a
/// terminal.
pub fn progress_line(now: &k6r_runner::Snapshot, elapsed: std::time::Duration) {
    let mut out = std::io::stdout().lock();
    let counts = Counts {
        active_vus: now.active_vus,
        initialized_vus: now.initialized_vus,
        complete: now.complete,
        interrupted: now.interrupted,
    };
    let _ = writeln!(out, "{}", progress_text(&counts, elapsed));
    let _ = out.flush();
}

/// What the progress line counts.
pub struct Counts {
    /// Active VUs.
    pub active_vus: u64,
    /// Initialised VUs.
    pub initialized_vus: u64,
    /// Complete iterations.
    pub complete: u64,
    /// Interrupted iterations.
    pub interrupted: u64,
}

/// The progress line's text, without the newline.
pub fn progress_text(now: &Counts, elapsed: std::time::Duration) -> String {
    format!(
        "running ({:.1}s), {:02}/{:02} VUs, {} complete and {} interrupted iterations",
        elapsed.as_secs_f64(),
        now.active_vus,
        now.initialized_vus,
        now.complete,
        now.interrupted
    )
}
