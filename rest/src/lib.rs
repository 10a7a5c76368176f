//! k6's v1 REST control API as a library: an axum server ([`serve`]) in
//! front of one task that owns the run's control state ([`Backend`],
//! started by [`spawn`]), with k6's routes, bodies, status codes, error
//! rows and quirks (spec §4), plus k6r's `GET /metrics` for Prometheus.
//!
//! ```text
//! client ──HTTP──▶ handlers (validate, decode as Go would)
//!                      │ Request + oneshot, bounded mpsc
//!                      ▼
//!               actor task ──owns──▶ impl Backend (the coordinator's run,
//!                                     or k6r-runner's EngineBackend)
//! ```
//!
//! To serve a run: implement [`Backend`], `let (control, task) =
//! spawn(backend)`, then `serve(listener, control, shutdown)`. The
//! server knows nothing of the engine: the backend over a run on one
//! machine lives in `k6r-runner` (`rest_api::EngineBackend`), next to
//! what it drives.
//!
//! # Layout
//! - [`backend`]: the [`Backend`] trait, [`Request`], the [`Control`]
//!   handle and the actor.
//! - [`convert`]: DTOs from `k6r-core`'s metric registry, checks and
//!   group tree (k6's `sample` per metric type, MD5 group/check ids).
//! - [`server`]: the router, content types, body limit and [`serve`].
//! - `routes`: one handler module per resource (`prometheus`: `/metrics`;
//!   `scenarios`: k6r's `/v1/scenarios`, beside k6's API).
//! - [`patch`]: decoding a PATCH body exactly as Go decodes it.
//! - [`scenario_patch`]: decoding k6r's `PATCH /v1/scenarios/{name}` into
//!   a live change (`k6r_core::steer::Change`).
//! - [`setup_body`]: decoding a `PUT /v1/setup` body as k6 does.
//! - [`gojson`]: a JSON reader with Go's error messages.
//! - [`error`]: [`Error`], [`ControlError`], [`SetupError`] and their
//!   responses.
//! - [`problem`]: [`Problem`], an error answer in k6's shape (any status),
//!   and axum's rejections turned into one.
#![warn(missing_docs)]

pub mod backend;
pub mod convert;
pub mod error;
pub mod gojson;
pub mod patch;
pub mod problem;
mod routes;
pub mod scenario_patch;
pub mod server;
pub mod setup_body;

pub use backend::{spawn, Backend, BoxFuture, Control, Request, SetupData};
pub use error::{ControlError, Error, Result, SetupError};
pub use patch::StatusPatch;
pub use problem::Problem;
pub use server::{router, serve, serve_with, MAX_BODY};
