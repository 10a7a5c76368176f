//! Live counters for progress output and `exec.instance`: complete and
//! interrupted iterations per scenario and in total, active and
//! initialised VUs. Atomics, so readers never wait for the engine.
//! Each scenario's counters also give its progress
//! ([`ScenarioCounters::progress`], `exec.scenario.progress`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use k6r_core::plan::{ScenarioPlan, Work};

/// The counters of one scenario.
#[derive(Debug, Default)]
pub struct ScenarioCounters {
    complete: AtomicU64,
    interrupted: AtomicU64,
    dropped: AtomicU64,
    active_vus: AtomicU64,
    /// VUs in an iteration now (kept by the arrival-rate executors only,
    /// whose active VUs may idle between iterations).
    busy_vus: AtomicU64,
    /// What its progress is a fraction of.
    extent: Extent,
    /// When it started running (after its `startTime`).
    started: OnceLock<Instant>,
    /// When it ended: its elapsed time and progress stop there.
    ended: OnceLock<Instant>,
}

/// What a scenario's progress is measured against, as k6's executors do.
#[derive(Clone, Copy, Debug)]
enum Extent {
    /// Complete iterations of this many (shared-/per-vu-iterations).
    Iterations(u64),
    /// Time since the start of this long, capped at 1 (the time-based
    /// executors; externally-controlled without a duration is 1 as soon
    /// as it runs, as in k6 v1.1.0).
    Time(Duration),
}

impl Default for Extent {
    fn default() -> Self {
        Extent::Iterations(0)
    }
}

/// A scenario's progress in 0..=1 ([`ScenarioCounters::progress`]) from
/// its `complete` iterations and the time it has `elapsed` (`None`:
/// not started), measured against `plan`: on a cluster, the whole
/// scenario's from the counts summed over agents.
pub fn progress_of(plan: &ScenarioPlan, complete: u64, elapsed: Option<Duration>) -> f64 {
    Extent::of(plan).progress(complete, elapsed)
}

impl Extent {
    fn progress(self, complete: u64, elapsed: Option<Duration>) -> f64 {
        match self {
            Extent::Iterations(0) => 0.0,
            Extent::Iterations(total) => (complete as f64 / total as f64).min(1.0),
            Extent::Time(duration) => {
                let Some(spent) = elapsed else {
                    return 0.0;
                };
                if spent > duration {
                    1.0
                } else if duration.is_zero() {
                    0.0
                } else {
                    spent.as_secs_f64() / duration.as_secs_f64()
                }
            }
        }
    }

    fn of(plan: &ScenarioPlan) -> Extent {
        match &plan.work {
            Work::SharedIterations { iterations, .. } => Extent::Iterations(*iterations),
            Work::PerVuIterations {
                vus,
                iterations_per_vu,
                ..
            } => Extent::Iterations(vus.saturating_mul(*iterations_per_vu)),
            Work::ConstantVus { duration, .. } => Extent::Time(duration.to_std()),
            Work::RampingVus { regular_end, .. } => Extent::Time(regular_end.to_std()),
            Work::ConstantArrivalRate { schedule, .. } => Extent::Time(schedule.duration.to_std()),
            Work::RampingArrivalRate { schedule, .. } => Extent::Time(schedule.duration().to_std()),
            Work::ExternallyControlled { duration, .. } => {
                Extent::Time(duration.map_or(Duration::ZERO, |d| d.to_std()))
            }
        }
    }
}

/// A copy of a scenario's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScenarioSnapshot {
    /// The scenario's name.
    pub name: String,
    /// Iterations that ran to the end (thrown ones included).
    pub complete: u64,
    /// Iterations cut short.
    pub interrupted: u64,
    /// Iterations dropped (the sum of its `dropped_iterations` samples).
    pub dropped: u64,
    /// VUs active in it now.
    pub active_vus: u64,
    /// VUs in an iteration now (arrival-rate executors; 0 for the others).
    pub busy_vus: u64,
    /// Time since it started (up to its end once ended); `None` before.
    pub elapsed: Option<Duration>,
    /// Whether it has ended.
    pub ended: bool,
    /// Its progress in 0..=1 ([`ScenarioCounters::progress`]).
    pub progress: f64,
}

impl ScenarioCounters {
    fn new(plan: &ScenarioPlan) -> ScenarioCounters {
        ScenarioCounters {
            extent: Extent::of(plan),
            ..ScenarioCounters::default()
        }
    }

    /// Marks the scenario started at `at`, its planned start, which its
    /// regular end is measured from (the first call counts).
    pub(crate) fn start_at(&self, at: Instant) {
        let _ = self.started.set(at);
    }

    /// Marks the scenario ended now (the first call counts).
    pub(crate) fn end(&self) {
        let _ = self.ended.set(Instant::now());
    }

    /// Time since the scenario started, up to its end; `None` before it
    /// starts.
    pub fn elapsed(&self) -> Option<Duration> {
        let started = self.started.get()?;
        Some(match self.ended.get() {
            Some(ended) => ended.saturating_duration_since(*started),
            None => started.elapsed(),
        })
    }

