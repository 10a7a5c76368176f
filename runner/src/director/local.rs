//! [`Local`]: a run that decides everything itself (`k6r-cli run`).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Director, DirectorFuture, Ending, Gate, Stages};
use crate::lifecycle::Ended;

/// `setup()` at the gate, the scenarios at once, `teardown()` after them.
#[derive(Debug, Default)]
pub(crate) struct Local;

impl Director for Local {
    fn gate<'a>(
        &'a mut self,
        stages: &'a Stages,
        shutdown: &'a CancellationToken,
    ) -> DirectorFuture<'a, Gate> {
        Box::pin(setup_here(stages, shutdown))
    }

    fn after<'a>(&'a mut self, stages: &'a Stages, ending: Ending<'a>) -> DirectorFuture<'a, ()> {
        Box::pin(async move {
            if ending.teardown_due(stages) {
                let data = stages.handle.data();
                stages.teardown(ending.result, data).await;
            }
        })
    }
}

/// Runs `setup()` when wanted and stores what it returned where the VUs
/// read it; the scenarios start unless it failed or aborted.
pub(super) async fn setup_here(stages: &Stages, shutdown: &CancellationToken) -> Gate {
    if !stages.setup {
        // No setup(): the data stays what a `PUT /v1/setup` stored, if any.
        return Gate::start(true);
    }
    let ended = stages.handle.call_setup(shutdown.child_token()).await;
    let start = matches!(ended, Ok(Ended::Returned(_)));
    if let Ok(Ended::Returned(value)) = &ended {
        stages.handle.set_data(value.as_deref().map(Arc::from));
    }
    Gate {
        start,
        setup: Some(ended),
    }
}
