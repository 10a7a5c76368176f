//! k6r's gRPC contract between the coordinator and its agents.
//!
//! The `.proto` files under `proto/k6r/v1/` are the source of truth; the
//! Rust code in `src/gen/` is generated from them by `cargo xtask
//! gen-proto` (protox + tonic-prost-build, so no `protoc` is needed) and
//! checked in. Nobody edits it by hand: a test in `xtask/` regenerates it
//! and fails when it drifts.
//!
//! # Layout
//! - [`v1`]: package `k6r.v1`: the `AgentService` with its one
//!   bidirectional `Session` stream, the messages up (agent →
//!   coordinator) and down (coordinator → agent), the metric sink
//!   deltas and the run's options.
//! - [`convert`]: wire ↔ std conversions (instants as unix nanoseconds,
//!   intervals as milliseconds), the wrapping of each message into its
//!   `AgentMessage` / `CoordinatorMessage` envelope, and k6r-core's metric
//!   `Delta` ↔ `MetricDelta` (refused with a
//!   [`MetricDeltaError`](convert::MetricDeltaError) when it makes no
//!   sense), and k6r-core's `Options` ↔ the Assign's typed `Options`
//!   (refused with an [`OptionsWireError`](convert::OptionsWireError)
//!   naming the field).
#![warn(missing_docs)]

pub mod convert;

/// The largest message either side accepts (gRPC's default is 4 MiB): a
/// run's whole archive, every file its script `open()`s included, travels
/// in one Assign, and the coordinator takes run requests of up to 1 GiB.
pub const MAX_MESSAGE: usize = 1 << 30;

/// Package `k6r.v1` (generated).
#[allow(clippy::all, missing_docs)]
#[rustfmt::skip]
pub mod v1 {
    include!("gen/k6r.v1.rs");
}
