//! The metrics channel: VUs and the engine's events send batches of
//! samples; one consumer task hands each batch to every [`SampleSink`].

use std::fmt;

use k6r_core::metrics::Sample;
use k6r_script::Emit;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Consumes the samples of a run, batch by batch, in arrival order.
pub trait SampleSink: Send {
    /// One batch (a request's, an iteration's, a tick's samples).
    fn add(&mut self, batch: &[Sample]);
}

/// The sinks of a run.
pub type Sinks = Vec<Box<dyn SampleSink>>;

enum Message {
    Samples(Vec<Sample>),
    Flush(oneshot::Sender<()>),
    Finish,
}

/// The sending side, shared by every VU ([`Emit`]) and the engine's
/// observer.
///
/// Unbounded on purpose, the one exception to bounded channels: `emit` is
/// called inside a VU's JavaScript on its worker thread, where waiting
/// for room would stall the thread's other VUs and dropping would lose
/// results. The consumer only adds each batch to in-memory sinks (outputs
/// keep their own bounded queues), so it keeps up with the VUs.
#[derive(Clone)]
pub(crate) struct Channel(mpsc::UnboundedSender<Message>);

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Channel")
    }
}

impl Emit for Channel {
    fn emit(&self, samples: Vec<Sample>) {
        // Nobody listening any more: the run is over.
        let _ = self.0.send(Message::Samples(samples));
    }
}

impl Channel {
    /// Ends the consumer once everything sent before has been consumed.
    pub fn finish(&self) {
        let _ = self.0.send(Message::Finish);
    }

    /// Resolves once everything sent before has reached the sinks (at
    /// once when the consumer is gone).
    pub async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.0.send(Message::Flush(done)).is_ok() {
            let _ = flushed.await;
        }
    }
}

/// Starts the consumer task; it returns the sinks when finished (or when
/// every sender is gone).
pub(crate) fn consume(mut sinks: Sinks) -> (Channel, JoinHandle<Sinks>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            match message {
                Message::Samples(batch) => {
                    for sink in &mut sinks {
                        sink.add(&batch);
                    }
                }
                Message::Flush(done) => {
                    let _ = done.send(());
                }
                Message::Finish => break,
            }
        }
        sinks
    });
    (Channel(tx), task)
}
