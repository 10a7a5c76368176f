//! The director of a run its agent drives ([`Remote`]): `setup()` on
//! request at the gate, the start at the driver's instant, `teardown()`
//! on request after the scenarios.

use k6r_core::capacity::ControlledMax;
use tokio_util::sync::CancellationToken;

use super::{Attached, Director, DirectorFuture, Ending, Gate, Stages};
use crate::remote::{DriveEvent, Remote, StageOutcome};
use crate::run::End;

impl Director for Remote {
    fn attach(&mut self, run: Attached<'_>, shutdown: CancellationToken) -> CancellationToken {
        self.ready = Some(DriveEvent::Ready {
            controlled_max: ControlledMax::of(run.capacity, run.plan),
            progress: run.progress,
            controls: run.controls,
            steering: run.steering,
            setup: run.setup,
        });
        shutdown
    }

    fn gate<'a>(
        &'a mut self,
        stages: &'a Stages,
        shutdown: &'a CancellationToken,
    ) -> DirectorFuture<'a, Gate> {
        Box::pin(async move {
            // The driver stores the data through the Ready event's handle.
            if let Some(ready) = self.ready.take() {
                self.event(ready);
            }
            Gate::start(self.wait_for_start(&stages.handle, shutdown).await)
        })
    }

    fn after<'a>(&'a mut self, stages: &'a Stages, ending: Ending<'a>) -> DirectorFuture<'a, ()> {
        Box::pin(async move {
            // An agent's samples after its scenarios end are not read: the
            // coordinator samples the cluster's gauges itself.
            ending.gauges.cancel();
            if !ending.initialised {
                return;
            }
            // The driver reads the metrics when told the scenarios ended:
            // every sample of theirs must be in the sinks by then.
            ending.samples.flush().await;
            let aborted = match &ending.result.end {
                End::Aborted(reason) => Some(reason.clone().unwrap_or_default()),
                _ => None,
            };
            if let Some((data, reply)) = self.after_scenarios(aborted).await {
                let outcome = if stages.teardown {
                    stages.teardown(ending.result, data).await
                } else {
                    StageOutcome::Returned(None)
                };
                let _ = reply.send(outcome);
            }
        })
    }
}