    /// The scenario's progress in 0..=1 now, k6's executor progress: for
    /// shared-/per-vu-iterations the complete iterations (thrown ones
    /// included, interrupted and running ones not) over this instance's
    /// iterations; for the other executors the time since the scenario
    /// started over its duration (for ramping-vus its regular end, the
    /// last raw step; for ramping-arrival-rate the sum of the stages),
    /// capped at 1. Zero before it starts.
    pub fn progress(&self) -> f64 {
        self.extent
            .progress(self.complete.load(Ordering::Relaxed), self.elapsed())
    }

    pub(crate) fn add_complete(&self) {
        self.complete.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_interrupted(&self) {
        self.interrupted.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }
    /// Sets the VUs in an iteration now: one relaxed store per change,
    /// by the arrival-rate executors.
    pub(crate) fn set_busy(&self, n: u64) {
        self.busy_vus.store(n, Ordering::Relaxed);
    }
    pub(crate) fn add_active(&self, n: u64) {
        self.active_vus.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn sub_active(&self, n: u64) {
        // Saturating: a bookkeeping slip must not wrap the gauge.
        let _ = self
            .active_vus
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
    }
}

/// All counters of a test; cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Progress {
    scenarios: Arc<[(String, Arc<ScenarioCounters>)]>,
    initialized_vus: Arc<AtomicU64>,
}

/// A copy of all counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Per scenario, in plan order.
    pub scenarios: Vec<ScenarioSnapshot>,
    /// Sum of complete iterations.
    pub complete: u64,
    /// Sum of interrupted iterations.
    pub interrupted: u64,
    /// Active VUs in all scenarios.
    pub active_vus: u64,
    /// Initialised VUs.
    pub initialized_vus: u64,
}

/// The externally-controlled scenario as its executor is configured:
/// k6's status counts its configured VUs, not the ones active this
/// instant (a scale is answered with the new count while the VUs are
/// still starting or stopping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Configured<'a> {
    /// The scenario.
    pub scenario: &'a str,
    /// Its VUs (0 while paused or before it takes commands).
    pub vus: u64,
    /// Its max VUs.
    pub max_vus: u64,
}

impl Snapshot {
    /// k6's `vus` and `vus-max` of a status: the VUs active in every
    /// scenario but `configured`'s, plus its configured VUs; at least
    /// `configured`'s max VUs initialised. A single process (the REST
    /// API of `k6r-cli run`) and an agent under a coordinator both
    /// report through here.
    pub fn status_vus(&self, configured: Option<Configured<'_>>) -> (u64, u64) {
        let Some(c) = configured else {
            return (self.active_vus, self.initialized_vus);
        };
        let others: u64 = self
            .scenarios
            .iter()
            .filter(|s| s.name != c.scenario)
            .map(|s| s.active_vus)
            .sum();
        (others + c.vus, c.max_vus.max(self.initialized_vus))
    }
}

