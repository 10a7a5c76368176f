//! The Rust side of one VU, shared by its host functions.

use std::cell::{Cell, OnceCell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use k6r_core::metrics::{Builtin, Metric, Sample, Tags};
use rquickjs::Ctx;

use crate::call::CallKind;
use crate::config::Config;
use crate::env::Env;
use crate::files::Files;
use crate::host::{entry_dir, Seat};
use crate::interrupt::Interrupt;
use crate::js;
use crate::log::LogSink;
use crate::modules::{http, metrics};
use crate::script::Script;
use crate::wait::Wait;

/// Room made for a VU's samples at the first of a batch (a request
/// makes about a dozen).
const SAMPLES_PER_BATCH: usize = 16;

/// Which part of the k6 life cycle a VU is in; several APIs behave
/// differently (or refuse to work) in init code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Top-level code of the modules: imports, `open()`, `new Counter()`.
    Init,
    /// Running `default`, `setup`, `teardown` or a scenario's `exec`.
    Vu,
}

/// Everything host functions of one VU need. Host functions hold an
/// `Rc` of it; it holds no JavaScript values, so there is no cycle with
/// the runtime.
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
    /// The timers of the running call (or of init code).
    pub timers: RefCell<crate::globals::timers::Timers>,
    /// The asynchronous operations of the running call (see
    /// [`crate::pending`]).
    pub pending: RefCell<crate::pending::Pending>,
    /// How host functions wait (see [`crate::wait`]).
    pub wait: Rc<dyn Wait>,
    /// The VU's place in a shared runtime (`None`: a runtime of its own).
    pub seat: Option<Seat>,
    pub config: Config,
    /// The VU's HTTP client, made on the first request.
    pub client: OnceCell<Rc<k6r_http::Client>>,
    /// What the running call is, `None` in init code.
    pub call: RefCell<Option<CallState>>,
    /// The scenario whose `env` `__ENV` reflects (`None`: the VU's own).
    pub env_scenario: RefCell<Option<Arc<str>>>,
    /// The last request's tags: (call base tags, hop tags, full set).
    pub http_tags: RefCell<Option<HttpTags>>,
    /// Tags the script set or deleted through `exec.vu.tags`: laid over
    /// every later call's tags, for the rest of the VU's life (as in k6).
    pub tag_overrides: RefCell<TagOverrides>,
    /// `exec.vu.metrics.metadata`: kept for the VU's life, as in k6.
    pub metadata: RefCell<Tags>,
    /// Samples not yet handed to [`Config::samples`].
    samples: RefCell<Vec<Sample>>,
}

/// A cached tag set of a request: the call's base tags it was made from,
/// the request's own tags, and the full set.
pub(crate) type HttpTags = (Arc<Tags>, k6r_http::Tags, Arc<Tags>);

/// Tags set (`Some`) or deleted (`None`) by the script through
/// `exec.vu.tags`, by key.
pub(crate) type TagOverrides = std::collections::BTreeMap<Arc<str>, Option<Arc<str>>>;

/// The running call's tag context and byte counters.
#[derive(Debug)]
pub(crate) struct CallState {
    pub kind: CallKind,
    /// `::a::b`, "" at the root.
    pub group: String,
    /// Run/scenario tags plus `scenario` and `group`: the base of every
    /// sample's tags; rebuilt when the group changes.
    pub tags: Arc<Tags>,
    /// Tags without `group`, the VU's overrides applied.
    pub base: Arc<Tags>,
    /// The call's own tags without `group`, before the overrides.
    origin: Arc<Tags>,
    pub data_sent: u64,
    pub data_received: u64,
}

impl CallState {
    pub(crate) fn new(kind: CallKind, run_tags: &Arc<Tags>, overrides: &TagOverrides) -> Self {
        let (base, group) = match &kind {
            CallKind::Setup => (Arc::clone(run_tags), "::setup"),
            CallKind::Teardown => (Arc::clone(run_tags), "::teardown"),
            CallKind::Iteration(info) => (Arc::clone(&info.scenario.tags), ""),
        };
        let root = match &kind {
            // Shared by every iteration of the scenario (tag sets are
            // compared by pointer to reuse them).
            CallKind::Iteration(info) if overrides.is_empty() => {
                Some(Arc::clone(&info.scenario.root_tags))
            }
            _ => None,
        };
        let mut state = CallState {
            kind,
            group: String::new(),
            tags: Arc::clone(&base),
            origin: Arc::clone(&base),
            base,
            data_sent: 0,
            data_received: 0,
        };
        match root {
            Some(root) => state.tags = root,
            None => state.apply_overrides(overrides, group.to_owned()),
        }
        state
    }

