//! The sampler: the one task that owns the dashboard's state. Once a
//! period ([`SAMPLE_PERIOD`](super::SAMPLE_PERIOD) unless told otherwise)
//! it asks its [`Source`], builds a frame, serializes it once as a server-sent event
//! and publishes those bytes on a `watch`: every viewer forwards the same
//! bytes, so the cost of a tick does not grow with the viewers.

use bytes::Bytes;
use k6r_api::{
    dashboard::{Frame, History as HistoryBody},
    RunState,
};
use tokio::{
    sync::{mpsc, oneshot, watch},
    time::{Instant, MissedTickBehavior},
};
use tokio_util::sync::CancellationToken;

use std::time::Duration;

use super::{frame, history::History, Source, MAX_POINTS};

/// A request to the sampler.
#[derive(Debug)]
pub enum Command {
    /// The last frame and the run's points.
    History(oneshot::Sender<HistoryBody>),
    /// A tick now, then the history.
    Flush(oneshot::Sender<HistoryBody>),
}

/// The sampler's state.
struct Sampler<S> {
    source: S,
    tick: u64,
    previous: Option<frame::Previous>,
    last: Frame,
    history: History,
}

/// Runs the sampler until `stop`; ending it drops `frames`' sender, which
/// ends every viewer's stream.
pub async fn run(
    source: impl Source,
    period: Duration,
    frames: watch::Sender<Bytes>,
    mut commands: mpsc::Receiver<Command>,
    stop: CancellationToken,
) {
    let mut sampler = Sampler {
        source,
        tick: 0,
        previous: None,
        last: Frame::default(),
        history: History::new(MAX_POINTS),
    };
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = ticks.tick() => {
                if let Some(event) = sampler.sample().await {
                    // `send_replace`: published even with no viewer.
                    frames.send_replace(event);
                }
            }
            command = commands.recv() => match command {
                Some(Command::History(reply)) => {
                    let _ = reply.send(sampler.history_body());
                }
                Some(Command::Flush(reply)) => {
                    if let Some(event) = sampler.sample().await {
                        frames.send_replace(event);
                    }
                    let _ = reply.send(sampler.history_body());
                }
                None => break,
            },
        }
    }
    tracing::debug!("dashboard sampler ended");
}

impl<S: Source> Sampler<S> {
    fn history_body(&self) -> HistoryBody {
        HistoryBody {
            frame: self.last.clone(),
            points: self.history.points(),
        }
    }

    /// One tick: the frame as a server-sent event, `None` when the
    /// source did not answer in time.
    async fn sample(&mut self) -> Option<Bytes> {
        let sampled = self.source.sample().await?;
        self.tick += 1;
        let (frame, next) = frame::build(
            self.tick,
            Instant::now(),
            sampled.run,
            self.previous.as_ref(),
            sampled.agents,
        );
        self.previous = next;
        // The chart covers the scenarios (elapsed stands still after).
        if let Some(run) = frame.run.as_ref().filter(|r| r.state == RunState::Running) {
            self.history.push(&run.id, run.point.clone());
        }
        let event = event(&frame);
        self.last = frame;
        Some(event)
    }
}

/// `frame` as one server-sent event (`data: {json}` and a blank line;
/// JSON has no raw newline).
pub fn event(frame: &Frame) -> Bytes {
    let json = serde_json::to_string(frame).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: frame\ndata: {json}\n\n"))
}
