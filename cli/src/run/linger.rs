//! `--linger`: after the test, keep the process (and the REST API, which
//! then answers `status: 9`) up until Ctrl+C or SIGTERM, then print the
//! summary, as k6 does.
//!
//! k6 v1.1.0 does not end lingering on `{"stopped":true}` (observed: the
//! API answers `stopped: true` and the process keeps waiting), so neither
//! does k6r.

use std::io::Write;

/// What k6 prints on stdout (no newline) while lingering.
pub const MESSAGE: &str =
    "The test is done, but --linger was enabled, so k6 is waiting for Ctrl+C to continue...";

/// Waits for Ctrl+C or SIGTERM, after printing [`MESSAGE`] unless `quiet`.
pub async fn wait(out: &mut dyn Write, quiet: bool) {
    if !quiet {
        let _ = write!(out, "{MESSAGE}");
        let _ = out.flush();
    }
    match k6r_signals::StopSignals::install() {
        Ok(mut signals) => {
            signals.next().await;
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
