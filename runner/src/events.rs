//! The engine's [`Event`]s as samples (`iterations`, `iteration_duration`,
//! `dropped_iterations`, `k6r_scenario_change`), and the `vus`/`vus_max` gauges sampled every
//! second from the start of VU initialisation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use k6r_core::metrics::{Builtin, Sample, Tags};
use k6r_engine::{Event, Observer};
use k6r_script::Emit;
use tokio_util::sync::CancellationToken;

use crate::samples::Channel;

/// Turns events into samples.
#[derive(Debug)]
pub(crate) struct EventSamples {
    out: Channel,
    /// Per scenario: its tags with `group: ""` (found once an iteration:
    /// foldhash, not SipHash).
    iteration_tags: foldhash::HashMap<String, Arc<Tags>>,
    /// Per scenario: run tags and `scenario` (dropped iterations).
    dropped_tags: foldhash::HashMap<String, Arc<Tags>>,
    run_tags: Arc<Tags>,
    vus: AtomicU64,
    vus_max: AtomicU64,
}

impl EventSamples {
    /// `scenarios`: each scenario's name and full tag set (run tags,
    /// scenario tags, `scenario`).
    pub fn new(out: Channel, run_tags: Arc<Tags>, scenarios: &[(String, Arc<Tags>)]) -> Self {
        EventSamples {
            out,
            iteration_tags: scenarios
                .iter()
                .map(|(name, tags)| {
                    let tags = (**tags).clone().with("group", "");
                    (name.clone(), Arc::new(tags))
                })
                .collect(),
            dropped_tags: scenarios
                .iter()
                .map(|(name, _)| {
                    let tags = (*run_tags).clone().with("scenario", name.as_str());
                    (name.clone(), Arc::new(tags))
                })
                .collect(),
            run_tags,
            vus: AtomicU64::new(0),
            vus_max: AtomicU64::new(0),
        }
    }

    fn tags(map: &foldhash::HashMap<String, Arc<Tags>>, scenario: &str) -> Arc<Tags> {
        map.get(scenario)
            .cloned()
            .unwrap_or_else(|| Arc::new(Tags::new().with("scenario", scenario)))
    }

    /// Emits `vus` and `vus_max` now.
    pub fn sample_vus(&self) {
        let tags = Arc::clone(&self.run_tags);
        self.out.emit(vec![
            Sample::now(
                Builtin::Vus.metric(),
                Arc::clone(&tags),
                self.vus.load(Ordering::Relaxed) as f64,
            ),
            Sample::now(
                Builtin::VusMax.metric(),
                tags,
                self.vus_max.load(Ordering::Relaxed) as f64,
            ),
        ]);
    }

    /// Samples the VU gauges as k6 does: every second from the start of
    /// VU initialisation (the first a second after it) until `stop`, so a
    /// long init or setup reads `vus` 0 and a test shorter than a second
    /// has no samples; none at the end.
    pub async fn tick_vus(self: Arc<Self>, stop: CancellationToken) {
        let second = Duration::from_secs(1);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + second, second);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => self.sample_vus(),
                _ = stop.cancelled() => break,
            }
        }
    }
}

impl Observer for EventSamples {
    fn on_event(&self, event: Event) {
        match event {
            Event::IterationCompleted {
                scenario, duration, ..
            } => {
                let tags = Self::tags(&self.iteration_tags, &scenario);
                self.out.emit(vec![
                    Sample::now(Builtin::Iterations.metric(), Arc::clone(&tags), 1.0),
                    Sample::now(
                        Builtin::IterationDuration.metric(),
                        tags,
                        duration.as_secs_f64() * 1000.0,
                    ),
                ]);
            }
            Event::IterationInterrupted { .. } => {}
            Event::DroppedIterations {
                scenario, count, ..
            } => {
                let tags = Self::tags(&self.dropped_tags, &scenario);
                self.out.emit(vec![Sample::now(
                    Builtin::DroppedIterations.metric(),
                    tags,
                    count as f64,
                )]);
            }
            Event::ScenarioChanged { scenario, line, at } => {
                let tags = (*Self::tags(&self.dropped_tags, &scenario))
                    .clone()
                    .with("change", line.as_str());
                self.out.emit(vec![Sample::now(
                    Builtin::ScenarioChange.metric(),
                    Arc::new(tags),
                    at.as_secs_f64(),
                )]);
            }
            Event::Vus {
                active,
                initialized,
            } => {
                self.vus.store(active, Ordering::Relaxed);
                self.vus_max.store(initialized, Ordering::Relaxed);
            }
        }
    }
}
