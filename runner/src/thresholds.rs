//! The thresholds' evaluation during a run: every 2 s (k6's tick), against
//! the live [`Metrics`], until the run is over. A failing `abortOnFail`
//! threshold (past its `delayAbortEval`) stops the run.
//!
//! The loop owns the [`Thresholds`] while it runs (evaluation updates
//! their `tainted` and pass/fail state) and hands them back when done, for
//! the final evaluation and the summary.

use std::time::Duration;

use k6r_core::threshold::{Evaluation, Thresholds};
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// How often k6 evaluates thresholds during a run.
pub const EVALUATION_PERIOD: Duration = Duration::from_secs(2);

/// What the loop hands back.
#[derive(Debug)]
pub struct Watched {
    /// The thresholds, as last evaluated.
    pub thresholds: Thresholds,
    /// The evaluation that aborted the run, if one did.
    pub aborted: Option<Evaluation>,
}

/// Evaluates `thresholds` every [`EVALUATION_PERIOD`] from `start` until
/// `done` fires. When an evaluation asks to abort, and `stop` has not
/// already fired for another reason (the first reason wins), it fires
/// `stop` and returns that evaluation.
pub async fn watch(
    metrics: Metrics,
    mut thresholds: Thresholds,
    start: Instant,
    stop: CancellationToken,
    done: CancellationToken,
) -> Watched {
    let mut ticks = interval_at(start + EVALUATION_PERIOD, EVALUATION_PERIOD);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut aborted = None;
    if thresholds.is_empty() {
        done.cancelled().await;
    } else {
        loop {
            tokio::select! {
                biased;
                _ = done.cancelled() => break,
                _ = stop.cancelled() => break,
                _ = ticks.tick() => {}
            }
            let elapsed = start.elapsed();
            let evaluation = metrics.read(|r| thresholds.evaluate(r, elapsed, true));
            if evaluation.abort {
                if !stop.is_cancelled() {
                    stop.cancel();
                    aborted = Some(evaluation);
                }
                break;
            }
        }
    }
    Watched {
        thresholds,
        aborted,
    }
}
