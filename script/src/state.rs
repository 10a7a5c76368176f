//! The Rust side of one VU, shared by its host functions.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::Ctx;

use crate::env::Env;
use crate::files::Files;
use crate::interrupt::Interrupt;
use crate::js;
use crate::log::LogSink;
use crate::modules::{http, metrics};

/// Which part of the k6 life cycle a VU is in; several APIs behave
/// differently (or refuse to work) in init code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Top-level code of the modules: imports, `open()`, `new Counter()`.
    Init,
    /// Running `default`, `setup`, `teardown` or a scenario's `exec`.
    #[allow(dead_code)] // entered once VUs run iterations
    Vu,
}

/// Everything host functions of one VU need. Host functions hold an
/// `Rc` of it; it holds no JavaScript values, so there is no cycle with
/// the runtime.
#[derive(Debug)]
pub(crate) struct VuState {
    /// `__VU`: 0 for the init-for-options, setup and teardown VUs.
    pub id: u64,
    pub stage: Cell<Stage>,
    pub env: Env,
    pub files: Arc<dyn Files>,
    /// Where `open()` resolves relative paths when the caller is not a
    /// file module.
    pub entry_dir: PathBuf,
    pub log: Arc<dyn LogSink>,
    pub interrupt: Rc<Interrupt>,
    pub metrics: RefCell<metrics::Registry>,
    pub http: RefCell<http::State>,
}

impl VuState {
    /// Throws k6's `message` (`GoError: ... in the init context is not
    /// supported`) when called from init code.
    pub(crate) fn forbid_in_init(&self, ctx: &Ctx<'_>, message: &str) -> rquickjs::Result<()> {
        match self.stage.get() {
            Stage::Init => Err(js::throw_go_error(ctx, message)),
            Stage::Vu => Ok(()),
        }
    }

    /// Throws k6's `message` when called outside init code.
    pub(crate) fn require_init(&self, ctx: &Ctx<'_>, message: &str) -> rquickjs::Result<()> {
        match self.stage.get() {
            Stage::Init => Ok(()),
            Stage::Vu => Err(js::throw_go_error(ctx, message)),
        }
    }

    /// The error for an API k6r only provides in init code so far.
    pub(crate) fn not_yet(&self, ctx: &Ctx<'_>, what: &str) -> rquickjs::Error {
        js::throw_go_error(ctx, &format!("{what} is not supported by k6r yet"))
    }
}
