//! The test runner: initialises the planned VUs, starts every scenario at
//! its `startTime`, runs them concurrently and ends when all are done, or
//! when stopped or aborted (no new iterations, running ones interrupted),
//! or drained (no new iterations, running ones get each scenario's
//! `gracefulStop`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k6r_core::plan::TestPlan;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::abort::{AbortReason, AbortSlot};
use crate::error::Result;
use crate::event::SharedObserver;
use crate::executor::external::{self, Commands, ControlHandle};
use crate::executor::steer::{self, ChangeLog, Inbox, Steer};
use crate::executor::{run_scenario, ScenarioCtx};
use crate::pool::Pool;
use crate::progress::{Progress, Snapshot};
use crate::vu::VuFactory;

/// Run-wide settings that are not part of the plan.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `minIterationDuration`: a complete iteration shorter than this is
    /// padded by a sleep.
    pub min_iteration_duration: Option<Duration>,
}

impl Config {
    /// Sets `minIterationDuration`.
    pub fn with_min_iteration_duration(mut self, d: Duration) -> Config {
        self.min_iteration_duration = Some(d).filter(|d| !d.is_zero());
        self
    }
}

/// How a test ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The final counters.
    pub counters: Snapshot,
    /// Whether the stop signal (or a drain) ended it.
    pub stopped: bool,
    /// Why it was aborted, if it was.
    pub aborted: Option<AbortReason>,
    /// From the start of the first scenario's clock to the end.
    pub duration: Duration,
    /// The live scenario changes applied, in order.
    pub changes: Vec<crate::executor::steer::Applied>,
}

/// Runs one [`TestPlan`] with VUs from one factory.
pub struct Engine<F: VuFactory> {
    plan: TestPlan,
    factory: Arc<F>,
    observer: SharedObserver,
    config: Config,
    progress: Progress,
    controls: HashMap<String, (ControlHandle, Commands)>,
    /// Every scenario's live-change handle and inbox, in plan order.
    steers: Vec<(Steer, Option<Inbox>)>,
    changes: ChangeLog,
    drain: CancellationToken,
}

impl<F: VuFactory> Engine<F> {
    /// Prepares a run; nothing starts before [`run`](Self::run).
    pub fn new(plan: TestPlan, factory: F, observer: SharedObserver, config: Config) -> Self {
        let progress = Progress::new(plan.scenarios());
        let controls = plan
            .scenarios()
            .iter()
            .filter(|s| s.kind == k6r_core::options::ExecutorKind::ExternallyControlled)
            .map(|s| (s.name.clone(), external::channel(&s.name)))
            .collect();
        let changes = ChangeLog::default();
        let steers = plan
            .scenarios()
            .iter()
            .map(|s| {
                let (steer, inbox) = steer::channel(&s.name, s.kind, changes.clone());
                (steer, Some(inbox))
            })
            .collect();
        Engine {
            plan,
            factory: Arc::new(factory),
            observer,
            config,
            progress,
            controls,
            steers,
            changes,
            drain: CancellationToken::new(),
        }
    }

    /// Every scenario's live-change handle, in plan order (k6r's
    /// `/v1/scenarios`).
    pub fn steering(&self) -> Vec<Steer> {
        self.steers.iter().map(|(s, _)| s.clone()).collect()
    }

    /// The changes applied so far (shared: it fills during the run).
    pub fn changes(&self) -> ChangeLog {
        self.changes.clone()
    }

    /// A graceful stop: once `drain` fires no scenario starts an
    /// iteration, running ones get their scenario's `gracefulStop` (as at
    /// its planned end; not ramping-vus' `gracefulRampDown`) and are
    /// interrupted when it runs out; the report says `stopped`.
    pub fn with_drain(mut self, drain: CancellationToken) -> Self {
        self.drain = drain;
        self
    }

    /// The live counters (shared: they keep updating during the run).
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// The control handle of an externally-controlled scenario.
    pub fn control(&self, scenario: &str) -> Option<ControlHandle> {
        self.controls.get(scenario).map(|(h, _)| h.clone())
    }

    /// The handle of the first externally-controlled scenario in plan
    /// order: the one k6's REST API changes.
    pub fn first_control(&self) -> Option<ControlHandle> {
        self.plan
            .scenarios()
            .iter()
            .find_map(|s| self.control(&s.name))
    }

