//! k6r's metrics for Prometheus: the merged metrics of a run as
//! Prometheus series, served at `/metrics` and pushed by remote write.
//!
//! One rule maps k6 metrics to series, as k6's Prometheus output names
//! them: every name gets the `k6_` prefix, counters end in `_total`,
//! rates become `k6_<name>_rate` gauges, and trends become histograms
//! (time trends in seconds, `k6_<name>_seconds`) whose buckets are the
//! occupied buckets of k6r's log-linear histograms, so a quantile that
//! Prometheus interpolates stays within one of those buckets (0.78 % of
//! the value).
//!
//! # Layout
//! - [`family`]: [`Family`], [`Series`] and [`Value`], the series model,
//!   and [`families`], the rule from a [`Registry`](k6r_core::metrics::Registry)
//!   to it.
//! - [`exposition`]: [`exposition::encode`], the OpenMetrics text of
//!   families (with the `prometheus-client` crate), and its content type.
//! - [`remote_write`]: the `experimental-prometheus-rw` output.

pub mod exposition;
pub mod family;
pub mod remote_write;

pub use family::{families, trend_stats, Family, Series, Unit, Value};
