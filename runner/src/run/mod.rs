//! [`run`]: one machine's share of a test run, from its plan to its
//! [`RunResult`]. The same on every machine; its [`Director`] decides
//! who runs setup and teardown and when the scenarios start.
//!
//! # Layout
//! - `build`: everything built before the VUs start.
//! - `result`: [`RunResult`] and [`End`], and how stages' outcomes decide them.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use k6r_engine::Progress;
use k6r_script::log::Level;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ProgressFn, Report};
use crate::director::{Attached, Ending, Stages};
use crate::error::Result;

mod build;
mod result;

pub use result::{End, RunResult};

use build::{Built, Samples};

/// Runs the test of `config` until its plan ends or `shutdown` fires
/// (then running iterations are interrupted, and teardown still runs).
pub async fn run(mut config: Config, shutdown: CancellationToken) -> Result<RunResult> {
    let steering = config.steering.take();
    let Built {
        plan,
        engine,
        observer,
        samples,
        stages,
        mut director,
        progress,
        capacity,
    } = build::build(config)?;
    let attached = Attached::new(&plan, &engine, stages.handle.clone(), capacity);
    if let Some(to) = steering {
        let _ = to.send(attached.steering.clone());
    }
    let shutdown = director.attach(attached, shutdown);
    // k6 samples the VU gauges from the start of VU initialisation (which
    // `run_after` begins with) to the end of teardown.
    let gauges = CancellationToken::new();
    let gauges_task = tokio::spawn(Arc::clone(&observer).tick_vus(gauges.clone()));
    let reporting = CancellationToken::new();
    let reporter = progress
        .map(|(report, every)| spawn_reporter(report, every, engine.progress(), &reporting));

    // The engine opens the gate once the planned VUs are initialised.
    let mut setup = None;
    let gate = async {
        let gate = director.gate(&stages, &shutdown).await;
        setup = gate.setup;
        gate.start
    };
    let outcome = engine.run_after(shutdown.child_token(), gate).await;
    reporting.cancel();
    if let Some(reporter) = reporter {
        let _ = reporter.await;
    }

    let mut result = RunResult::new(samples.totals.clone());
    let initialised = result.settle(setup, outcome, stages.handle.shared());
    let ending = Ending {
        result: &mut result,
        initialised,
        samples: &samples.channel,
        gauges: &gauges,
    };
    director.after(&stages, ending).await;
    gauges.cancel();
    let _ = gauges_task.await;
    finish(&mut result, samples, &stages).await;
    director.ended().await;
    Ok(result)
}

/// Reports the engine's counters `every` period, and once at the end.
fn spawn_reporter(
    report: ProgressFn,
    every: Duration,
    progress: Progress,
    stop: &CancellationToken,
) -> JoinHandle<()> {
    let stop = stop.clone();
    let start = tokio::time::Instant::now();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(start + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => report(&progress.snapshot(), start.elapsed(), Report::Periodic),
                _ = stop.cancelled() => break,
            }
        }
        report(&progress.snapshot(), start.elapsed(), Report::Final);
    })
}

/// The last of the run: k6's warning when no iteration finished, what
/// `setup()` left and `exec.test.fail()`, and the sinks once every sample
/// is in.
async fn finish(result: &mut RunResult, samples: Samples, stages: &Stages) {
    let spec = stages.handle.spec();
    if result.finished_none() {
        spec.config.log.log(
            Level::Warning,
            "No script iterations fully finished, consider making the test duration longer",
            &[],
        );
    }
    result.setup_data = stages.handle.data();
    result.marked_failed = spec.config.failed.load(Ordering::Relaxed);
    samples.channel.finish();
    drop(samples.channel);
    result.sinks = samples.consumer.await.unwrap_or_default();
    result.sinks.remove(0);
}
