//! `handleSummary(data)` at the end of a run (§6.7): called once, on a
//! fresh VU of its own (`__VU` 0, its init code run again, as for
//! `setup`/`teardown`), within k6's 2-minute limit.

use std::time::Duration;

use k6r_script::summary::{HandleSummaryError, SummaryOutput};
use k6r_script::{Env, Script, Vu};

/// k6's limit on `handleSummary`.
pub const HANDLE_SUMMARY_TIMEOUT: Duration = Duration::from_secs(120);

/// Why `handleSummary` gave nothing to write.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The VU's init code failed.
    #[error("{0}")]
    Init(k6r_script::Error),
    /// It threw, ran out of time, or returned something unusable.
    #[error("{0}")]
    Call(HandleSummaryError),
    /// The thread hosting the VU could not run.
    #[error("can't run handleSummary: {0}")]
    Thread(String),
}

/// Calls the script's `handleSummary(data)` on a new VU 0 on a thread of
/// its own (VUs never cross threads). `Ok(None)`: it returned a falsy
/// value, so the default summary is printed.
pub fn handle_summary(
    script: &Script,
    env: &Env,
    config: &k6r_script::Config,
    data: &serde_json::Value,
) -> Result<Option<Vec<SummaryOutput>>, SummaryError> {
    let (script, env, config, data) = (script.clone(), env.clone(), config.clone(), data.clone());
    let thread = std::thread::Builder::new()
        .name("k6r-handle-summary".into())
        .stack_size(crate::STACK_SIZE * 4)
        .spawn(move || {
            let config = config.with_max_stack_size(crate::MAX_JS_STACK);
            let vu = Vu::new(&script, 0, &env, &config).map_err(SummaryError::Init)?;
            vu.handle_summary(&data, HANDLE_SUMMARY_TIMEOUT)
                .map_err(SummaryError::Call)
        })
        .map_err(|e| SummaryError::Thread(e.to_string()))?;
    thread
        .join()
        .map_err(|_| SummaryError::Thread("the VU panicked".into()))?
}
