//! The seven executors, each following its [`ScenarioPlan`]'s
//! [`Work`](k6r_core::plan::Work).
//!
//! # How an executor is built
//! 1. It borrows VUs from the [`Pool`](crate::pool::Pool) (or initialises
//!    unplanned ones) and marks them active in its counters.
//! 2. It runs iterations through [`iteration::run`], which numbers them,
//!    interrupts them when a token fires and reports events.
//! 3. It stops starting iterations at the regular end (or when the test
//!    drains: [`ScenarioCtx::may_start`]), fires its hard-stop token at the
//!    hard end ([`ScenarioCtx::hard_end`]: `gracefulStop` after a drain
//!    if that comes first) or when the test is stopped (its tokens are
//!    children of the test's), waits for every iteration, and returns its
//!    VUs to the pool.
//!
//! 4. It takes live changes ([`steer`]): the arrival-rate executors from
//!    their inbox into their schedule, the VU-driven ones through their
//!    [`knobs`](ScenarioCtx::knobs), which [`knobs::serve`] (or
//!    ramping-vus, which also takes a `factor` into its steps) sets and
//!    their VU tasks read between iterations ([`ScenarioCtx::unpaused`]).
//!    A change that needs more VUs than the scenario held gets them from
//!    [`ScenarioCtx::grow`] (or, ahead of need, [`ScenarioCtx::init_vu`]).
//!
//! To add an executor: add a module with `pub(crate) async fn run(ctx)`,
//! dispatch to it in [`run_scenario`], and test it in `tests/`.

mod arrival_rate;
pub(crate) mod external;
mod handle;
mod iteration;
mod knobs;
mod looping;
mod ramping_vus;
pub(crate) mod steer;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k6r_core::plan::{ScenarioPlan, Work};
use k6r_core::segment::SegmentedIndex;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::knobs::Knobs;
use self::steer::{Applied, ChangeLog, Inbox};
use crate::abort::AbortSlot;
use crate::event::Event;
use crate::event::SharedObserver;
use crate::pool::{Pool, PooledVu};
use crate::progress::ScenarioCounters;
use crate::vu::{VuFactory, VuId};

/// Everything an executor needs; shared by its tasks.
pub(crate) struct ScenarioCtx<F: VuFactory> {
    pub plan: ScenarioPlan,
    pub name: Arc<str>,
    pub exec: Arc<str>,
    pub pool: Arc<Pool<F>>,
    pub observer: SharedObserver,
    pub counters: Arc<ScenarioCounters>,
    /// The test's stop token: fired on stop or abort.
    pub stop: CancellationToken,
    /// The test's graceful stop: no new iterations; running ones get
    /// `gracefulStop`.
    pub drain: CancellationToken,
    pub abort: Arc<AbortSlot>,
    pub min_iteration_duration: Option<Duration>,
    /// When the scenario started (test start + `startTime`).
    pub start: Instant,
    /// What live changes set: paused, VUs, regular end (VU-driven
    /// executors).
    pub knobs: watch::Sender<Knobs>,
    numbers: Mutex<Numbers>,
}

/// `exec.scenario.iterationInInstance` / `iterationInTest` of the
/// VU-driven executors: the segmented index of the plan's iteration tuple.
struct Numbers {
    index: Option<SegmentedIndex>,
    started: u64,
}

