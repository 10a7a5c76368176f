//! What a run needs.

use std::sync::Arc;
use std::time::Duration;

use k6r_core::options::{Options, OptionsError};
use k6r_engine::Snapshot;
use k6r_http::{ClientOptions, TlsSettings};
use k6r_script::{Env, Script};
use tokio_util::sync::CancellationToken;

use crate::director::{Director, Local};
use crate::samples::Sinks;

/// Called every [`Config::progress_every`] while the scenarios run, and
/// once at their end, with the engine's counters, the time since the
/// start and which of the two reports it is.
pub type ProgressFn = Arc<dyn Fn(&Snapshot, Duration, Report) + Send + Sync>;

/// Which progress report a [`ProgressFn`] gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// One of the periodic reports while the scenarios run.
    Periodic,
    /// The last report, once the scenarios ended.
    Final,
}

/// A run: the script, its consolidated options and where samples go.
pub struct Config {
    /// The script.
    pub script: Script,
    /// `__ENV`.
    pub env: Env,
    /// The consolidated options, scenarios derived and validated.
    pub options: Options,
    /// The script's exported functions (for `setup`/`teardown`).
    pub exports: Vec<String>,
    /// Worker threads hosting VUs (default: the number of CPUs).
    pub workers: usize,
    /// Runtime settings of every VU (logs, limits); samples, tags, HTTP
    /// options and `exec` information are filled in by the run.
    pub script_config: k6r_script::Config,
    /// Extra consumers of the samples.
    pub sinks: Sinks,
    /// Live progress reports.
    pub progress: Option<ProgressFn>,
    /// How often they come (default 1s, k6's period when stdout is not a
    /// terminal).
    pub progress_every: Duration,
    /// Who runs setup, starts the scenarios and runs teardown: the run
    /// itself ([`Config::new`]), with k6's REST API
    /// ([`with_live`](Config::with_live)) or its agent
    /// ([`with_remote`](Config::with_remote)).
    pub(crate) director: Box<dyn Director>,
    /// Scenarios run whole, whatever the execution segment.
    pub pinned: Vec<String>,
    /// A graceful stop: once fired no iteration starts and running ones
    /// get their scenario's `gracefulStop`; the run ends as stopped.
    pub drain: Option<CancellationToken>,
    /// The VUs this machine may hold: a plan that could need more is
    /// refused before any VU is made.
    pub capacity: k6r_core::capacity::VuCapacity,
    /// Where every scenario's live-change handle is sent once the run is
    /// built (the autopilot's).
    pub steering: Option<tokio::sync::oneshot::Sender<Vec<k6r_engine::Steer>>>,
}

impl Config {
    /// A run of `script` with `options`, default workers and no sinks.
    pub fn new(script: Script, env: Env, options: Options, exports: Vec<String>) -> Self {
        Config {
            script,
            env,
            options,
            exports,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            script_config: k6r_script::Config::default(),
            sinks: Vec::new(),
            progress: None,
            progress_every: Duration::from_secs(1),
            director: Box::new(Local),
            pinned: Vec::new(),
            drain: None,
            capacity: crate::machine::vu_capacity(None),
            steering: None,
        }
    }

    /// Sets [`Config::capacity`] to `max_vus` (`--max-vus`) or, without
    /// it, to what this machine's memory holds.
    pub fn with_max_vus(mut self, max_vus: Option<u64>) -> Self {
        self.capacity = crate::machine::vu_capacity(max_vus);
        self
    }

    /// Sets [`Config::progress`].
    pub fn with_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Sets [`Config::progress_every`] (at least a millisecond).
    pub fn with_progress_every(mut self, every: Duration) -> Self {
        self.progress_every = every.max(Duration::from_millis(1));
        self
    }

    /// Sets [`Config::workers`].
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Sets [`Config::script_config`].
    pub fn with_script_config(mut self, config: k6r_script::Config) -> Self {
        self.script_config = config;
        self
    }

    /// Serves k6's REST API during the run, and `--paused`.
    pub fn with_live(mut self, live: crate::rest_api::Live) -> Self {
        self.director = Box::new(live);
        self
    }

    /// Drives the run from outside (the agent): it waits at its start gate for the
    /// driver's commands and skips teardown unless asked for it.
    pub fn with_remote(mut self, remote: crate::remote::Remote) -> Self {
        self.director = Box::new(remote);
        self
    }

    /// Sets [`Config::steering`].
    pub fn with_steering(
        mut self,
        to: tokio::sync::oneshot::Sender<Vec<k6r_engine::Steer>>,
    ) -> Self {
        self.steering = Some(to);
        self
    }

    /// Sets [`Config::drain`] (the agent's SIGTERM).
    pub fn with_drain(mut self, drain: CancellationToken) -> Self {
        self.drain = Some(drain);
        self
    }

    /// Sets [`Config::pinned`].
    pub fn with_pinned(mut self, pinned: Vec<String>) -> Self {
        self.pinned = pinned;
        self
    }

    /// Adds a sink.
    pub fn with_sink(mut self, sink: Box<dyn crate::SampleSink>) -> Self {
        self.sinks.push(sink);
        self
    }
}

/// Checks the TLS options as a test's load does: a `tlsAuth` certificate
/// or key that can't be read is k6's error (`tls: failed to find any PEM
/// data in certificate input`).
pub fn check_tls(options: &Options) -> Result<(), OptionsError> {
    tls_settings(options).map(drop)
}

/// The test's TLS settings, built and checked.
fn tls_settings(options: &Options) -> Result<TlsSettings, OptionsError> {
    let tls = TlsSettings::new(options.tls()?);
    tls.check().map_err(|e| OptionsError::Tls(e.to_string()))?;
    Ok(tls)
}

/// The HTTP options of the VUs' clients. The TLS configuration is built
/// here, once for every VU, so a `tlsAuth` certificate or key that can't
/// be read stops the test before it starts.
pub(crate) fn http_options(options: &Options) -> Result<ClientOptions, String> {
    let defaults = ClientOptions::default();
    let count = |v: Option<i64>, d: usize| v.map_or(d, |v| v.max(0) as usize);
    let tls = tls_settings(options).map_err(|e| e.to_string())?;
    Ok(ClientOptions {
        no_connection_reuse: options.no_connection_reuse.unwrap_or(false),
        no_vu_connection_reuse: options.no_vu_connection_reuse.unwrap_or(false),
        no_cookies_reset: options.no_cookies_reset.unwrap_or(false),
        max_redirects: options
            .max_redirects
            .map_or(defaults.max_redirects, |v| v.max(0) as u32),
        user_agent: match &options.user_agent {
            Some(agent) if agent.is_empty() => None,
            Some(agent) => Some(agent.clone()),
            None => defaults.user_agent.clone(),
        },
        tls,
        discard_response_bodies: options.discard_response_bodies.unwrap_or(false),
        batch: count(options.batch, defaults.batch),
        batch_per_host: count(options.batch_per_host, defaults.batch_per_host),
        hosts: hosts(options),
    })
}

/// The `hosts` option: string values only (k6 refuses others when it
/// validates the options).
fn hosts(options: &Options) -> k6r_http::Hosts {
    let Some(table) = options.raw.get("hosts").and_then(|v| v.as_object()) else {
        return k6r_http::Hosts::default();
    };
    k6r_http::Hosts::new(
        table
            .iter()
            .filter_map(|(key, value)| Some((key.as_str(), value.as_str()?))),
    )
}
