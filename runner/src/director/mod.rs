//! [`Director`]: who decides when a run's stages happen. The run itself
//! is the same everywhere (plan → VUs → gate → scenarios → after); what
//! differs is who runs `setup()`, when the scenarios start and whether
//! `teardown()` runs:
//!
//! | director | gate (VUs initialised) | after the scenarios |
//! | --- | --- | --- |
//! | [`Local`] (`k6r-cli run`) | `setup()` here | `teardown()` here |
//! | [`Live`](crate::rest_api::Live) (`-a`, `--paused`) | wait out `--paused`, then as local, with k6's status | as local, unless never started |
//! | [`Remote`](crate::remote::Remote) (the agent) | setup on request, start at the driver's instant | teardown on request |
//!
//! # Layout
//! - `local`: [`Local`], and the setup both it and the live director run.
//! - `live`: the director of a run with k6's REST API.
//! - `remote`: the director of a run its agent drives.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use k6r_core::capacity::VuCapacity;
use k6r_core::plan::TestPlan;
use k6r_engine::{ControlHandle, Engine, Progress, VuFactory};
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::lifecycle::Ended;
use crate::remote::StageOutcome;
use crate::run::RunResult;
use crate::samples::Channel;
use crate::setup::SetupHandle;

mod live;
mod local;
mod remote;

pub(crate) use local::Local;

/// A future a [`Director`] returns.
pub(crate) type DirectorFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who decides when a run's stages happen; the run calls its hooks in
/// order: [`attach`](Self::attach), [`gate`](Self::gate),
/// [`after`](Self::after), [`ended`](Self::ended).
pub(crate) trait Director: Send {
    /// The engine is built and no VU is initialised yet. Returns the
    /// run's shutdown from here on (`shutdown`, or a child of it another
    /// stop also fires).
    fn attach(&mut self, run: Attached<'_>, shutdown: CancellationToken) -> CancellationToken {
        let _ = run;
        shutdown
    }

    /// The start gate, once the planned VUs are initialised: setup, then
    /// whether the scenarios start.
    fn gate<'a>(
        &'a mut self,
        stages: &'a Stages,
        shutdown: &'a CancellationToken,
    ) -> DirectorFuture<'a, Gate>;

    /// After the scenarios (or after a gate that did not open).
    fn after<'a>(&'a mut self, stages: &'a Stages, ending: Ending<'a>) -> DirectorFuture<'a, ()>;

    /// At the very end, the samples consumed: ends what the director
    /// started.
    fn ended(&mut self) -> DirectorFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

/// What a director may hold on to from the built run.
pub(crate) struct Attached<'a> {
    pub plan: &'a TestPlan,
    pub progress: Progress,
    /// The externally-controlled scenarios' handles, in plan order.
    pub controls: Vec<ControlHandle>,
    /// The setup data the VUs read, and setup/teardown on request.
    pub setup: SetupHandle,
    /// The VUs this machine holds.
    pub capacity: VuCapacity,
    /// Every scenario's live-change handle, in plan order.
    pub steering: Vec<k6r_engine::Steer>,
}

impl<'a> Attached<'a> {
    /// The parts of `engine`, built for `plan`.
    pub fn new<F: VuFactory>(
        plan: &'a TestPlan,
        engine: &Engine<F>,
        setup: SetupHandle,
        capacity: VuCapacity,
    ) -> Self {
        let controls = plan
            .scenarios()
            .iter()
            .filter_map(|s| engine.control(&s.name))
            .collect();
        Attached {
            plan,
            progress: engine.progress(),
            controls,
            setup,
            capacity,
            steering: engine.steering(),
        }
    }
}

/// The run's `setup()` and `teardown()`, and whether they are wanted.
pub(crate) struct Stages {
    pub handle: SetupHandle,
    /// The script exports `setup()` and `--no-setup` is off.
    pub setup: bool,
    /// The script exports `teardown()` and `--no-teardown` is off.
    pub teardown: bool,
}

impl Stages {
    /// Runs `teardown(data)` on a new VU 0 and records its outcome in
    /// `result`.
    pub async fn teardown(&self, result: &mut RunResult, data: Option<Arc<str>>) -> StageOutcome {
        let ended = self
            .handle
            .call_teardown(data, CancellationToken::new())
            .await;
        result.record_teardown(ended)
    }
}

/// What the gate decided.
pub(crate) struct Gate {
    /// The scenarios start.
    pub start: bool,
    /// How `setup()` ended, when it ran here at the gate.
    pub setup: Option<Result<Ended>>,
}

impl Gate {
    /// Start, setup not run here.
    pub fn start(start: bool) -> Self {
        Gate { start, setup: None }
    }
}

/// The run as it ends, for [`Director::after`].
pub(crate) struct Ending<'a> {
    pub result: &'a mut RunResult,
    /// The planned VUs were initialised (teardown runs only then).
    pub initialised: bool,
    /// The samples' channel, to flush.
    pub samples: &'a Channel,
    /// Stops sampling the VU gauges.
    pub gauges: &'a CancellationToken,
}

impl Ending<'_> {
    /// Whether a run that runs its own `teardown()` runs it now: wanted,
    /// the planned VUs initialised, and setup did not fail (throw or time
    /// out).
    pub fn teardown_due(&self, stages: &Stages) -> bool {
        let setup_failed = matches!(
            self.result.error,
            Some(crate::Error::Exception { .. } | crate::Error::Timeout { .. })
        );
        stages.teardown && self.initialised && !setup_failed
    }
}
