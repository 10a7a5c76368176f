//! Live changes of any scenario ([`k6r_core::steer::Change`]): the
//! [`Steer`] handle the REST API (or the agent) calls, and the executor's
//! [`Inbox`]. As for externally-controlled, the executor's task owns the
//! scenario's state and applies changes one at a time; a change given an
//! instant ([`Steer::apply_at`], a cluster's common instant) waits in the
//! inbox until then, and is answered once applied. What the scenario is
//! now ([`Live`]) is published on a `watch` that readers never wait on.

use std::sync::{Arc, Mutex, PoisonError};

use k6r_core::options::ExecutorKind;
use k6r_core::steer::{Change, ChangeError};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// How many changes may wait for the executor before callers wait too.
const QUEUE: usize = 32;

/// A scenario as it runs now, after the changes so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    /// Whether it has started.
    pub started: bool,
    /// Whether it has ended.
    pub ended: bool,
    /// Whether paused.
    pub paused: bool,
    /// The VUs it is set to run (constant-vus; `None` for the others).
    pub vus: Option<u64>,
    /// The whole test's rate now, per second (arrival-rate executors).
    pub rate: Option<f64>,
    /// The regular end, from the scenario's start (time-based ones).
    pub end: Option<std::time::Duration>,
}

/// One applied change, for the summary and the outputs
/// ([`Event::ScenarioChanged`](crate::Event::ScenarioChanged)).
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The scenario.
    pub scenario: String,
    /// What changed.
    pub change: Change,
    /// When it took effect, from the scenario's start.
    pub at: std::time::Duration,
    /// The rate before and after, per second (arrival-rate executors).
    pub rate: Option<(f64, f64)>,
    /// The VUs before and after (constant-vus).
    pub vus: Option<(u64, u64)>,
}

impl Applied {
    /// Its summary line (`k6r_core::steer::summary_line`).
    pub fn line(&self) -> String {
        let at = k6r_core::Duration::from_nanos(self.at.as_nanos() as i64);
        k6r_core::steer::summary_line(&self.scenario, &self.change, at, self.rate, self.vus)
    }
}

/// Every change applied in a test, in order. A lock held only for a push
/// or a copy: nothing spans two operations.
#[derive(Clone, Debug, Default)]
pub struct ChangeLog(Arc<Mutex<Vec<Applied>>>);

impl ChangeLog {
    pub(crate) fn push(&self, applied: Applied) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(applied);
    }

    /// The changes so far.
    pub fn entries(&self) -> Vec<Applied> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

pub(crate) struct Request {
    pub change: Change,
    /// When to apply it (`None`: now).
    pub at: Option<Instant>,
    pub reply: oneshot::Sender<Result<Live, ChangeError>>,
}

/// Changes a running scenario. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Steer {
    scenario: Arc<str>,
    kind: ExecutorKind,
    tx: mpsc::Sender<Request>,
    live: watch::Receiver<Live>,
}

/// The executor's end: requests, due ones first, and the published state.
pub(crate) struct Inbox {
    rx: mpsc::Receiver<Request>,
    /// Requests waiting for their instant, earliest first.
    waiting: Vec<Request>,
    live: watch::Sender<Live>,
    pub log: ChangeLog,
}

pub(crate) fn channel(scenario: &str, kind: ExecutorKind, log: ChangeLog) -> (Steer, Inbox) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let (live_tx, live) = watch::channel(Live::default());
    (
        Steer {
            scenario: Arc::from(scenario),
            kind,
            tx,
            live,
        },
        Inbox {
            rx,
            waiting: Vec::new(),
            live: live_tx,
            log,
        },
    )
}

impl Inbox {
    /// Resolves with the next change whose time has come (never, once
    /// nobody can send one and none waits).
    pub async fn due(&mut self) -> Request {
        loop {
            let first = self.waiting.first().and_then(|r| r.at);
            tokio::select! {
                request = self.rx.recv() => match request {
                    Some(r) if r.at.is_none_or(|at| at <= Instant::now()) => return r,
                    Some(r) => {
                        let at = r.at;
                        let i = self.waiting.partition_point(|w| w.at <= at);
                        self.waiting.insert(i, r);
                    }
                    None if self.waiting.is_empty() => std::future::pending::<()>().await,
                    None => {
                        let at = first.unwrap_or_else(Instant::now);
                        tokio::time::sleep_until(at).await;
                        return self.waiting.remove(0);
                    }
                },
                () = tokio::time::sleep_until(first.unwrap_or_else(Instant::now)), if first.is_some() => {
                    return self.waiting.remove(0);
                }
            }
        }
    }

    /// Publishes the scenario's state.
    pub fn publish(&self, live: Live) {
        self.live.send_replace(live);
    }

    /// Ends: the state says so and every request left is refused.
    pub fn close(&mut self, scenario: &str) {
        self.live.send_modify(|l| l.ended = true);
        self.rx.close();
        let ended = || Err(ChangeError::Ended(scenario.to_string()));
        for r in self.waiting.drain(..) {
            let _ = r.reply.send(ended());
        }
        while let Ok(r) = self.rx.try_recv() {
            let _ = r.reply.send(ended());
        }
    }
}

impl Steer {
    /// The scenario's name.
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// Its executor.
    pub fn kind(&self) -> ExecutorKind {
        self.kind
    }

    /// What it is now.
    pub fn live(&self) -> Live {
        self.live.borrow().clone()
    }

    /// Applies a change now; answers with the state after it.
    pub async fn apply(&self, change: Change) -> Result<Live, ChangeError> {
        self.apply_at(change, None).await
    }

    /// Applies a change at `at` (`None`: now); answers once applied. A
    /// change is refused at once if invalid for the executor, or if the
    /// scenario has not started or has ended.
    pub async fn apply_at(&self, change: Change, at: Option<Instant>) -> Result<Live, ChangeError> {
        change.validate(self.kind)?;
        let live = self.live();
        let ended = || ChangeError::Ended(self.scenario.to_string());
        if live.ended {
            return Err(ended());
        }
        if !live.started {
            return Err(ChangeError::NotStarted(self.scenario.to_string()));
        }
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { change, at, reply })
            .await
            .map_err(|_| ended())?;
        answer.await.map_err(|_| ended())?
    }
}

/// The inbox of a scenario without work on this instance: every change is
/// taken as a no-op (nothing of it runs here), until the test ends.
pub(crate) async fn no_work(mut inbox: Inbox) {
    let live = Live {
        started: true,
        ..Live::default()
    };
    inbox.publish(live.clone());
    loop {
        let request = inbox.due().await;
        let _ = request.reply.send(Ok(live.clone()));
    }
}
