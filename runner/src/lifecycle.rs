//! `setup()` and `teardown(data)`: each on a fresh VU (`__VU` 0) of its
//! own, under `setupTimeout`/`teardownTimeout` (§2.1, §7.5).

use std::sync::Arc;
use std::time::Duration;

use k6r_script::{Call, CallKind, Outcome};
use tokio_util::sync::CancellationToken;

use crate::coroutine::Spec;
use crate::error::{Error, Result};
use crate::vu::call_vu_with_value;
use crate::workers::Workers;

/// Which of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Setup,
    Teardown,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Setup => "setup",
            Stage::Teardown => "teardown",
        }
    }
}

/// How it ended, when it did not fail.
#[derive(Debug)]
pub(crate) enum Ended {
    /// It returned; its value as JSON (`None`: `undefined`).
    Returned(Option<String>),
    /// It called `exec.test.abort(reason)`.
    Aborted(Option<String>),
    /// The run was stopped while it ran.
    Interrupted,
}

/// Runs `stage` on a new VU.
pub(crate) async fn run(
    stage: Stage,
    workers: &Workers,
    spec: Arc<Spec>,
    data: Option<Arc<str>>,
    timeout: Duration,
    cancel: CancellationToken,
) -> Result<Ended> {
    let (jobs, _) = workers.spawn(0, spec).await?;
    let call = Call {
        function: stage.name().into(),
        kind: match stage {
            Stage::Setup => CallKind::Setup,
            Stage::Teardown => CallKind::Teardown,
        },
        data,
        cancel,
        timeout: Some(timeout),
    };
    let result = call_vu_with_value(&jobs, call)
        .await
        .ok_or(Error::WorkerGone { vu: 0 })?;
    match result.outcome {
        Outcome::Returned => Ok(Ended::Returned(result.value)),
        Outcome::Threw(exception) => Err(Error::Exception {
            stage: stage.name(),
            exception,
        }),
        Outcome::TimedOut(after) => Err(Error::Timeout {
            stage: stage.name(),
            after,
        }),
        Outcome::Aborted(reason) => Ok(Ended::Aborted(reason)),
        Outcome::Interrupted => Ok(Ended::Interrupted),
    }
}
