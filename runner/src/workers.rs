//! The worker threads that host the VUs: each has a current-thread tokio
//! runtime and a `LocalSet`, and runs one task per VU (the task drives
//! the VU's coroutine). The VUs of a worker are contexts of QuickJS
//! runtimes they share, [`VUS_PER_HOST`] to a runtime ([`Host`]).
//! JavaScript never crosses threads.

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use k6r_script::Host;
use tokio::runtime::{Handle, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinSet, LocalSet};

use crate::coroutine::{self, Jobs, Spec};
use crate::error::{Error, Result};

struct Start {
    id: u64,
    spec: Arc<Spec>,
    reply: oneshot::Sender<Result<Jobs>>,
}

/// A fixed set of worker threads; VUs are placed round-robin.
///
/// Dropping it is the workers' shutdown signal: each stops taking VUs and
/// its thread ends once all its VUs have ended (a VU ends when its last
/// handle is dropped), so no suspended coroutine is ever dropped.
pub(crate) struct Workers {
    /// Each worker's queue of VUs to initialise: unbounded, yet it holds
    /// at most the initialisations in flight, since [`Workers::spawn`]
    /// waits for each one's answer.
    starts: Vec<mpsc::UnboundedSender<Start>>,
    /// Each worker's runtime, where the engine runs the loops of the
    /// worker's VUs.
    runtimes: Vec<Handle>,
    next: AtomicUsize,
}

impl Workers {
    /// Starts `n` (at least one) worker threads.
    pub fn start(n: usize) -> Result<Workers> {
        let mut starts = Vec::new();
        let mut runtimes = Vec::new();
        for index in 0..n.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(Error::Worker)?;
            runtimes.push(runtime.handle().clone());
            thread::Builder::new()
                .name(format!("k6r-vu-{index}"))
                .spawn(move || worker(runtime, rx))
                .map_err(Error::Worker)?;
            starts.push(tx);
        }
        Ok(Workers {
            starts,
            runtimes,
            next: AtomicUsize::new(0),
        })
    }

    /// Initialises VU `id` on the next worker; returns its call channel
    /// and the worker's runtime.
    pub async fn spawn(&self, id: u64, spec: Arc<Spec>) -> Result<(Jobs, Handle)> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.starts.len();
        let (reply, answer) = oneshot::channel();
        self.starts[index]
            .send(Start { id, spec, reply })
            .map_err(|_| Error::WorkerGone { vu: id })?;
        let jobs = answer.await.map_err(|_| Error::WorkerGone { vu: id })??;
        Ok((jobs, self.runtimes[index].clone()))
    }
}

fn worker(runtime: Runtime, mut starts: mpsc::UnboundedReceiver<Start>) {
    let local = LocalSet::new();
    local.block_on(&runtime, async move {
        let mut vus = JoinSet::new();
        let mut hosts = Hosts::default();
        let mut anchor = tokio::time::interval(TIMER_ANCHOR);
        loop {
            tokio::select! {
                _ = anchor.tick() => {}
                start = starts.recv() => match start {
                    Some(Start { id, spec, reply }) => {
                        let host = hosts.for_spec(&spec);
                        vus.spawn_local(coroutine::run(id, spec, host, reply));
                        // A VU's init runs the script's init code in one
                        // go, blocking this thread. Take the next start
                        // only after a turn of the scheduler, so that the
                        // VUs already running here are never queued
                        // behind a batch of inits (raising `vus-max` by
                        // 1,000 stalled them for the whole init time).
                        tokio::task::yield_now().await;
                    }
                    None => break,
                },
                Some(joined) = vus.join_next(), if !vus.is_empty() => {
                    if let Err(error) = joined {
                        tracing::error!(%error, "a VU task failed");
                    }
                }
            }
        }
        // Let every VU finish: they end when their handles are dropped.
        while vus.join_next().await.is_some() {}
    });
}

/// The period of a worker's anchor timer. A timer set earlier than the
/// timer driver's next wake-up makes tokio wake the driver, a system call
/// even when the thread setting it is the driver's own, running: every
/// request sets one (its timeout, 60 s by default), and with no other
/// timer pending each did. The anchor keeps a wake-up at most this far
/// ahead, so a request's timeout is later and sets nothing off.
const TIMER_ANCHOR: std::time::Duration = std::time::Duration::from_secs(20);

/// How many VUs share one QuickJS runtime. Its cycle collector walks
/// every object of the runtime in one go, stalling all its VUs: 5,000
/// VUs in two runtimes stalled ~400 ms at a time on a script that leaves
/// cyclic garbage; a runtime of 100 VUs stalls a few ms, and costs its VUs
/// under 1 KB each.
const VUS_PER_HOST: usize = 100;

/// The QuickJS runtimes a worker's VUs share, [`VUS_PER_HOST`] VUs each,
/// for one script (a worker serves one test, so one in practice). `None`
/// when VUs can't share one here ([`Host::new`] says why): each VU then
/// gets a runtime of its own.
#[derive(Default)]
struct Hosts {
    current: Option<(Arc<Spec>, Rc<Host>)>,
    seated: usize,
    /// A host could not be made here: none is tried again.
    unavailable: bool,
}

impl Hosts {
    fn for_spec(&mut self, spec: &Arc<Spec>) -> Option<Rc<Host>> {
        if self.unavailable {
            return None;
        }
        if let Some((known, host)) = &self.current {
            if Arc::ptr_eq(known, spec) && self.seated < VUS_PER_HOST {
                self.seated += 1;
                return Some(Rc::clone(host));
            }
        }
        match Host::new(&spec.script) {
            Ok(host) => {
                let host = Rc::new(host);
                self.current = Some((Arc::clone(spec), Rc::clone(&host)));
                self.seated = 1;
                Some(host)
            }
            Err(error) => {
                tracing::warn!(%error, "each VU gets a JavaScript runtime of its own");
                self.unavailable = true;
                None
            }
        }
    }
}
