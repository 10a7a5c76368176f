//! [`SetupHandle`]: a run's setup data, and its `setup()` and
//! `teardown()` run on request beside the run's own lifecycle: k6's
//! `/v1/setup` and `/v1/teardown` on a single process ([`rest_api`]), and an
//! agent storing the data its coordinator sends or running `setup()`
//! again on the lead ([`remote`]).
//!
//! The data is what each VU decodes at its first iteration: a change
//! reaches the VUs that have not iterated yet, and teardown, as in k6.
//!
//! [`rest_api`]: crate::rest_api
//! [`remote`]: crate::remote

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::coroutine::Spec;
use crate::lifecycle::{self, Ended, Stage};
use crate::remote::StageOutcome;
use crate::vu::Shared;
use crate::workers::Workers;

/// The setup data of a run and the way to run its `setup()` and
/// `teardown()` on a new VU 0. Cheap to clone.
#[derive(Clone)]
pub struct SetupHandle {
    shared: Arc<Shared>,
    workers: Arc<Workers>,
    spec: Arc<Spec>,
    /// The script exports `setup()` / `teardown()`.
    exports: (bool, bool),
    /// `setupTimeout` and `teardownTimeout`.
    timeouts: (Duration, Duration),
}

impl std::fmt::Debug for SetupHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupHandle")
            .field("data", &self.data())
            .field("exports", &self.exports)
            .finish_non_exhaustive()
    }
}

impl SetupHandle {
    pub(crate) fn new(
        shared: Arc<Shared>,
        workers: Arc<Workers>,
        spec: Arc<Spec>,
        exports: (bool, bool),
        timeouts: (Duration, Duration),
    ) -> SetupHandle {
        SetupHandle {
            shared,
            workers,
            spec,
            exports,
            timeouts,
        }
    }

    /// The data now, as JSON (`None`: there is none).
    pub fn data(&self) -> Option<Arc<str>> {
        self.shared.data.get()
    }

    /// Replaces the data (`None` clears it).
    pub fn set_data(&self, data: Option<Arc<str>>) {
        self.shared.data.set(data);
    }

    /// Runs `setup()` on a new VU 0 and stores what it returned. A script
    /// without `setup()` runs nothing and keeps its data, which the
    /// outcome carries (k6's `POST /v1/setup` answers it with 200).
    pub fn run_setup(&self) -> impl Future<Output = StageOutcome> + Send + 'static {
        let handle = self.clone();
        async move {
            if !handle.exports.0 {
                return StageOutcome::Returned(handle.data().map(|d| d.to_string()));
            }
            let ended = handle.call_setup(CancellationToken::new()).await;
            if let Ok(Ended::Returned(value)) = &ended {
                handle.set_data(value.as_deref().map(Arc::from));
            }
            ended.into()
        }
    }

    /// Runs `teardown(data)` with the data now on a new VU 0; a script
    /// without `teardown()` runs nothing.
    pub fn run_teardown(&self) -> impl Future<Output = StageOutcome> + Send + 'static {
        let handle = self.clone();
        async move {
            if !handle.exports.1 {
                return StageOutcome::Returned(None);
            }
            handle
                .call_teardown(handle.data(), CancellationToken::new())
                .await
                .into()
        }
    }

    /// What every VU starts from.
    pub(crate) fn spec(&self) -> &Arc<Spec> {
        &self.spec
    }

    /// The state the run's VUs share.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Runs `setup()` on a new VU 0 under `setupTimeout`; stores nothing.
    pub(crate) async fn call_setup(&self, cancel: CancellationToken) -> crate::Result<Ended> {
        let timeout = self.timeouts.0;
        lifecycle::run(
            Stage::Setup,
            &self.workers,
            Arc::clone(&self.spec),
            None,
            timeout,
            cancel,
        )
        .await
    }

    /// Runs `teardown(data)` on a new VU 0 under `teardownTimeout`.
    pub(crate) async fn call_teardown(
        &self,
        data: Option<Arc<str>>,
        cancel: CancellationToken,
    ) -> crate::Result<Ended> {
        let timeout = self.timeouts.1;
        lifecycle::run(
            Stage::Teardown,
            &self.workers,
            Arc::clone(&self.spec),
            data,
            timeout,
            cancel,
        )
        .await
    }
}
