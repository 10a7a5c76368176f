//! The thresholds' evaluation during a run: every 2 s (k6's tick), against
//! the live [`Metrics`], until the run is over. A failing `abortOnFail`
//! threshold (past its `delayAbortEval`) stops the run.
//!
//! The loop owns the [`Thresholds`] while it runs (evaluation updates
//! their `tainted` and pass/fail state) and hands them back when done, for
//! the final evaluation and the summary. After each evaluation it
//! publishes the metrics' `tainted` flags to a [`Tainted`] (what the REST
//! API's `/v1/status` and `/v1/metrics` show).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use k6r_core::threshold::{Evaluation, Thresholds};
use tokio::time::{interval_at, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::rest_api::Clock;

pub use k6r_core::threshold::EVALUATION_PERIOD;

/// What the loop hands back.
#[derive(Debug)]
pub struct Watched {
    /// The thresholds, as last evaluated.
    pub thresholds: Thresholds,
    /// The evaluation that aborted the run, if one did.
    pub aborted: Option<Evaluation>,
}

/// The `tainted` flag of every (sub)metric with thresholds, as last
/// evaluated: `None` before its first evaluation. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Tainted(Arc<Mutex<BTreeMap<String, bool>>>);

impl Tainted {
    /// The flag of (sub)metric `name` (the registry's name).
    pub fn of(&self, name: &str) -> Option<bool> {
        self.lock().get(name).copied()
    }

    /// Whether any metric failed a threshold at its last evaluation
    /// (`/v1/status`'s `tainted`).
    pub fn any(&self) -> bool {
        self.lock().values().any(|t| *t)
    }

    /// Takes the flags of `thresholds` as they are now.
    pub fn publish(&self, thresholds: &Thresholds) {
        let mut flags = self.lock();
        for m in &thresholds.metrics {
            if let Some(t) = m.tainted {
                flags.insert(m.metric.clone(), t);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, bool>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// [`watch_publishing`] without publishing.
pub async fn watch(
    metrics: Metrics,
    thresholds: Thresholds,
    start: Instant,
    stop: CancellationToken,
    done: CancellationToken,
) -> Watched {
    let tainted = Tainted::default();
    watch_publishing(metrics, thresholds, start, stop, done, tainted, None).await
}

/// Evaluates `thresholds` every [`EVALUATION_PERIOD`] from `start` until
/// `done` fires. When an evaluation asks to abort, and `stop` has not
/// already fired for another reason (the first reason wins), it fires
/// `stop` and returns that evaluation. Each evaluation's flags go to
/// `tainted`. Rates and `delayAbortEval` use `clock`'s test-run duration
/// (paused time left out) once it has started, else the time since
/// `start`.
pub async fn watch_publishing(
    metrics: Metrics,
    mut thresholds: Thresholds,
    start: Instant,
    stop: CancellationToken,
    done: CancellationToken,
    tainted: Tainted,
    clock: Option<Clock>,
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
            let elapsed = clock
                .as_ref()
                .and_then(Clock::elapsed)
                .unwrap_or_else(|| start.elapsed());
            let evaluation = metrics.read(|r| thresholds.evaluate(r, elapsed, true));
            tainted.publish(&thresholds);
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

#[cfg(test)]
mod tests {
    use k6r_core::metrics::Registry;
    use serde_json::json;

    use super::{Tainted, Thresholds};

    #[test]
    fn tainted_is_null_until_evaluated_then_follows_the_evaluation() {
        let mut registry = Registry::new();
        let option = json!({"iterations": ["count<2"], "vus": ["value<100"]});
        let mut thresholds = Thresholds::build(option.as_object().unwrap(), &mut registry).unwrap();
        let tainted = Tainted::default();
        tainted.publish(&thresholds);
        assert_eq!((tainted.of("iterations"), tainted.any()), (None, false));
        thresholds.evaluate(&registry, std::time::Duration::from_secs(1), false);
        tainted.publish(&thresholds);
        // Empty at the end: `count` 0 < 2 passes, the gauge's value too.
        assert_eq!(tainted.of("iterations"), Some(false));
        assert!(!tainted.any());
        for m in &mut thresholds.metrics {
            m.tainted = Some(m.metric == "iterations");
        }
        tainted.publish(&thresholds);
        assert_eq!(
            (tainted.of("iterations"), tainted.of("vus"), tainted.any()),
            (Some(true), Some(false), true)
        );
        assert_eq!(tainted.of("http_reqs"), None, "no thresholds");
    }
}
