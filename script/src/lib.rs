//! k6r's JavaScript runtime: k6 scripts on QuickJS (through rquickjs).
//!
//! A script is an ES module that imports k6's built-in modules and local
//! files, exports `options` and functions, and runs *init code* (its top
//! level) once per VU. This crate evaluates that init context with k6's
//! globals and modules, reads what the script exports, and runs exported
//! functions in the VU context ([`Vu::call`]): iterations, `setup` and
//! `teardown`, with the built-ins emitting k6's metric samples.
//!
//! JavaScript stays synchronous: a host function that must wait hands a
//! future to the VU's [`Wait`] (the runner suspends the VU's coroutine;
//! [`BlockOn`] blocks the thread). Asynchronous APIs start *pending
//! operations* instead, whose completions the VU's event loop runs on its
//! thread; they progress whenever the VU waits, in whatever it waits.
//!
//! ```no_run
//! use k6r_script::{inspect, Env};
//! let inspection = inspect("script.js".as_ref(), &Env::new().with("VUS", "3"))?;
//! println!("{} {:?}", inspection.options, inspection.exports);
//! # Ok::<(), k6r_script::Error>(())
//! ```
//!
//! # Layout
//! - [`inspect`](mod@inspect): run the init context once (k6's "VU 0") and
//!   return [`Inspection`] (options + exported functions).
//! - [`runtime`]: [`Vu`], a QuickJS context whose init code ran, in a
//!   runtime of its own or a [`Host`]'s, with its limits (deadline, stack,
//!   memory).
//! - [`host`]: [`Host`], one runtime whose VUs are contexts (each on its
//!   own coroutine), and the fix-ups QuickJS needs for that.
//! - `invoke`: [`Vu::call`], running an exported function.
//! - [`call`]: [`Call`] (what to run) and [`Outcome`] (how it ended).
//! - [`summary`]: [`Vu::custom_metrics`] and [`Vu::handle_summary`].
//! - [`wait`]: the [`Wait`] abstraction and [`BlockOn`].
//! - [`emit`]: where samples go ([`Emit`], [`Collect`], [`Discard`]).
//! - [`script`]: [`Script`], an entry module plus where its files come from.
//! - [`files`]: the [`Files`] abstraction (the disk and the network, or an
//!   in-memory archive) and path normalisation.
//! - `loader`: module resolution (`k6/...`, `./`, `../`, `/`, `file://`)
//!   and loading, with k6's error messages ([`ModuleError`], the migration
//!   hints of removed modules included); CommonJS files (`loader::commonjs`),
//!   the `require()` global (`loader::require`), remote `https://` modules
//!   (`loader::remote`, fetched once per [`Script`]) and TypeScript
//!   (`loader::typescript`).
//! - `compiled`: JavaScript k6r ships itself, compiled once per process
//!   and loaded by each VU as bytecode without its source.
//! - `modules`: the built-in modules `k6`, `k6/http`, `k6/metrics`,
//!   `k6/execution`, `k6/timers`, `k6/encoding`, `k6/crypto`,
//!   `k6/crypto/x509`, `k6/html`, `k6/data`, `k6/experimental/fs`,
//!   `k6/experimental/csv`, `k6/experimental/streams`,
//!   `k6/experimental/redis`, `k6/secrets` (with a checklist for adding
//!   one).
//! - `binary`: strings and bytes between JavaScript and Rust as k6's Go
//!   code sees them (`invalid type int64, expected string, []byte or
//!   ArrayBuffer`, invalid UTF-8 as U+FFFD).
//! - `globals`: `__ENV`, `__VU`, `global`, `console`, `open()`, `require()`,
//!   the timers, the VU's event loop (`globals::event_loop`: what runs
//!   after a call's function returned, until nothing it started is left),
//!   WebCrypto's `crypto` (built on first access), and the typed arrays,
//!   `Map`/`Set` and `Date` (`globals::lazy`, installed on first use).
//! - `pending`: a VU's pending operations, asynchronous work started by
//!   JavaScript (`http.asyncRequest()`) that progresses whenever the VU
//!   waits and completes on its thread (with how to add an asynchronous
//!   API); `k6/experimental/redis`'s commands are such operations.
//! - [`secrets`]: [`Secrets`] (`--secret-source`) and [`RedactedLog`], which
//!   hides the secrets scripts read from log lines.
//! - [`shared`]: [`SharedData`], what every VU of a process shares (the
//!   items of `SharedArray`s, files opened by `k6/experimental/fs`),
//!   carried by [`Config`].
//! - `state`: the per-VU Rust state host functions share; `interrupt`:
//!   the deadline and `exec.test.abort()`; `js`: host-function helpers.
//! - [`options`]: JavaScript values → JSON with Go's failure cases.
//! - [`exception`]: uncaught JavaScript exceptions as data ([`JsException`]).
//! - [`log`]: where `console` lines go ([`LogSink`], [`StderrLog`], [`MemoryLog`]).
//! - [`config`], [`mod@env`], [`error`]: [`Config`], [`Env`] (`__ENV`), [`Error`]
//!   with k6's exit codes.
#![warn(missing_docs)]

pub mod call;
pub mod config;
pub mod emit;
pub mod env;
pub mod error;
pub mod exception;
pub mod files;
pub mod host;
pub mod inspect;
pub mod log;
pub mod options;
pub mod runtime;
pub mod script;
pub mod secrets;
pub mod shared;
pub mod summary;
pub mod wait;

mod binary;
mod compiled;
mod globals;
mod interrupt;
mod invoke;
mod js;
mod loader;
mod modules;
mod pending;
mod state;

pub use call::{
    Call, CallKind, CallResult, Instance, InstanceInfo, IterationInfo, Outcome, ScenarioInfo,
    ScenarioProgress,
};
pub use config::Config;
pub use emit::{Collect, Discard, Emit};
pub use env::Env;
pub use error::{Error, Result};
pub use exception::JsException;
pub use files::{DiskFiles, FetchError, Files, MemoryFiles, RecordingFiles};
pub use host::Host;
pub use inspect::{inspect, inspect_with, Inspection};
pub use invoke::scenario_tags;
pub use loader::ModuleError;
pub use log::{Level, LogSink, MemoryLog, StderrLog};
pub use options::ConvertError;
pub use runtime::Vu;
pub use script::Script;
pub use secrets::{RedactedLog, Secrets};
pub use shared::SharedData;
pub use wait::{BlockOn, Wait, WaitFuture};