impl Progress {
    pub(crate) fn new<'a>(plans: impl IntoIterator<Item = &'a ScenarioPlan>) -> Progress {
        Progress {
            scenarios: plans
                .into_iter()
                .map(|p| (p.name.clone(), Arc::new(ScenarioCounters::new(p))))
                .collect(),
            initialized_vus: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The counters of the scenario `name` (fresh ones if the plan has
    /// no such scenario).
    pub(crate) fn scenario(&self, name: &str) -> Arc<ScenarioCounters> {
        self.counters(name).unwrap_or_default()
    }

    /// The counters of the scenario `name`, if the plan has it.
    pub fn counters(&self, name: &str) -> Option<Arc<ScenarioCounters>> {
        self.scenarios
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| Arc::clone(c))
    }

    pub(crate) fn initialized(&self) -> &AtomicU64 {
        &self.initialized_vus
    }

    /// Active VUs in all scenarios now.
    pub fn active_vus(&self) -> u64 {
        self.scenarios
            .iter()
            .map(|(_, c)| c.active_vus.load(Ordering::Relaxed))
            .sum()
    }

    /// Initialised VUs now.
    pub fn initialized_vus(&self) -> u64 {
        self.initialized_vus.load(Ordering::Relaxed)
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> Snapshot {
        let scenarios: Vec<ScenarioSnapshot> = self
            .scenarios
            .iter()
            .map(|(name, c)| ScenarioSnapshot {
                name: name.clone(),
                complete: c.complete.load(Ordering::Relaxed),
                interrupted: c.interrupted.load(Ordering::Relaxed),
                dropped: c.dropped.load(Ordering::Relaxed),
                active_vus: c.active_vus.load(Ordering::Relaxed),
                busy_vus: c.busy_vus.load(Ordering::Relaxed),
                elapsed: c.elapsed(),
                ended: c.ended.get().is_some(),
                progress: c.progress(),
            })
            .collect();
        Snapshot {
            complete: scenarios.iter().map(|s| s.complete).sum(),
            interrupted: scenarios.iter().map(|s| s.interrupted).sum(),
            active_vus: scenarios.iter().map(|s| s.active_vus).sum(),
            initialized_vus: self.initialized_vus(),
            scenarios,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k6r_core::options::{Options, Purpose};
    use k6r_core::plan::TestPlan;

    fn counters(scenario: serde_json::Value) -> ScenarioCounters {
        let value = serde_json::json!({ "scenarios": { "s": scenario } });
        let (mut options, _) = Options::from_json(&value).expect("options");
        options
            .consolidate(Purpose::Inspect, None)
            .expect("consolidate");
        let plan = TestPlan::new(&options).expect("plan");
        ScenarioCounters::new(&plan.scenarios()[0])
    }

    /// Marks `c` started `ago` before now.
    fn started(c: &ScenarioCounters, ago: Duration) {
        c.started.set(Instant::now() - ago).unwrap();
    }

    #[test]
    fn the_status_counts_the_configured_vus_of_the_controlled_scenario() {
        let scenario = |name: &str, active_vus| ScenarioSnapshot {
            name: name.into(),
            active_vus,
            ..ScenarioSnapshot::default()
        };
        let snapshot = Snapshot {
            scenarios: vec![scenario("ext", 9), scenario("steady", 2)],
            active_vus: 11,
            initialized_vus: 12,
            ..Snapshot::default()
        };
        assert_eq!(snapshot.status_vus(None), (11, 12));
        let scaled = Configured {
            scenario: "ext",
            vus: 4,
            max_vus: 20,
        };
        assert_eq!(snapshot.status_vus(Some(scaled)), (6, 20));
        let paused = Configured {
            vus: 0,
            max_vus: 10,
            ..scaled
        };
        assert_eq!(snapshot.status_vus(Some(paused)), (2, 12));
    }

    #[test]
    fn iterations_count_complete_ones_of_the_total() {
        let shared = counters(serde_json::json!({
            "executor": "shared-iterations", "vus": 2, "iterations": 8
        }));
        assert_eq!(shared.progress(), 0.0);
        shared.add_complete();
        shared.add_interrupted();
        assert_eq!(shared.progress(), 0.125);
        let per_vu = counters(serde_json::json!({
            "executor": "per-vu-iterations", "vus": 2, "iterations": 2
        }));
        per_vu.add_complete();
        assert_eq!(per_vu.progress(), 0.25);
    }

    #[test]
    fn time_is_measured_from_the_start_over_the_duration() {
        let c = counters(
            serde_json::json!({ "executor": "constant-vus", "vus": 1, "duration": "10s" }),
        );
        assert_eq!(c.progress(), 0.0, "not started");
        started(&c, Duration::from_secs(5));
        let p = c.progress();
        assert!((0.5..0.6).contains(&p), "{p}");

        // Up to the regular end (k6's end of the raw steps): the trailing
        // stage without VUs does not count (k6 v1.1.0 reaches 0.9 after
        // 1.8s for these stages).
        let c = counters(serde_json::json!({
            "executor": "ramping-vus", "startVUs": 1, "stages": [
                { "duration": "1s", "target": 1 },
                { "duration": "1s", "target": 0 },
                { "duration": "2s", "target": 0 }
            ]
        }));
        started(&c, Duration::from_secs(1));
        let p = c.progress();
        assert!((0.5..0.6).contains(&p), "{p}");

        let c = counters(serde_json::json!({
            "executor": "ramping-arrival-rate", "preAllocatedVUs": 1,
            "stages": [{ "duration": "4s", "target": 1 }, { "duration": "6s", "target": 1 }]
        }));
        started(&c, Duration::from_secs(5));
        let p = c.progress();
        assert!((0.5..0.6).contains(&p), "{p}");

        let c = counters(serde_json::json!({
            "executor": "constant-arrival-rate", "rate": 1, "duration": "1s", "preAllocatedVUs": 1
        }));
        started(&c, Duration::from_secs(5));
        assert_eq!(c.progress(), 1.0, "capped");
    }

    #[test]
    fn an_ended_scenario_keeps_its_elapsed_time_and_progress() {
        let c = counters(
            serde_json::json!({ "executor": "constant-vus", "vus": 1, "duration": "10s" }),
        );
        assert_eq!(c.elapsed(), None);
        let start = Instant::now() - Duration::from_secs(5);
        c.started.set(start).unwrap();
        c.ended.set(start + Duration::from_secs(2)).unwrap();
        assert_eq!(c.elapsed(), Some(Duration::from_secs(2)));
        assert!((c.progress() - 0.2).abs() < 1e-9, "{}", c.progress());
    }

    #[test]
    fn externally_controlled_without_duration_is_done_once_running() {
        // k6 v1.1.0 prints 1 from the first iteration on.
        let c = counters(serde_json::json!({
            "executor": "externally-controlled", "vus": 1, "maxVUs": 1, "duration": "0"
        }));
        assert_eq!(c.progress(), 0.0);
        started(&c, Duration::from_millis(1));
        assert_eq!(c.progress(), 1.0);
    }
}