impl<F: VuFactory> ScenarioCtx<F> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: ScenarioPlan,
        pool: Arc<Pool<F>>,
        observer: SharedObserver,
        counters: Arc<ScenarioCounters>,
        (stop, drain): (CancellationToken, CancellationToken),
        abort: Arc<AbortSlot>,
        min_iteration_duration: Option<Duration>,
        start: Instant,
    ) -> ScenarioCtx<F> {
        let index = plan.iteration_tuple.as_ref().map(|t| t.index());
        let knobs = watch::Sender::new(knobs::knobs_of(&plan));
        ScenarioCtx {
            name: Arc::from(plan.name.as_str()),
            exec: Arc::from(plan.exec.as_str()),
            plan,
            pool,
            observer,
            counters,
            stop,
            drain,
            abort,
            min_iteration_duration,
            start,
            knobs,
            numbers: Mutex::new(Numbers { index, started: 0 }),
        }
    }

    /// `(iterationInInstance, iterationInTest)` of the next iteration.
    pub fn next_numbers(&self) -> (u64, u64) {
        let mut n = self.numbers.lock().unwrap_or_else(PoisonError::into_inner);
        let local = n.started;
        n.started += 1;
        let global = match &mut n.index {
            Some(index) => (index.next().1 - 1).max(0) as u64,
            None => local,
        };
        (local, global)
    }

    /// The scenario-relative offset as an instant.
    pub fn at(&self, offset: k6r_core::Duration) -> Instant {
        self.start + offset.to_std()
    }

    /// The window of a scenario whose regular end is `length` after its
    /// start: the regular end, the hard end (plus gracefulStop) and the
    /// token that interrupts what still runs at the hard end.
    pub fn window(&self, length: k6r_core::Duration) -> (Instant, Instant, CancellationToken) {
        (
            self.at(length),
            self.at(length + self.plan.graceful_stop),
            self.stop.child_token(),
        )
    }

    /// Whether a VU may start another iteration: the test is neither
    /// stopped nor draining (`stop` is the scenario's token) and the
    /// regular end has not passed.
    pub fn may_start(&self, regular_end: Instant, stop: &CancellationToken) -> bool {
        !self.drain.is_cancelled() && !stop.is_cancelled() && Instant::now() < regular_end
    }

    /// Waits while the scenario is paused; `false` when `stop`, a drain or
    /// `until` comes first. At once when not paused.
    pub async fn unpaused(&self, stop: &CancellationToken, until: Instant) -> bool {
        if !self.knobs.borrow().paused {
            return true;
        }
        let mut knobs = self.knobs.subscribe();
        tokio::select! {
            resumed = knobs.wait_for(|k| !k.paused) => resumed.is_ok(),
            () = stop.cancelled() => false,
            () = self.drain.cancelled() => false,
            () = tokio::time::sleep_until(until) => false,
        }
    }

    /// Resolves at the hard end: `planned`, or `gracefulStop` after a
    /// graceful stop of the test if that comes first.
    pub async fn hard_end(&self, planned: Instant) {
        let drained = async {
            self.drain.cancelled().await;
            let at = planned.min(Instant::now() + self.plan.graceful_stop.to_std());
            tokio::time::sleep_until(at).await;
        };
        tokio::select! {
            () = tokio::time::sleep_until(planned) => {}
            () = drained => {}
        }
    }

    /// Counts `count` dropped iterations and reports them (`vu` for
    /// per-vu-iterations, whose drops belong to one VU). Once the test is
    /// stopped or aborted nothing is reported, as in k6 (which pushes the
    /// sample only while the test's context is alive).
    pub fn drop_iterations(&self, count: u64, vu: Option<VuId>) {
        if self.stop.is_cancelled() {
            return;
        }
        self.counters.add_dropped(count);
        self.observer.on_event(Event::DroppedIterations {
            scenario: Arc::clone(&self.name),
            count,
            vu,
        });
    }

    /// Records an applied change: in the test's log (the summary) and as
    /// an event (the outputs).
    pub fn record(&self, log: &ChangeLog, applied: Applied) {
        self.observer.on_event(Event::ScenarioChanged {
            scenario: Arc::clone(&self.name),
            line: applied.line(),
            at: applied.at,
        });
        log.push(applied);
    }

    /// Marks VUs active in this scenario.
    pub fn activate(&self, n: u64) {
        if n > 0 {
            self.counters.add_active(n);
            self.pool.emit_vus();
        }
    }

    /// Gives VUs back to the pool.
    pub fn release(&self, vus: impl IntoIterator<Item = PooledVu<F::Vu>>) {
        let mut n = 0;
        for vu in vus {
            self.pool.put(vu);
            n += 1;
        }
        if n > 0 {
            self.counters.sub_active(n);
            self.pool.emit_vus();
        }
    }

    /// Borrows `n` VUs, waiting for them if needed; fewer if the test is
    /// stopped meanwhile. They are not marked active.
    pub async fn borrow(&self, n: u64) -> Vec<PooledVu<F::Vu>> {
        let mut vus = Vec::new();
        for _ in 0..n {
            if self.drain.is_cancelled() {
                break;
            }
            let taken = tokio::select! {
                taken = self.pool.take(&self.stop) => taken,
                () = self.drain.cancelled() => None,
            };
            match taken {
                Some(vu) => vus.push(vu),
                None => break,
            }
        }
        vus
    }

    /// One more VU for a scenario that a live change grows past what it
    /// held: an idle one from the pool, else one initialised now. `None`
    /// when initialising fails, which aborts the test.
    pub async fn grow(&self) -> Option<PooledVu<F::Vu>> {
        match self.pool.try_take() {
            Some(vu) => Some(vu),
            None => self.init_vu().await,
        }
    }

    /// A VU initialised now, beyond the plan's; `None` when initialising
    /// fails, which aborts the test.
    pub async fn init_vu(&self) -> Option<PooledVu<F::Vu>> {
        match self.pool.init_next().await {
            Ok(vu) => Some(vu),
            Err(e) => {
                self.abort.abort(crate::abort::AbortReason::VuInit(e));
                None
            }
        }
    }

    /// [`borrow`](Self::borrow)s `n` VUs and marks them active.
    pub async fn take(&self, n: u64) -> Vec<PooledVu<F::Vu>> {
        let vus = self.borrow(n).await;
        self.activate(vus.len() as u64);
        vus
    }
}

