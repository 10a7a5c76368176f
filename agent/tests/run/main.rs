//! The agent runs its part of a distributed test, driven by a fake
//! coordinator that sends the run messages of the proto's lifecycle.
//!
//! - `support`: the fake coordinator's side (Assign, Start, Control) and
//!   `Seen`, what the agent reported.
//! - `lifecycle`: a segment's share, setup and teardown on the lead, the
//!   per-scenario slices.
//! - `control`: scaling, pausing, stopping and aborting a running part.
//! - `shutdown`: a closed session, an init exception, SIGTERM mid-run.

#[path = "../common/mod.rs"]
mod common;
#[path = "../../../runner/tests/common/target.rs"]
mod target;

mod control;
mod lifecycle;
mod shutdown;
mod support;