    /// Lays the VU's tag overrides over the call's own tags, in `group`.
    pub(crate) fn apply_overrides(&mut self, overrides: &TagOverrides, group: String) {
        let mut base = (*self.origin).clone();
        for (key, value) in overrides {
            match value {
                Some(value) => base.insert(Arc::clone(key), Arc::clone(value)),
                None => {
                    base.remove(key);
                }
            }
        }
        self.base = Arc::new(base);
        self.set_group(group);
    }

    /// Enters or leaves a group.
    pub(crate) fn set_group(&mut self, group: String) {
        self.tags = Arc::new((*self.base).clone().with("group", group.as_str()));
        self.group = group;
    }
}

impl std::fmt::Debug for VuState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VuState")
            .field("id", &self.id)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

impl VuState {
    pub(crate) fn new(
        id: u64,
        env: &Env,
        script: &Script,
        config: &Config,
        wait: Rc<dyn Wait>,
    ) -> Self {
        VuState {
            id,
            stage: Cell::new(Stage::Init),
            env: env.clone(),
            files: script.files().clone(),
            entry_dir: entry_dir(script),
            log: config.log.clone(),
            interrupt: Rc::default(),
            metrics: RefCell::default(),
            http: RefCell::default(),
            timers: RefCell::default(),
            pending: RefCell::default(),
            wait,
            seat: None,
            config: config.clone(),
            client: OnceCell::new(),
            call: RefCell::new(None),
            env_scenario: RefCell::new(None),
            http_tags: RefCell::new(None),
            tag_overrides: RefCell::default(),
            metadata: RefCell::default(),
            samples: RefCell::new(Vec::new()),
        }
    }

    /// Counts the bytes a protocol's connection moved since the last claim
    /// (`marks`: WebSockets, gRPC, redis) into the running call's
    /// `data_sent` and `data_received`.
    pub(crate) fn claim_bytes(&self, marks: &k6r_http::transport::stream::IoMarks) {
        let (written, read) = marks.take_bytes();
        if let Some(call) = self.call.borrow_mut().as_mut() {
            call.data_sent += written;
            call.data_received += read;
        }
    }

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

    /// The VU's HTTP client.
    pub(crate) fn client(&self) -> Rc<k6r_http::Client> {
        Rc::clone(
            self.client
                .get_or_init(|| Rc::new(k6r_http::Client::new(self.config.http.clone()))),
        )
    }

    /// The base tags of the running call (with `group`); run tags in init.
    pub(crate) fn tags(&self) -> Arc<Tags> {
        match &*self.call.borrow() {
            Some(call) => Arc::clone(&call.tags),
            None => Arc::clone(&self.config.tags),
        }
    }

    /// Buffers a sample of `metric` with `tags`.
    pub(crate) fn push(&self, metric: Arc<Metric>, tags: Arc<Tags>, value: f64) {
        self.samples
            .borrow_mut()
            .push(Sample::now(metric, tags, value));
    }

    /// Buffers a sample taken at `time` (the samples of one request share it).
    pub(crate) fn push_at(
        &self,
        metric: Arc<Metric>,
        tags: Arc<Tags>,
        value: f64,
        time: std::time::SystemTime,
    ) {
        let mut samples = self.samples.borrow_mut();
        if samples.capacity() == 0 {
            // A request's batch is about a dozen: one allocation, not
            // three growing ones.
            samples.reserve(SAMPLES_PER_BATCH);
        }
        samples.push(Sample {
            metric,
            tags,
            time,
            value,
        });
    }

    /// Buffers a sample of a built-in metric.
    pub(crate) fn push_builtin(&self, metric: Builtin, tags: Arc<Tags>, value: f64) {
        self.push(metric.metric(), tags, value);
    }

    /// Hands the buffered samples over as one batch.
    pub(crate) fn flush_samples(&self) {
        let samples = std::mem::take(&mut *self.samples.borrow_mut());
        if !samples.is_empty() {
            self.config.samples.emit(samples);
        }
    }
}
