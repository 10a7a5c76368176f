//! Sinks: the per-metric aggregates, one type per [`MetricType`].
//!
//! Every sink merges exactly and in any order (`a.merge(b)` equals
//! `b.merge(a)`, and splitting a sample stream across sinks then merging
//! equals one sink over the whole stream), and serialises with serde so
//! that an agent can ship what it gathered since its last flush (a delta:
//! see [`Sink::take`]) for the coordinator to merge.
//!
//! # Layout
//! - [`counter`]: [`CounterSink`], an exact sum.
//! - [`gauge`]: [`GaugeSink`], the latest value with min/max.
//! - [`rate`]: [`RateSink`], passes out of a total.
//! - [`trend`]: [`TrendSink`], exact count/sum/min/max plus a histogram.

pub mod counter;
pub mod gauge;
pub mod rate;
pub mod trend;

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

pub use counter::CounterSink;
pub use gauge::GaugeSink;
pub use rate::RateSink;
pub use trend::TrendSink;

use super::sample::MetricType;
use super::stat::Stat;

/// The aggregate of one metric (or submetric).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Sink {
    /// A counter's.
    Counter(CounterSink),
    /// A gauge's.
    Gauge(GaugeSink),
    /// A rate's.
    Rate(RateSink),
    /// A trend's.
    Trend(TrendSink),
}

/// Two sinks of different metric types cannot merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot merge a {theirs} sink into a {ours} sink")]
pub struct MergeError {
    /// The receiving sink's type.
    pub ours: MetricType,
    /// The other sink's type.
    pub theirs: MetricType,
}

impl Sink {
    /// An empty sink for a metric of type `kind`.
    pub fn new(kind: MetricType) -> Sink {
        match kind {
            MetricType::Counter => Sink::Counter(CounterSink::default()),
            MetricType::Gauge => Sink::Gauge(GaugeSink::default()),
            MetricType::Rate => Sink::Rate(RateSink::default()),
            MetricType::Trend => Sink::Trend(TrendSink::default()),
        }
    }

    /// The metric type it aggregates.
    pub fn kind(&self) -> MetricType {
        match self {
            Sink::Counter(_) => MetricType::Counter,
            Sink::Gauge(_) => MetricType::Gauge,
            Sink::Rate(_) => MetricType::Rate,
            Sink::Trend(_) => MetricType::Trend,
        }
    }

    /// Adds one value taken at `time` (only gauges look at the time).
    pub fn add(&mut self, value: f64, time: SystemTime) {
        match self {
            Sink::Counter(s) => s.add(value),
            Sink::Gauge(s) => s.add(value, time),
            Sink::Rate(s) => s.add(value),
            Sink::Trend(s) => s.add(value),
        }
    }

    /// Whether nothing was added (k6 skips such metrics' thresholds while
    /// the test runs).
    pub fn is_empty(&self) -> bool {
        match self {
            Sink::Counter(s) => s.samples() == 0,
            Sink::Gauge(s) => s.is_empty(),
            Sink::Rate(s) => s.total == 0,
            Sink::Trend(s) => s.count() == 0,
        }
    }

    /// Adds `other` in; both must be of the same type.
    pub fn merge(&mut self, other: &Sink) -> Result<(), MergeError> {
        match (self, other) {
            (Sink::Counter(a), Sink::Counter(b)) => a.merge(b),
            (Sink::Gauge(a), Sink::Gauge(b)) => a.merge(b),
            (Sink::Rate(a), Sink::Rate(b)) => a.merge(b),
            (Sink::Trend(a), Sink::Trend(b)) => a.merge(b),
            (a, b) => {
                return Err(MergeError {
                    ours: a.kind(),
                    theirs: b.kind(),
                })
            }
        }
        Ok(())
    }

    /// What was added after `earlier`, a copy of this sink taken before
    /// (a window of a running metric); a gauge's window is its value now.
    /// A sink of another type than `earlier` is all window.
    pub fn since(&self, earlier: &Sink) -> Sink {
        match (self, earlier) {
            (Sink::Counter(a), Sink::Counter(b)) => Sink::Counter(a.since(b)),
            (Sink::Rate(a), Sink::Rate(b)) => Sink::Rate(a.since(b)),
            (Sink::Trend(a), Sink::Trend(b)) => Sink::Trend(a.since(b)),
            (now, _) => now.clone(),
        }
    }

    /// Returns what was gathered so far and leaves an empty sink of the
    /// same type: the delta an agent ships.
    pub fn take(&mut self) -> Sink {
        std::mem::replace(self, Sink::new(self.kind()))
    }

    /// The value of `stat`, or `None` when this type has no such stat (or,
    /// for a rate's `rate`, before the first value). `elapsed` is the test
    /// run's duration so far, for a counter's `rate`.
    pub fn stat(&self, stat: Stat, elapsed: Duration) -> Option<f64> {
        match (self, stat) {
            (Sink::Counter(s), Stat::Count) => Some(s.count()),
            (Sink::Counter(s), Stat::Rate) => Some(s.rate(elapsed)),
            (Sink::Gauge(s), Stat::Value) => Some(s.value()),
            (Sink::Gauge(s), Stat::Min) => Some(s.min()),
            (Sink::Gauge(s), Stat::Max) => Some(s.max()),
            (Sink::Rate(s), Stat::Rate) => s.rate(),
            (Sink::Rate(s), Stat::Passes) => Some(s.passes as f64),
            (Sink::Rate(s), Stat::Fails) => Some(s.fails() as f64),
            (Sink::Trend(s), Stat::Count) => Some(s.count() as f64),
            (Sink::Trend(s), Stat::Sum) => Some(s.sum()),
            (Sink::Trend(s), Stat::Min) => Some(s.min()),
            (Sink::Trend(s), Stat::Max) => Some(s.max()),
            (Sink::Trend(s), Stat::Avg) => Some(s.avg()),
            (Sink::Trend(s), Stat::Med) => Some(s.med()),
            (Sink::Trend(s), Stat::Percentile(n)) => Some(s.percentile(n)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
