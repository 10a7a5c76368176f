//! The director of a run with k6's REST API ([`Live`]): as a local run,
//! plus the `--paused` wait, k6's status at each stage, and a stop by
//! `{"stopped":true}`.

use tokio_util::sync::CancellationToken;

use super::local::setup_here;
use super::{Attached, Director, DirectorFuture, Ending, Gate, Stages};
use crate::rest_api::{Live, Parts};

impl Director for Live {
    fn attach(&mut self, run: Attached<'_>, shutdown: CancellationToken) -> CancellationToken {
        let serving = self.start(Parts {
            plan: run.plan,
            control: run.controls.first().cloned(),
            progress: run.progress,
            setup: run.setup,
            capacity: run.capacity,
            steering: run.steering,
        });
        // From here on `{"stopped":true}` stops the run as a signal would.
        serving.stop_token(&shutdown)
    }

    fn gate<'a>(
        &'a mut self,
        stages: &'a Stages,
        shutdown: &'a CancellationToken,
    ) -> DirectorFuture<'a, Gate> {
        Box::pin(async move {
            let Some(serving) = self.serving_mut() else {
                return Gate::start(false);
            };
            if !serving.before_setup(shutdown, stages.setup).await {
                return Gate::start(false);
            }
            let gate = setup_here(stages, shutdown).await;
            if gate.start {
                serving.after_setup();
            }
            gate
        })
    }

    fn after<'a>(&'a mut self, stages: &'a Stages, ending: Ending<'a>) -> DirectorFuture<'a, ()> {
        Box::pin(async move {
            let Some(serving) = self.serving_mut() else {
                return;
            };
            // k6 skips teardown when the run never got past `--paused`.
            if ending.teardown_due(stages) && serving.started() {
                serving.teardown();
                let data = stages.handle.data();
                stages.teardown(ending.result, data).await;
            }
        })
    }

    fn ended(&mut self) -> DirectorFuture<'_, ()> {
        Box::pin(async move {
            if let Some(serving) = self.serving_mut() {
                serving.ended().await;
            }
        })
    }
}
