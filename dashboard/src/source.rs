//! [`Source`]: what the sampler asks once a period, so the same
//! dashboard serves a cluster's run and a run on one machine.

use std::future::Future;

use k6r_api::dashboard::FrameAgent;

use crate::sample::RunSample;

/// One answer of a [`Source`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sampled {
    /// The current (or last) run; `None` before the first.
    pub run: Option<RunSample>,
    /// The agents' table (empty on one machine).
    pub agents: Vec<FrameAgent>,
}

/// Where the sampler reads the run. It is called from the sampler task
/// only, once a period.
pub trait Source: Send + 'static {
    /// The run and agents now; `None` when they could not be read in
    /// time (the tick is skipped rather than queued).
    fn sample(&mut self) -> impl Future<Output = Option<Sampled>> + Send;
}
