//! The live dashboard at `/`: charts of the current run (request and
//! iteration rates, VUs, latency percentiles, failures, checks), its
//! agents and thresholds, and controls (scale, pause, resume, stop) that
//! call k6's REST API on the same origin, as `k6r-cli` does. The
//! coordinator serves it for a cluster, `k6r-cli run --web-dashboard`
//! for a run on one machine; each gives a [`Source`] of samples.
//!
//! ```text
//! Source (the run, its agents) ◀── sampler task (once a second): frame,
//!                                    │ JSON once, history (bounded)
//!                                    ▼
//!               watch<Bytes> ──▶ each viewer's stream (≤ MAX_VIEWERS)
//!                                  GET /v1/dashboard/events
//! ```
//!
//! The page and its assets are open (they hold no data, and the page is
//! where a token is typed in); the data under `/v1/dashboard/` needs the
//! token like the rest of `/v1/`. The page sends it as
//! `authorization: Bearer`, and reads the events with `fetch()` rather
//! than `EventSource`, which cannot send headers.
//!
//! # Layout
//! - [`sample`]: [`RunSample`], a run at one instant, and the counts read
//!   off a registry the same way by every source.
//! - `source`: [`Source`], what the sampler asks once a period.
//! - `frame`: one frame from a run sample, the previous one and the
//!   agent table.
//! - `history`: the run's points, bounded by merging pairs.
//! - `sampler`: the task that owns all of it and publishes the frames.
//! - `events`: the server-sent events, one stream per viewer.
//! - `page`: the page, its assets, the history and the saved report.
//! - `assets/`: the page's body, its stylesheet, its charts (`chart.js`)
//!   and its script (`app.js`).
//! - `error`: [`DashboardError`].

mod error;
mod events;
mod frame;
mod history;
mod page;
pub mod sample;
mod sampler;
mod source;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{routing::get, Router};
use bytes::Bytes;
use k6r_api::dashboard::History;
use tokio::{
    sync::{mpsc, oneshot, watch, Semaphore},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

pub use error::DashboardError;
pub use page::report_html;
pub use sample::{AgentPart, Headline, RunSample, ScenarioPart, Totals, PERCENTILES};
pub use source::{Sampled, Source};

/// How often the sampler builds a frame, unless told otherwise.
pub const SAMPLE_PERIOD: Duration = Duration::from_secs(1);

/// The most event streams open at once; the next viewer gets 503.
pub const MAX_VIEWERS: usize = 100;

/// The most points kept of a run (an hour at one a second; longer runs
/// keep their whole span at a coarser step).
pub const MAX_POINTS: usize = 3600;

/// Paths of the page and its assets, served without the token.
pub const OPEN_PATHS: [&str; 4] = [
    "/",
    "/dashboard/style.css",
    "/dashboard/chart.js",
    "/dashboard/app.js",
];

/// The dashboard's handle: the published frames and the way to the
/// sampler.
#[derive(Clone, Debug)]
pub struct Dashboard {
    frames: watch::Receiver<Bytes>,
    commands: mpsc::Sender<sampler::Command>,
    viewers: Arc<Semaphore>,
    stop: CancellationToken,
}

impl Dashboard {
    /// Starts the sampler over `source`, a frame every `period`; it and
    /// every viewer's stream end on `stop`. The caller owns the task.
    pub fn spawn(
        source: impl Source,
        period: Duration,
        stop: CancellationToken,
    ) -> (Self, JoinHandle<()>) {
        let (dashboard, sampler) = Self::new(source, period, stop);
        (dashboard, tokio::spawn(sampler))
    }

    /// The dashboard over `source` and its sampler (a frame every
    /// `period`), a future for the caller to spawn once a runtime is
    /// there (nothing is sampled, and no request answered, before); both
    /// end on `stop`.
    pub fn new(
        source: impl Source,
        period: Duration,
        stop: CancellationToken,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (frames_tx, frames) = watch::channel(Bytes::new());
        let (commands, rx) = mpsc::channel(16);
        let sampler = sampler::run(source, period, frames_tx, rx, stop.clone());
        let dashboard = Self {
            frames,
            commands,
            viewers: Arc::new(Semaphore::new(MAX_VIEWERS)),
            stop,
        };
        (dashboard, sampler)
    }

    /// Samples the source now (publishing the frame) and answers the
    /// history with it: the last state of a run that just ended.
    pub async fn flush(&self) -> Result<History, DashboardError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(sampler::Command::Flush(reply))
            .await
            .map_err(|_| DashboardError::Stopped)?;
        rx.await.map_err(|_| DashboardError::Stopped)
    }

    /// The last frame and the current (or last) run's points.
    pub async fn history(&self) -> Result<History, DashboardError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(sampler::Command::History(reply))
            .await
            .map_err(|_| DashboardError::Stopped)?;
        rx.await.map_err(|_| DashboardError::Stopped)
    }

    /// `/`, its assets and `/v1/dashboard/{events,history,report}`.
    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(page::index))
            .route("/dashboard/style.css", get(page::style))
            .route("/dashboard/chart.js", get(page::chart))
            .route("/dashboard/app.js", get(page::script))
            .route("/v1/dashboard/events", get(events::events))
            .route("/v1/dashboard/history", get(page::history))
            .route("/v1/dashboard/report", get(page::report))
            .with_state(self)
    }
}

#[cfg(test)]
mod tests;
