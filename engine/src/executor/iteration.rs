//! Running one iteration: numbering, interruption, `minIterationDuration`
//! and the events and counters of its outcome.

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ScenarioCtx;
use crate::abort::AbortReason;
use crate::event::Event;
use crate::pool::PooledVu;
use crate::vu::{Iteration, Outcome, Vu, VuFactory};

/// The scenario-level numbers of an iteration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Numbers {
    pub in_instance: u64,
    pub in_test: u64,
}

/// Runs one iteration of `vu`; `stop` interrupts it (a child token is
/// handed to the VU). Returns how it ended.
pub(crate) async fn run<F: VuFactory>(
    ctx: &ScenarioCtx<F>,
    vu: &mut PooledVu<F::Vu>,
    numbers: Numbers,
    stop: &CancellationToken,
) -> Outcome {
    let in_scenario = vu.per_scenario.of(&ctx.name);
    let iteration = Iteration {
        scenario: Arc::clone(&ctx.name),
        exec: Arc::clone(&ctx.exec),
        vu_iteration_in_instance: vu.iterations,
        vu_iteration_in_scenario: *in_scenario,
        iteration_in_instance: numbers.in_instance,
        iteration_in_test: numbers.in_test,
        cancel: stop.child_token(),
    };
    *in_scenario += 1;
    vu.iterations += 1;
    let started = Instant::now();
    let outcome = vu.vu.run_iteration(iteration).await;
    match &outcome {
        // As in k6, the iteration that aborts the test counts as complete.
        Outcome::Completed | Outcome::Aborted(_) => {
            if let (Outcome::Completed, Some(min)) = (&outcome, ctx.min_iteration_duration) {
                // The VU sleeps the remainder; a stop cuts the sleep short
                // but the iteration itself was complete.
                tokio::select! {
                    _ = tokio::time::sleep_until(started + min) => {}
                    _ = stop.cancelled() => {}
                }
            }
            ctx.counters.add_complete();
            ctx.observer.on_event(Event::IterationCompleted {
                scenario: Arc::clone(&ctx.name),
                vu: vu.id,
                duration: started.elapsed(),
            });
            if let Outcome::Aborted(reason) = &outcome {
                ctx.abort.abort(AbortReason::Script(reason.clone()));
            }
        }
        Outcome::Interrupted => {
            ctx.counters.add_interrupted();
            ctx.observer.on_event(Event::IterationInterrupted {
                scenario: Arc::clone(&ctx.name),
                vu: vu.id,
            });
        }
    }
    // A VU whose iterations never wait must not starve the other tasks.
    tokio::task::consume_budget().await;
    outcome
}
