//! k6r's coordinator: agents open a gRPC session to it, people and the CLI
//! talk REST to it, and it splits a submitted run across the agents.
//!
//! ```text
//! agents ──gRPC Session──▶ ┐                         ┌─▶ registry actor
//!                          ├─ one axum app, one port ┤   (agents, heartbeats,
//! people ──REST /v1, /*z─▶ ┘   (+ bearer check)      └─▶  expiry, readiness)
//! ```
//!
//! Start it with [`run()`], or build a [`Server`] to reach its
//! [`RegistryHandle`] first (tests, run submission).
//!
//! # Layout
//! - [`config`]: the flags ([`Args`]) and the validated [`Config`].
//! - [`error`]: [`Error`] and its mapping to gRPC statuses and REST bodies.
//! - [`server`]: [`Server`]: builds the app, serves, drains on shutdown.
//! - [`grpc`]: the `AgentService` endpoint and each agent's session task.
//! - [`registry`]: the actor owning the agent table, and its handle.
//! - [`mod@run`]: distributed runs: submission, the split, the run actor,
//!   merged metrics.
//! - [`rest`]: `GET /v1/agents`, `/v1/runs`, `/healthz`, `/readyz`, and
//!   k6's control API over the current run; every error in k6's shape
//!   ([`k6r_rest::Problem`]).
//! - [`dashboard`]: the cluster as the source of `k6r-dashboard`'s live
//!   dashboard at `/` (the current run and the agents' table).
//! - [`probe`]: `k6r-coordinator probe URL`, the image's health check.
//! - `auth`: the `--token` check in front of every route.
//! - `convert`: wire → registry types (`TryFrom<v1::Hello>`).
#![warn(missing_docs)]

mod auth;
pub mod config;
mod convert;
pub mod dashboard;
pub mod error;
pub mod grpc;
pub mod probe;
pub mod registry;
pub mod rest;
pub mod run;
pub mod server;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Args, Command, Config, Token};
pub use error::{Error, Result};
pub use registry::RegistryHandle;
pub use run::RunsHandle;
pub use server::Server;

/// Serves `listener` with `config` until `shutdown` is cancelled, then
/// drains.
pub async fn run(config: Config, listener: TcpListener, shutdown: CancellationToken) -> Result<()> {
    Server::new(config, shutdown).serve(listener).await
}
