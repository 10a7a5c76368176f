//! k6r's test run on one machine: the script's VUs on stackful coroutines
//! hosted by a few worker threads, `setup`/`teardown`, and the metric
//! samples of the run. Shared by the CLI (`k6r-cli run`) and the agent.
//!
//! ```text
//! run ──▶ setup (VU 0) ──▶ Engine::run ──▶ Factory ──▶ Workers (threads)
//!  │                            │                        └─ a task per VU
//!  │                            │                           driving its coroutine
//!  │                            └─ events ─▶ EventSamples ─┐
//!  └─▶ teardown (VU 0)      VUs' samples ─────────────────┴─▶ channel ─▶ SampleSinks
//! ```
//!
//! Each VU owns a QuickJS runtime created inside its coroutine; a host
//! function that waits (a request, `sleep`) suspends the coroutine with
//! a future that the VU's task awaits on the worker's current-thread
//! runtime (see `shared/notes/vu-model.md`, design BP). The engine's
//! loop over a VU's iterations runs on that runtime too where the VU is
//! known when the loop starts (`Vu::runtime`): an iteration is handed to
//! the VU without crossing threads.
//!
//! # Layout
//! - `run`: [`run`], one machine's share of a test run, plan → VUs → gate →
//!   scenarios → after; [`RunResult`].
//! - `director`: who runs setup and teardown and starts the scenarios: the
//!   run itself, with k6's REST API ([`rest_api::Live`]), or its agent
//!   ([`Remote`]); one file each.
//! - [`allocator`]: the global [`Allocator`] the binaries that run VUs
//!   name (mimalloc, tuned for RSS).
//! - [`config`]: [`Config`], what a run needs.
//! - `coroutine`: one VU on its coroutine, and the [`Spec`] every VU starts from.
//! - `workers`: the worker threads and VU placement.
//! - `vu`: the engine's `Vu`/`VuFactory` over VUs on workers.
//! - `lifecycle`: `setup()` and `teardown()`.
//! - [`rest_api`]: k6's REST API served during the run, `--paused`, and
//!   [`rest_api::EngineBackend`], the `k6r-rest` backend over the engine
//!   (k6r's `/v1/scenarios` too: [`rest_api::Scenarios`]).
//! - [`machine`]: this machine's memory and the VUs it may hold.
//! - [`remote`]: a run driven from outside (the agent): a start gate for
//!   setup and the start instant, teardown on request.
//! - [`samples`]: the metrics channel and the [`SampleSink`] trait.
//! - [`setup`](mod@setup): [`SetupHandle`], the run's setup data and
//!   setup/teardown on request (REST, the agent).
//! - [`metrics`]: [`Metrics`](metrics::Metrics), the run's registry as a sink
//!   with a live read handle.
//! - [`thresholds`]: the 2 s threshold evaluation loop (`abortOnFail`).
//! - [`output`]: `--out json=...`/`csv=...` writers that never block.
//! - [`summary`](mod@summary): `handleSummary(data)` on a VU of its own.
//! - `events`: the engine's events as samples; the `vus` gauges.
//! - [`totals`]: [`Totals`], a sink of per-metric counts.
//! - `instance`: `exec.instance`'s counters.
//! - [`error`]: [`Error`] with k6's exit codes.
#![warn(missing_docs)]

pub mod machine;
pub mod metrics;
pub mod output;
pub mod summary;
pub mod thresholds;

pub mod allocator;
pub mod config;
mod coroutine;
mod director;
pub mod error;
mod events;
mod instance;
mod lifecycle;
pub mod remote;
pub mod rest_api;
mod run;
pub mod samples;
pub mod setup;
pub mod totals;
mod vu;
mod workers;

pub use allocator::Allocator;
pub use config::{Config, ProgressFn, Report};
pub use coroutine::{Spec, MAX_JS_STACK, STACK_SIZE};
pub use error::{Error, Result};
pub use k6r_engine::Snapshot;
pub use remote::{Driver, Remote};
pub use run::{run, End, RunResult};
pub use samples::{SampleSink, Sinks};
pub use setup::SetupHandle;
pub use totals::{Total, Totals};
