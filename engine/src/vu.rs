//! The VU abstraction: what the engine needs from a virtual user.
//!
//! The JS VUs run synchronous code on stackful coroutines on a few worker
//! threads (see `shared/notes/vu-model.md`), so what the engine holds is a
//! `Send` *handle* to a VU living elsewhere, driven through futures.
//!
//! The traits use `impl Future + Send` returns (no boxing): the engine is
//! generic over one concrete [`VuFactory`] per test, so every call is
//! statically dispatched and an iteration costs no allocation here. A test
//! with several kinds of VU would wrap them in an enum.

use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// A VU's identifiers, fixed when it is initialised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VuId {
    /// `__VU` / `exec.vu.idInInstance`: 1, 2, 3, … in this instance.
    pub local: u64,
    /// `exec.vu.idInTest`: the global number from the segmented index.
    pub global: u64,
}

/// One iteration a VU is asked to run.
#[derive(Clone, Debug)]
pub struct Iteration {
    /// The scenario's name (`exec.scenario.name`).
    pub scenario: Arc<str>,
    /// The exported function to call.
    pub exec: Arc<str>,
    /// `__ITER` / `exec.vu.iterationInInstance`: this VU's iterations in
    /// all scenarios so far, 0-based, never reset.
    pub vu_iteration_in_instance: u64,
    /// `exec.vu.iterationInScenario`: this VU's iterations in this
    /// scenario so far, 0-based.
    pub vu_iteration_in_scenario: u64,
    /// `exec.scenario.iterationInInstance`: the scenario's iterations
    /// started in this instance, 0-based.
    pub iteration_in_instance: u64,
    /// `exec.scenario.iterationInTest`: the global (unsegmented) number;
    /// the tick number for arrival-rate executors.
    pub iteration_in_test: u64,
    /// Fired to interrupt the iteration: the VU must then abort its JS
    /// promptly and return [`Outcome::Interrupted`].
    pub cancel: CancellationToken,
}

/// How an iteration ended. Plain data: these are expected outcomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The function returned, or threw (a throw is logged by the VU and
    /// still counts as a completed iteration, as in k6).
    Completed,
    /// Cut short by the cancellation token.
    Interrupted,
    /// The script called `exec.test.abort(reason)`: the whole test stops.
    Aborted(String),
}

/// A VU the engine can drive. Implemented by the JS VU handles; the
/// engine never looks inside.
pub trait Vu: Send + 'static {
    /// Runs one iteration. The future must resolve promptly with
    /// [`Outcome::Interrupted`] once `iteration.cancel` fires.
    fn run_iteration(&mut self, iteration: Iteration) -> impl Future<Output = Outcome> + Send;

    /// The runtime the VU runs on. The task that loops over the VU's
    /// iterations runs there too, so handing it an iteration and reading
    /// the outcome cross no thread (a wake-up, a system call, each way).
    /// `None` (the default): it runs where the engine does.
    fn runtime(&self) -> Option<tokio::runtime::Handle> {
        None
    }
}

/// Why a VU could not be initialised (the init code threw, the worker
/// died, …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("initializing VU #{vu}: {reason}")]
pub struct InitError {
    /// The VU's local id.
    pub vu: u64,
    /// What went wrong, as reported by the factory.
    pub reason: String,
}

/// Creates (initialises) VUs: runs the script's init code for the ids the
/// pool assigns. Used before the start for the planned VUs and in the
/// background for arrival-rate and externally-controlled growth.
pub trait VuFactory: Send + Sync + 'static {
    /// The VU handle type.
    type Vu: Vu;
    /// Initialises the VU with these ids.
    fn init(&self, id: VuId) -> impl Future<Output = Result<Self::Vu, InitError>> + Send;
}
