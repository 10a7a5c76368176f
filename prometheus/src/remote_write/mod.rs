//! The `experimental-prometheus-rw` output: the same series as `/metrics`
//! (plus k6's trend-stat gauges), pushed to a Prometheus remote-write
//! receiver every interval and once at the end.
//!
//! # Layout
//! - [`config`]: [`Config`] from k6's `K6_PROMETHEUS_RW_*` variables.
//! - [`wire`]: the protocol's messages.
//! - [`series`]: families as time series.
//! - [`push`]: [`Pusher`], the thread that pushes.

pub mod config;
pub mod push;
pub mod series;
pub mod wire;

pub use config::{Config, ConfigError};
pub use push::{PushError, Pusher, Report};

/// The output's name, as `--out` takes it.
pub const OUTPUT: &str = "experimental-prometheus-rw";
