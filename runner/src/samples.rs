//! The metrics channel: VUs and the engine's events send batches of
//! samples; one consumer task hands each batch to every [`SampleSink`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k6r_core::metrics::Sample;
use k6r_script::Emit;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

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
///
/// Sending wakes nobody: the consumer takes what was sent every
/// [`DRAIN_EVERY`] (a wake-up per batch, a request's, was a system call
/// or two on both sides of a request); only [`flush`](Channel::flush)
/// and [`finish`](Channel::finish) wake it at once.
#[derive(Clone)]
pub(crate) struct Channel(Arc<Inbox>);

/// How often the consumer takes the batches sent.
const DRAIN_EVERY: Duration = Duration::from_millis(20);

/// What was sent and not yet consumed.
#[derive(Default)]
struct Inbox {
    queue: Mutex<Queue>,
    /// Wakes the consumer for a flush or the finish.
    urgent: Notify,
}

#[derive(Default)]
struct Queue {
    messages: Vec<Message>,
    /// The consumer is gone: what is sent is dropped (a flush's answer
    /// with it, so a flush returns at once).
    closed: bool,
}

impl Inbox {
    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn send(&self, message: Message) {
        let mut queue = self.queue();
        if !queue.closed {
            queue.messages.push(message);
        }
    }

    fn take(&self) -> Vec<Message> {
        std::mem::take(&mut self.queue().messages)
    }
}

/// The consumer's hold on the inbox: closes it when the consumer ends,
/// however it ends (finished, or its task dropped).
struct Consumer(Arc<Inbox>);

impl Drop for Consumer {
    fn drop(&mut self) {
        let dropped = {
            let mut queue = self.0.queue();
            queue.closed = true;
            std::mem::take(&mut queue.messages)
        };
        drop(dropped);
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Channel")
    }
}

impl Emit for Channel {
    fn emit(&self, samples: Vec<Sample>) {
        self.0.send(Message::Samples(samples));
    }
}

impl Channel {
    /// Ends the consumer once everything sent before has been consumed.
    pub fn finish(&self) {
        self.0.send(Message::Finish);
        self.0.urgent.notify_one();
    }

    /// Resolves once everything sent before has reached the sinks (at
    /// once when the consumer is gone).
    pub async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        self.0.send(Message::Flush(done));
        self.0.urgent.notify_one();
        let _ = flushed.await;
    }
}

/// Starts the consumer task; it returns the sinks when finished (or when
/// every sender is gone).
pub(crate) fn consume(mut sinks: Sinks) -> (Channel, JoinHandle<Sinks>) {
    let inbox = Arc::new(Inbox::default());
    let consumer = Consumer(inbox.clone());
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(DRAIN_EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = consumer.0.urgent.notified() => {}
            }
            // Counted before taking: a sender that sends and then goes
            // between the two is still counted, so its batch is taken.
            let alone = Arc::strong_count(&consumer.0) == 1;
            for message in consumer.0.take() {
                match message {
                    Message::Samples(batch) => {
                        for sink in &mut sinks {
                            sink.add(&batch);
                        }
                    }
                    Message::Flush(done) => {
                        let _ = done.send(());
                    }
                    Message::Finish => return sinks,
                }
            }
            if alone {
                return sinks;
            }
        }
    });
    (Channel(inbox), task)
}
