//! Limits and sinks of one JavaScript runtime.

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use k6r_core::metrics::Tags;
use k6r_http::ClientOptions;

use crate::call::InstanceInfo;
use crate::emit::{Discard, Emit};
use crate::log::{LogSink, StderrLog};
use crate::secrets::{RedactedLog, Secrets};
use crate::shared::SharedData;

/// How a VU's JavaScript runtime is set up.
#[derive(Clone)]
pub struct Config {
    /// How long init code may run before it is interrupted (a
    /// `while (true) {}` at the top level must not hang the process).
    /// Real `sleep()` in init counts against it too.
    pub init_timeout: Duration,
    /// The most native stack JavaScript may use; deeper recursion throws
    /// a catchable `RangeError` instead of crashing. The calling thread's
    /// stack must be bigger than this plus some room for Rust frames.
    pub max_stack_size: usize,
    /// The most memory the runtime may allocate; past it allocations
    /// throw `InternalError: out of memory`. `None`: no limit.
    pub memory_limit: Option<usize>,
    /// Where `console.*` lines go.
    pub log: Arc<dyn LogSink>,
    /// Where metric samples go.
    pub samples: Arc<dyn Emit>,
    /// Run tags (`options.tags`): on every sample a VU emits.
    pub tags: Arc<Tags>,
    /// The HTTP options of every VU's client.
    pub http: ClientOptions,
    /// The consolidated options (`exec.test.options`).
    pub options: Arc<serde_json::Value>,
    /// The instance's live counters (`exec.instance`).
    pub instance: Option<Arc<dyn InstanceInfo>>,
    /// Set by `exec.test.fail()`: the run must end with exit code 110.
    pub failed: Arc<AtomicBool>,
    /// k6's `throw` option: failed requests throw.
    pub throw: bool,
    /// What every VU of the process shares (`SharedArray` items): one
    /// store per run, made by whoever makes the run's config, so that the
    /// init-for-options VU's arrays serve the run's VUs too.
    pub shared: Arc<SharedData>,
    /// The run's secret sources (`k6/secrets`). Wrap [`Config::log`] in a
    /// [`RedactedLog`] over the same secrets to hide
    /// what scripts read.
    pub secrets: Arc<Secrets>,
}

impl Config {
    /// 60 s for init code, the same default as k6's `setupTimeout`.
    pub const DEFAULT_INIT_TIMEOUT: Duration = Duration::from_secs(60);
    /// 1 MiB: QuickJS's own default, thousands of recursion levels.
    pub const DEFAULT_MAX_STACK_SIZE: usize = 1024 * 1024;
    /// 2 GiB: far above what a script needs, low enough to fail cleanly.
    pub const DEFAULT_MEMORY_LIMIT: usize = 2 * 1024 * 1024 * 1024;

    /// Sets [`Config::init_timeout`].
    pub fn with_init_timeout(mut self, timeout: Duration) -> Self {
        self.init_timeout = timeout;
        self
    }

    /// Sets [`Config::max_stack_size`].
    pub fn with_max_stack_size(mut self, bytes: usize) -> Self {
        self.max_stack_size = bytes;
        self
    }

    /// Sets [`Config::memory_limit`].
    pub fn with_memory_limit(mut self, bytes: Option<usize>) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Sets [`Config::log`].
    pub fn with_log(mut self, log: Arc<dyn LogSink>) -> Self {
        self.log = log;
        self
    }

    /// Sets [`Config::samples`].
    pub fn with_samples(mut self, samples: Arc<dyn Emit>) -> Self {
        self.samples = samples;
        self
    }

    /// Sets [`Config::tags`].
    pub fn with_tags(mut self, tags: Tags) -> Self {
        self.tags = Arc::new(tags);
        self
    }

    /// Sets [`Config::http`].
    pub fn with_http(mut self, http: ClientOptions) -> Self {
        self.http = http;
        self
    }

    /// Sets [`Config::options`].
    pub fn with_options(mut self, options: serde_json::Value) -> Self {
        self.options = Arc::new(options);
        self
    }

    /// Sets [`Config::throw`].
    pub fn with_throw(mut self, throw: bool) -> Self {
        self.throw = throw;
        self
    }

    /// Sets [`Config::shared`].
    pub fn with_shared(mut self, shared: Arc<SharedData>) -> Self {
        self.shared = shared;
        self
    }

    /// Sets [`Config::secrets`] and hides what scripts read of them from
    /// [`Config::log`] (call it after [`Config::with_log`]).
    pub fn with_secrets(mut self, secrets: Arc<Secrets>) -> Self {
        // Without sources nothing can be revealed: no wrapper to pass.
        if !secrets.is_empty() {
            self.log = Arc::new(RedactedLog::new(self.log, Arc::clone(&secrets)));
        }
        self.secrets = secrets;
        self
    }

    /// Sets [`Config::instance`].
    pub fn with_instance(mut self, instance: Arc<dyn InstanceInfo>) -> Self {
        self.instance = Some(instance);
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            init_timeout: Self::DEFAULT_INIT_TIMEOUT,
            max_stack_size: Self::DEFAULT_MAX_STACK_SIZE,
            memory_limit: Some(Self::DEFAULT_MEMORY_LIMIT),
            log: Arc::new(StderrLog::default()),
            samples: Arc::new(Discard),
            tags: Arc::default(),
            http: ClientOptions::default(),
            options: Arc::new(serde_json::Value::Object(serde_json::Map::new())),
            instance: None,
            failed: Arc::default(),
            throw: false,
            shared: Arc::default(),
            secrets: Arc::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("init_timeout", &self.init_timeout)
            .field("max_stack_size", &self.max_stack_size)
            .field("memory_limit", &self.memory_limit)
            .field("log", &self.log)
            .field("samples", &self.samples)
            .field("tags", &self.tags)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}
