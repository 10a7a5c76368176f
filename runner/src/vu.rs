//! The engine's view of a JS VU: a `Send` handle ([`JsVu`]) that sends
//! each iteration to the VU's task on its worker and awaits the result,
//! and the [`Factory`] that places new VUs on the workers.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use k6r_engine::{InitError, Iteration, Outcome, Vu, VuFactory, VuId};
use k6r_script::{Call, CallKind, IterationInfo, Outcome as CallOutcome, ScenarioInfo};
use tokio::sync::oneshot;

use crate::coroutine::{Job, Jobs, Spec};
use crate::error::Error;
use crate::workers::Workers;

/// What every VU of a run shares.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The setup data as JSON: what `setup()` returned, or what a
    /// `PUT /v1/setup` stored since.
    pub data: SetupCell,
    /// Every scenario, by name.
    pub scenarios: HashMap<String, Arc<ScenarioInfo>>,
    /// The first VU init failure, with its exit code.
    pub init_error: Mutex<Option<Error>>,
}

/// The run's setup data: each VU decodes it at its first iteration and
/// keeps that (k6: a later change reaches only VUs that have not started).
#[derive(Debug, Default)]
pub(crate) struct SetupCell(Mutex<Option<Arc<str>>>);

impl SetupCell {
    /// Replaces the data (`None`: there is none).
    pub fn set(&self, data: Option<Arc<str>>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = data;
    }

    /// The data now.
    pub fn get(&self) -> Option<Arc<str>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Makes VUs for the engine.
pub(crate) struct Factory {
    pub workers: Arc<Workers>,
    pub spec: Arc<Spec>,
    pub shared: Arc<Shared>,
}

impl VuFactory for Factory {
    type Vu = JsVu;

    fn init(&self, id: VuId) -> impl Future<Output = Result<JsVu, InitError>> + Send {
        let workers = Arc::clone(&self.workers);
        let spec = Arc::clone(&self.spec);
        let shared = Arc::clone(&self.shared);
        async move {
            match workers.spawn(id.local, spec).await {
                Ok((jobs, runtime)) => Ok(JsVu {
                    id,
                    jobs,
                    shared,
                    runtime,
                }),
                Err(error) => {
                    let reason = error.to_string();
                    shared
                        .init_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_or_insert(error);
                    Err(InitError {
                        vu: id.local,
                        reason,
                    })
                }
            }
        }
    }
}

/// A handle to a VU living on a worker.
pub(crate) struct JsVu {
    id: VuId,
    jobs: Jobs,
    shared: Arc<Shared>,
    /// Its worker's runtime.
    runtime: tokio::runtime::Handle,
}

impl Vu for JsVu {
    async fn run_iteration(&mut self, iteration: Iteration) -> Outcome {
        let Some(scenario) = self.shared.scenarios.get(&*iteration.scenario).cloned() else {
            return Outcome::Interrupted;
        };
        let call = Call {
            function: iteration.exec.clone(),
            kind: CallKind::Iteration(IterationInfo {
                scenario,
                vu_id_in_test: self.id.global,
                vu_iteration_in_instance: iteration.vu_iteration_in_instance,
                vu_iteration_in_scenario: iteration.vu_iteration_in_scenario,
                iteration_in_instance: iteration.iteration_in_instance,
                iteration_in_test: iteration.iteration_in_test,
            }),
            data: self.shared.data.get(),
            cancel: iteration.cancel.clone(),
            timeout: None,
        };
        match call_vu(&self.jobs, call).await {
            Some(CallOutcome::Returned | CallOutcome::Threw(_) | CallOutcome::TimedOut(_)) => {
                Outcome::Completed
            }
            Some(CallOutcome::Aborted(reason)) => Outcome::Aborted(reason.unwrap_or_default()),
            Some(CallOutcome::Interrupted) | None => Outcome::Interrupted,
        }
    }

    fn runtime(&self) -> Option<tokio::runtime::Handle> {
        Some(self.runtime.clone())
    }
}

/// Runs `call` on the VU behind `jobs`; `None` if the VU is gone.
pub(crate) async fn call_vu(jobs: &Jobs, call: Call) -> Option<CallOutcome> {
    call_vu_with_value(jobs, call).await.map(|r| r.outcome)
}

/// Like [`call_vu`], with the returned value.
pub(crate) async fn call_vu_with_value(jobs: &Jobs, call: Call) -> Option<k6r_script::CallResult> {
    let (reply, result) = oneshot::channel();
    jobs.send(Box::new(Job { call, reply })).await.ok()?;
    result.await.ok()
}
