//! Where a VU's metric samples go.
//!
//! Host functions append samples to the VU's buffer; the buffer is handed
//! to the [`Emit`] as one batch before the VU waits (a request, a sleep)
//! and at the end of every call, so the hot path costs one hand-over per
//! request or iteration, never one per sample.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use k6r_core::metrics::Sample;

/// Receives batches of samples from VUs. Shared by every VU of a test
/// (hence `Send + Sync`); it must not block or panic.
pub trait Emit: Send + Sync + fmt::Debug {
    /// One batch, in emission order.
    fn emit(&self, samples: Vec<Sample>);
}

/// Drops every sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl Emit for Discard {
    fn emit(&self, _samples: Vec<Sample>) {}
}

/// Keeps every sample, for tests.
#[derive(Debug, Default)]
pub struct Collect {
    samples: Mutex<Vec<Sample>>,
}

impl Collect {
    /// Everything received so far, in order.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The samples of the metric `name`.
    pub fn of(&self, name: &str) -> Vec<Sample> {
        let mut samples = self.samples();
        samples.retain(|sample| &*sample.metric.name == name);
        samples
    }
}

impl Emit for Collect {
    fn emit(&self, samples: Vec<Sample>) {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(samples);
    }
}