/// Runs one scenario to its end, taking its live changes from `inbox`.
/// The control receiver is used by the externally-controlled executor
/// only.
pub(crate) async fn run_scenario<F: VuFactory>(
    ctx: Arc<ScenarioCtx<F>>,
    control: Option<external::Commands>,
    mut inbox: Inbox,
) {
    let counters = Arc::clone(&ctx.counters);
    // From the planned start, as the executor's ends are: one that ran
    // to its regular end is then at 100%.
    counters.start_at(ctx.start.into_std());
    let name = Arc::clone(&ctx.name);
    let executor = {
        let ctx = Arc::clone(&ctx);
        async move {
            match &ctx.plan.work {
                Work::SharedIterations { .. } => looping::shared_iterations(ctx).await,
                Work::PerVuIterations { .. } => looping::per_vu_iterations(ctx).await,
                Work::ConstantVus { .. } => looping::constant_vus(ctx).await,
                Work::ExternallyControlled { .. } => external::run(ctx, control).await,
                Work::RampingVus { .. }
                | Work::ConstantArrivalRate { .. }
                | Work::RampingArrivalRate { .. } => {}
            }
        }
    };
    match &ctx.plan.work {
        Work::ConstantArrivalRate { .. } | Work::RampingArrivalRate { .. } => {
            arrival_rate::run(Arc::clone(&ctx), inbox).await;
        }
        Work::RampingVus { .. } => ramping_vus::run(Arc::clone(&ctx), inbox).await,
        _ => {
            tokio::select! {
                () = executor => {}
                () = knobs::serve(Arc::clone(&ctx), &mut inbox) => {}
            }
            inbox.close(&name);
        }
    }
    counters.end();
}

/// Spawns `task`, the loop that drives a VU, into `tasks`: on `runtime`,
/// the VU's own ([`Vu::runtime`](crate::vu::Vu::runtime)), when it has
/// one.
pub(crate) fn spawn_on<T: Send + 'static>(
    tasks: &mut tokio::task::JoinSet<T>,
    runtime: Option<tokio::runtime::Handle>,
    task: impl std::future::Future<Output = T> + Send + 'static,
) {
    match runtime {
        Some(runtime) => tasks.spawn_on(task, &runtime),
        None => tasks.spawn(task),
    };
}
