//! Distributed runs end to end: a real coordinator on 127.0.0.1:0, fake
//! agents speaking the protocol message by message, and the REST API.
//!
//! - `support`: submitting runs, the agents' side of the lifecycle, and
//!   polling the run until it gets somewhere.
//! - `split`: how a run is split over its agents (segments, weights,
//!   capacity), setup on the lead and the merged metrics.
//! - `control`: scaling, pausing and stopping a running run, and the
//!   coordinator's own shutdown.
//! - `outcomes`: the exit codes of thresholds, agent errors, setup
//!   failures and tests marked failed.
//! - `loss`: an agent lost mid-run.

#[path = "../common/mod.rs"]
mod common;

mod control;
mod loss;
mod outcomes;
mod split;
mod support;
