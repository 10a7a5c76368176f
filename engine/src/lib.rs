//! k6r's execution engine: the shared VU pool and the seven k6 executors,
//! following a compiled [`TestPlan`](k6r_core::plan::TestPlan) against an
//! abstract VU ([`Vu`], created by a [`VuFactory`]).
//!
//! ```text
//! Engine::run ──▶ init planned VUs ──▶ Pool ◀──borrow/return── executors
//!      │                                            │
//!      └─ one task per scenario (sleeps startTime) ─┘──▶ Observer (events)
//! ```
//!
//! Timing follows §2.3 of the reference: no iteration starts after a
//! scenario's regular end; what still runs at the hard end (regular end +
//! gracefulStop, or the end of gracefulRampDown) is interrupted through the
//! iteration's cancellation token and awaited. A stop interrupts at once;
//! a drain ([`Engine::with_drain`], the agent's SIGTERM) starts no more
//! iterations and gives running ones their scenario's `gracefulStop`.
//!
//! # Layout
//! - [`vu`]: the [`Vu`] and [`VuFactory`] traits, [`Iteration`], [`Outcome`].
//! - [`engine`](mod@engine): [`Engine`], which initialises VUs and runs the scenarios.
//! - `pool`: the shared pool of initialised VUs and their ids.
//! - `executor`: one module per executor family (`looping`: shared-/per-vu-
//!   iterations and constant-vus; `ramping_vus`; `arrival_rate`;
//!   `external`: externally-controlled and its [`ControlHandle`]), plus the
//!   VU `handle` and the per-`iteration` bookkeeping they share.
//! - [`event`]: [`Event`]s for metrics and the [`Observer`] that gets them.
//! - [`progress`]: live counters for progress output.
//! - [`error`]: [`Error`] and [`ControlError`].
//! - `abort`: [`AbortReason`] and the slot that records it.
#![warn(missing_docs)]

mod abort;
pub mod engine;
pub mod error;
pub mod event;
mod executor;
mod pool;
pub mod progress;
pub mod vu;

pub use abort::AbortReason;
pub use engine::{Config, Engine, Report};
pub use error::{ControlError, Error, Result};
pub use event::{Event, NoopObserver, Observer, SharedObserver};
pub use executor::external::{ControlCommand, ControlHandle, Status};
pub use executor::steer::{Applied, ChangeLog, Live, Steer};
pub use progress::{Configured, Progress, ScenarioSnapshot, Snapshot};
pub use vu::{InitError, Iteration, Outcome, Vu, VuFactory, VuId};