    /// Initialises the planned VUs, then runs every scenario; `stop` ends
    /// the test early. Fails only if a planned VU cannot be initialised.
    pub async fn run(self, stop: CancellationToken) -> Result<Report> {
        self.run_after(stop, std::future::ready(true)).await
    }

    /// Like [`run`](Self::run), but awaits `before_start` (k6's `setup()`)
    /// once the planned VUs are initialised and before any scenario starts
    /// (§2.1); when it yields `false` no scenario runs and the report says
    /// `stopped`.
    pub async fn run_after(
        mut self,
        stop: CancellationToken,
        before_start: impl std::future::Future<Output = bool>,
    ) -> Result<Report> {
        let stop = stop.child_token();
        let abort = Arc::new(AbortSlot::new(stop.clone()));
        let pool = Arc::new(Pool::new(
            Arc::clone(&self.factory),
            self.plan.tuple().index(),
            self.progress.clone(),
            Arc::clone(&self.observer),
        ));
        init_planned(&pool, self.plan.max_planned_vus(), &stop).await?;
        if !before_start.await {
            return Ok(Report {
                counters: self.progress.snapshot(),
                stopped: true,
                aborted: None,
                duration: std::time::Duration::ZERO,
                changes: Vec::new(),
            });
        }
        let start = Instant::now();
        let mut scenarios = JoinSet::new();
        // Scenarios without work here (a segment with no share) take
        // changes as no-ops, so that a cluster's change of them succeeds.
        let mut idle = JoinSet::new();
        for plan in self.plan.scenarios() {
            if !plan.has_work() {
                let inbox = self
                    .steers
                    .iter_mut()
                    .find(|(s, _)| s.scenario() == plan.name)
                    .and_then(|(_, inbox)| inbox.take());
                if let Some(inbox) = inbox {
                    idle.spawn(steer::no_work(inbox));
                }
                continue;
            }
            let control = self.controls.remove(&plan.name).map(|(_, rx)| rx);
            let Some(inbox) = self
                .steers
                .iter_mut()
                .find(|(s, _)| s.scenario() == plan.name)
                .and_then(|(_, inbox)| inbox.take())
            else {
                continue;
            };
            let ctx = Arc::new(ScenarioCtx::new(
                plan.clone(),
                Arc::clone(&pool),
                Arc::clone(&self.observer),
                self.progress.scenario(&plan.name),
                (stop.clone(), self.drain.clone()),
                Arc::clone(&abort),
                self.config.min_iteration_duration,
                start + plan.start_time.to_std(),
            ));
            let (stop, drain) = (stop.clone(), self.drain.clone());
            scenarios.spawn(async move {
                tokio::select! {
                    biased;
                    _ = stop.cancelled() => {}
                    _ = drain.cancelled() => {}
                    _ = tokio::time::sleep_until(ctx.start) => run_scenario(ctx, control, inbox).await,
                }
            });
        }
        while let Some(joined) = scenarios.join_next().await {
            if let Err(e) = joined {
                tracing::error!(error = %e, "a scenario task failed");
            }
        }
        idle.abort_all();
        let aborted = abort.reason();
        Ok(Report {
            counters: self.progress.snapshot(),
            stopped: (stop.is_cancelled() || self.drain.is_cancelled()) && aborted.is_none(),
            aborted,
            duration: start.elapsed(),
            changes: self.changes.entries(),
        })
    }
}

/// Initialises `n` VUs concurrently; ids are assigned in order first and
/// the pool receives them in id order, whatever order they finish in.
async fn init_planned<F: VuFactory>(
    pool: &Arc<Pool<F>>,
    n: u64,
    stop: &CancellationToken,
) -> Result<()> {
    let mut inits = JoinSet::new();
    for _ in 0..n {
        let (pool, id) = (Arc::clone(pool), pool.next_id());
        inits.spawn(async move { pool.init(id).await });
    }
    let mut ready = Vec::new();
    loop {
        tokio::select! {
            joined = inits.join_next() => match joined {
                Some(Ok(vu)) => ready.push(vu?),
                Some(Err(e)) => tracing::error!(error = %e, "a VU init task failed"),
                None => break,
            },
            _ = stop.cancelled() => break,
        }
    }
    ready.sort_by_key(|vu| vu.id);
    for vu in ready {
        pool.put(vu);
    }
    Ok(())
}
